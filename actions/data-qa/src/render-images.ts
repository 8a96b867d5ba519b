import { relative } from 'node:path'
import type { ImageQaReport } from '@mlops/data'
import { details, escapeMarkdown, markdownTable } from '@mlops/kit'
import { escapeHtml, htmlPage, htmlTable, statusTag, type HtmlCell } from '@mlops/report'
import { mermaidBarChart } from '@mlops/report'
import { checkIcon, formatNumber, orderChecks, STATUS_ICON } from './render-markdown.js'

const LAYOUT: Record<ImageQaReport['dataset']['layout'], string> = {
  folders: 'classification, labels from class folders',
  csv: 'classification, labels from a CSV',
  segmentation: 'segmentation, image/mask pairs',
  unlabelled: 'images without labels',
}

const percent = (share: number): string => `${(share * 100).toFixed(share > 0 && share < 0.001 ? 3 : 1)}%`

function title(report: ImageQaReport, root: string): string {
  return `Data QA: ${report.status} — ${relative(root, report.dataset.root) || '.'} (images)`
}

function headline(report: ImageQaReport): string {
  const { summary, profile } = report
  const sizes = profile.sizes
    .map((s) => s.size)
    .slice(0, 3)
    .join(', ')
  const formats = Object.keys(profile.formats).join(', ')
  return [
    `${formatNumber(summary.images)} images`,
    summary.masks > 0 ? `${formatNumber(summary.masks)} masks` : '',
    summary.classes > 0 ? `${summary.classes} classes` : '',
    [sizes, formats].filter(Boolean).join(' '),
  ]
    .filter(Boolean)
    .join(' · ')
}

function distribution(report: ImageQaReport): {
  title: string
  labels: string[]
  values: number[]
  unit: string
} {
  const { classes, pixelClasses } = report.profile
  return report.dataset.layout === 'segmentation'
    ? {
        title: 'Mask pixels per class (%)',
        labels: pixelClasses.map((p) => String(p.value)),
        values: pixelClasses.map((p) => p.share * 100),
        unit: '% of pixels',
      }
    : {
        title: 'Images per class',
        labels: classes.map((c) => c.name),
        values: classes.map((c) => c.images),
        unit: 'images',
      }
}

/** The job summary and report.md for an image dataset: checks first, then the class distribution. */
export function renderImageMarkdown(report: ImageQaReport, root: string): string {
  const { summary } = report
  const lines = [
    `## ${STATUS_ICON[report.status]} ${escapeMarkdown(title(report, root))}`,
    '',
    `**${headline(report)}** · ${LAYOUT[report.dataset.layout]} · ${summary.checks} checks: ` +
      `${summary.passed} passed, ${summary.failed} failed, ${summary.warned} warnings · ${(report.durationMs / 1000).toFixed(1)} s`,
    '',
    markdownTable(
      ['', 'check', 'observed'],
      orderChecks(report.checks).map((c) => [checkIcon(c), `${c.check}: ${c.description}`, c.observed]),
    ),
  ]
  const chart = distribution(report)
  if (chart.labels.length > 1)
    lines.push('', mermaidBarChart(chart.title, chart.labels, chart.values, chart.unit))
  const table =
    report.dataset.layout === 'segmentation'
      ? markdownTable(
          ['mask value', 'pixels', 'share'],
          report.profile.pixelClasses.map((p) => [String(p.value), formatNumber(p.pixels), percent(p.share)]),
        )
      : markdownTable(
          ['class', 'images', 'share'],
          report.profile.classes.map((c) => [c.name, formatNumber(c.images), percent(c.share)]),
        )
  lines.push(
    '',
    details(
      'Sizes and classes',
      markdownTable(
        ['size', 'images'],
        report.profile.sizes.map((s) => [s.size, formatNumber(s.count)]),
      ) +
        '\n\n' +
        table,
    ),
  )
  return lines.join('\n') + '\n'
}

/** report.html for an image dataset, with every named file of a failed check. */
export function renderImageHtml(report: ImageQaReport, root: string): string {
  const checks = htmlTable(
    ['', 'check', 'observed', 'files'],
    orderChecks(report.checks).map((c): HtmlCell[] => [
      statusTag(c.success ? 'pass' : c.severity === 'warning' ? 'warn' : 'fail'),
      `${c.check}: ${c.description}`,
      c.observed,
      {
        html: (c.examples ?? [])
          .map((e) => {
            const where = relative(root, e.file) + (e.line > 0 ? `:${e.line}` : '')
            return `<code>${escapeHtml(where)}</code> ${escapeHtml(e.value)}`
          })
          .join('<br>'),
      },
    ]),
  )
  const chart = distribution(report)
  const body = `<h1>${statusTag(report.status).html} ${escapeHtml(title(report, root))}</h1>
<p class="badge ${report.status}">${escapeHtml(headline(report))} · ${escapeHtml(LAYOUT[report.dataset.layout])}</p>
<h2>Checks</h2>${checks}
<h2>${escapeHtml(chart.title)}</h2>${htmlTable(
    ['', chart.unit],
    chart.labels.map((label, i) => [label, Number(chart.values[i]!.toPrecision(4))]),
  )}
<h2>Sizes</h2>${htmlTable(
    ['size', 'images'],
    report.profile.sizes.map((s) => [s.size, s.count]),
  )}`
  return htmlPage(title(report, root), body)
}
