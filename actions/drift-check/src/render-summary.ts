import type { DriftReport } from '@mlops/data'
import { heading, markdownTable } from '@mlops/kit'
import { mermaidBarChart } from '@mlops/report'
import type { IssueResult } from './github-api.js'

export interface SummaryContext {
  report: DriftReport
  reference: string
  current: string
  issue?: IssueResult | undefined
  dispatched?: { workflow: string; ref: string } | undefined
}

const METHOD_NAMES: Record<string, string> = {
  ks: 'K-S p-value',
  chisquare: 'chi-square p-value',
  z: 'Z-test p-value',
  wasserstein: 'Wasserstein (normed)',
  jensenshannon: 'Jensen-Shannon distance',
  psi: 'PSI',
}

/** Scores span 1e-300 (p-values) to ~10 (PSI): 4 significant digits, exponent form below 0.001. */
export function formatScore(score: number): string {
  if (!Number.isFinite(score)) return Number.isNaN(score) ? 'n/a' : 'inf'
  if (score !== 0 && Math.abs(score) < 0.001) return score.toExponential(2)
  return String(Number(score.toPrecision(4)))
}

export function renderDriftSummary(context: SummaryContext): string {
  const { report } = context
  const drifted = report.columns.filter((column) => column.drifted)
  const short = report.columns.filter((column) => column.status === 'not enough data')
  const lines = [
    heading(report.datasetDrift ? 'Data drift: detected' : 'Data drift: no dataset drift'),
    `**${drifted.length} of ${report.columns.length} columns drifted** (share ${formatScore(report.driftedShare)}; ` +
      `dataset drift at >= ${report.shareThreshold}). Reference: ${context.reference}. Current: ${context.current}.`,
    '',
    markdownTable(
      ['column', 'method', 'score', 'threshold', 'status'],
      report.columns.map((column) => [
        column.column,
        METHOD_NAMES[column.method] ?? column.method,
        formatScore(column.score),
        `${column.scoreType === 'p_value' ? '<' : '≥'} ${column.threshold}`,
        column.status === 'drift'
          ? '🔴 drift'
          : column.status === 'ok'
            ? '🟢 ok'
            : `⚪ not enough data (< ${report.minSamples})`,
      ]),
    ),
  ]
  for (const [type, title] of [
    ['distance', 'Drift distance by column (higher = more drift)'],
    ['p_value', 'p-value by column (lower = more drift)'],
  ] as const) {
    const columns = report.columns.filter(
      (column) => column.scoreType === type && Number.isFinite(column.score),
    )
    if (columns.length === 0) continue
    lines.push(
      mermaidBarChart(
        title,
        columns.map((column) => column.column),
        columns.map((column) => column.score),
        type === 'distance' ? 'distance' : 'p-value',
      ),
      '',
    )
  }
  if (short.length > 0)
    lines.push(
      `${short.length} column(s) had fewer than ${report.minSamples} current values and were not judged: ${short.map((c) => `\`${c.column}\``).join(', ')}.`,
      '',
    )
  if (report.missingColumns.length > 0)
    lines.push(
      `Not in the current data, not tested: ${report.missingColumns.map((name) => `\`${name}\``).join(', ')}.`,
      '',
    )
  if (context.issue)
    lines.push(`Issue [#${context.issue.number}](${context.issue.url}) ${context.issue.action}.`, '')
  if (context.dispatched)
    lines.push(`Dispatched workflow \`${context.dispatched.workflow}\` on \`${context.dispatched.ref}\`.`, '')
  return lines.join('\n')
}

/** The issue body: what drifted, by how much, and where the full report is. */
export function renderIssueBody(report: DriftReport, runUrl: string | undefined): string {
  const drifted = report.columns.filter((column) => column.drifted)
  return [
    `drift-check found dataset drift: ${drifted.length} of ${report.columns.length} columns drifted (share ${formatScore(report.driftedShare)} >= ${report.shareThreshold}).`,
    '',
    markdownTable(
      ['column', 'method', 'score', 'threshold'],
      drifted.map((column) => [
        column.column,
        METHOD_NAMES[column.method] ?? column.method,
        formatScore(column.score),
        column.threshold,
      ]),
    ),
    runUrl ? `Latest check: ${runUrl}` : '',
  ].join('\n')
}
