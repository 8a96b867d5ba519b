import { markdownTable } from '@mlops/kit'
import type { SmokeReport } from './smoke.js'

export interface RollbackOutcome {
  release: string
  ok: boolean
  message: string
}

export function renderSmokeSummary(target: string, report: SmokeReport, rollback?: RollbackOutcome): string {
  const title = report.passed
    ? '✅ smoke-test passed'
    : `❌ smoke-test failed (${report.failures.length} of ${report.checks.length} checks)`
  const parts = [
    `## ${title}`,
    `Target: ${target}${report.servedVersion ? ` — serving model version ${report.servedVersion}` : ''}`,
    markdownTable(
      ['check', 'result', 'detail'],
      report.checks.map((c) => [c.name, c.ok ? '✅ pass' : '❌ fail', c.detail]),
    ),
  ]
  if (report.latency) {
    const l = report.latency
    parts.push(
      markdownTable(
        ['requests', 'errors', 'p50 ms', 'p95 ms', 'max ms', 'p95 budget ms'],
        [
          [
            l.requests,
            l.errors,
            Number(l.p50Ms.toFixed(1)),
            Number(l.p95Ms.toFixed(1)),
            Number(l.maxMs.toFixed(1)),
            l.budgetMs,
          ],
        ],
      ),
    )
  }
  if (rollback)
    parts.push(`### Rollback of ${rollback.release}\n\n${rollback.ok ? '✅' : '❌'} ${rollback.message}`)
  return parts.join('\n\n') + '\n'
}
