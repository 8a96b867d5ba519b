import { basename, relative } from 'node:path'
import type { CheckResult, ColumnProfile, DataQaReport } from '@mlops/data'
import { details, escapeMarkdown, markdownTable } from '@mlops/kit'
import { mermaidBarChart } from '@mlops/report'

export const STATUS_ICON = { pass: '✅', warn: '⚠️', fail: '❌' } as const

export const checkIcon = (check: CheckResult): string =>
  check.success ? STATUS_ICON.pass : check.severity === 'warning' ? STATUS_ICON.warn : STATUS_ICON.fail

export function formatNumber(x: number | undefined): string {
  if (x === undefined || Number.isNaN(x)) return ''
  if (Number.isInteger(x)) return x.toLocaleString('en-US')
  return Math.abs(x) >= 1000
    ? x.toLocaleString('en-US', { maximumFractionDigits: 1 })
    : Number(x.toPrecision(4)).toString()
}

/** Failures first, then warnings, then passes: the reader looks at the top of the table. */
export function orderChecks(checks: readonly CheckResult[]): CheckResult[] {
  const rank = (c: CheckResult): number => (c.success ? 2 : c.severity === 'error' ? 0 : 1)
  return [...checks].sort((a, b) => rank(a) - rank(b))
}

export function where(check: CheckResult, expectationsFile: string | null, root: string): string {
  if (check.line === undefined || expectationsFile === null) return ''
  return `${relative(root, expectationsFile)}:${check.line}`
}

function observedWithExample(check: CheckResult, root: string): string {
  const example = check.examples?.[0]
  if (check.success || !example) return check.observed
  return `${check.observed}; e.g. ${relative(root, example.file)}:${example.line}: ${example.value}`
}

export function profileRows(columns: readonly ColumnProfile[]): string[][] {
  return columns.map((c) => [
    c.name,
    c.type,
    `${(c.nullRate * 100).toFixed(1)}%`,
    formatNumber(c.distinct),
    formatNumber(c.numeric?.min),
    formatNumber(c.numeric?.mean),
    formatNumber(c.numeric?.quantiles.p50),
    formatNumber(c.numeric?.max),
    c.numeric
      ? ''
      : c.top
          .slice(0, 3)
          .map((t) => `${t.value} (${formatNumber(t.count)})`)
          .join(', '),
  ])
}

export const PROFILE_HEADERS = [
  'column',
  'type',
  'nulls',
  'distinct',
  'min',
  'mean',
  'median',
  'max',
  'top values',
]

export function renderMarkdown(report: DataQaReport, root: string): string {
  const { summary } = report
  const names = report.datasets.map((d) => basename(d.file)).join(', ')
  const lines = [
    `## ${STATUS_ICON[report.status]} Data QA: ${report.status} — ${escapeMarkdown(names)}`,
    '',
    `**${formatNumber(summary.rows)} rows × ${summary.columns} columns** · ${summary.checks} checks: ` +
      `${summary.passed} passed, ${summary.failed} failed, ${summary.warned} warnings · ${(report.durationMs / 1000).toFixed(1)} s`,
    '',
    markdownTable(
      ['', 'check', 'column', 'observed', 'where'],
      orderChecks(report.checks).map((c) => [
        checkIcon(c),
        `${c.check}: ${c.description}`,
        c.column ?? '',
        observedWithExample(c, root),
        where(c, report.expectationsFile, root),
      ]),
    ),
  ]
  const withNulls = report.profile.columns.filter((c) => c.nulls > 0)
  if (withNulls.length > 0) {
    lines.push(
      '',
      mermaidBarChart(
        'Null rate by column (%)',
        withNulls.map((c) => c.name),
        withNulls.map((c) => c.nullRate * 100),
        '% null',
      ),
    )
  }
  lines.push(
    '',
    details(
      `Profile of ${report.profile.columns.length} columns`,
      markdownTable(PROFILE_HEADERS, profileRows(report.profile.columns)),
    ),
  )
  return lines.join('\n') + '\n'
}
