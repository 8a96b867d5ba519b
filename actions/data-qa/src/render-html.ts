import { basename, relative } from 'node:path'
import type { DataQaReport } from '@mlops/data'
import { escapeHtml, htmlPage, htmlTable, statusTag, svgHistogram, type HtmlCell } from '@mlops/report'
import { formatNumber, orderChecks, PROFILE_HEADERS, profileRows, where } from './render-markdown.js'

export function renderHtml(report: DataQaReport, root: string): string {
  const { summary } = report
  const title = `Data QA: ${report.status} — ${report.datasets.map((d) => basename(d.file)).join(', ')}`
  const checks = htmlTable(
    ['', 'check', 'column', 'observed', 'examples', 'where'],
    orderChecks(report.checks).map((c): HtmlCell[] => [
      statusTag(c.success ? 'pass' : c.severity === 'warning' ? 'warn' : 'fail'),
      `${c.check}: ${c.description}`,
      c.column ?? '',
      c.observed,
      {
        html: (c.examples ?? [])
          .map(
            (e) =>
              `<code title="${escapeHtml(relative(root, e.file))}">${escapeHtml(`${basename(e.file)}:${e.line}`)}</code> ${escapeHtml(e.value)}`,
          )
          .join('<br>'),
      },
      where(c, report.expectationsFile, root),
    ]),
  )
  const rows = profileRows(report.profile.columns)
  const profile = htmlTable(
    [...PROFILE_HEADERS, 'distribution'],
    report.profile.columns.map((c, i): HtmlCell[] => [
      ...(rows[i] ?? []),
      {
        html: c.numeric
          ? svgHistogram(c.numeric.histogram.counts, {
              title: `${c.name}: ${formatNumber(c.numeric.min)} to ${formatNumber(c.numeric.max)}`,
            })
          : '',
      },
    ]),
  )
  const datasets = htmlTable(
    ['file', 'format', 'rows', 'bytes'],
    [...report.datasets, ...report.testDatasets].map((d) => [
      relative(root, d.file),
      d.format,
      d.rows,
      d.bytes,
    ]),
  )
  const body = `<h1>${statusTag(report.status).html} ${escapeHtml(title)}</h1>
<p class="badge ${report.status}">${formatNumber(summary.rows)} rows × ${summary.columns} columns · ${summary.checks} checks: ${summary.passed} passed, ${summary.failed} failed, ${summary.warned} warnings</p>
<h2>Data</h2>${datasets}
<h2>Checks</h2>${checks}
<h2>Profile</h2>
<p class="muted">Distinct counts are HyperLogLog estimates; quantiles and histograms come from a bounded-memory sketch.</p>${profile}`
  return htmlPage(title, body)
}
