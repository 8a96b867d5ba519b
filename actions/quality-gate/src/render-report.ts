import { escapeMarkdown, markdownTable } from '@mlops/kit'
import { describeInterval, type GateDecision, type MeasureComparison } from '@mlops/ml'
import { mermaidLineChart } from '@mlops/report'
import type { VersionPoint } from './registry.js'

/** Everything the PR comment and the job summary show; paths in it are already workspace-relative. */
export interface GateReport {
  gateName: string
  decision: GateDecision
  candidate: string
  /** undefined: no champion. */
  baseline: string | undefined
  /** Why the baseline is what it is, when that is not obvious (no champion, rerun after promotion, metrics only). */
  baselineNote: string | undefined
  holdout: { label: string; rows: number; unlabelled: number }
  classes: string[]
  confusion: { candidate: number[][]; baseline: number[][] | undefined }
  resamples: number
  seed: number
  history: { model: string; points: VersionPoint[] } | undefined
  promotion: string | undefined
}

const UNITS: Record<string, string> = { latency_ms_per_row: ' ms', model_size_bytes: ' B' }

function show(measure: string, value: number | undefined): string {
  if (value === undefined) return '—'
  if (measure === 'model_size_bytes') return `${Math.round(value).toLocaleString('en-US')} B`
  return `${value.toFixed(4)}${UNITS[measure] ?? ''}`
}

function showChange(c: MeasureComparison): string {
  if (c.delta === undefined) return '—'
  const delta =
    c.measure === 'model_size_bytes' ? Math.round(c.delta).toLocaleString('en-US') : c.delta.toFixed(4)
  // Relative to the champion's value, with the sign of the delta (the arrow says better or worse).
  const relative =
    c.baseline === undefined || c.baseline === 0
      ? ''
      : ` (${c.delta >= 0 ? '+' : ''}${((c.delta / Math.abs(c.baseline)) * 100).toFixed(1)}%)`
  const mark = c.change === 0 ? '' : c.change! > 0 ? ' ▲' : ' ▼'
  return `${c.delta >= 0 ? '+' : ''}${delta}${relative}${mark}`
}

// markdownTable escapes every cell, so cells hold plain text only.
const STATUS = { pass: '✅ pass', fail: '❌ fail', skipped: '➖ skipped' } as const

function confusionTable(report: GateReport): string {
  const { classes, confusion } = report
  const headers = [
    'actual',
    ...classes.map((c) => `candidate: ${c}`),
    ...(confusion.baseline ? classes.map((c) => `champion: ${c}`) : []),
  ]
  const rows = classes.map((c, i) => [
    c,
    ...confusion.candidate[i]!.map(String),
    ...(confusion.baseline ? confusion.baseline[i]!.map(String) : []),
  ])
  return markdownTable(headers, rows, ['left', ...headers.slice(1).map(() => 'right' as const)])
}

export function renderGateReport(report: GateReport): string {
  const { decision } = report
  const icon = decision.verdict === 'pass' ? '✅' : '❌'
  const out = [
    `## ${icon} Quality gate \`${escapeMarkdown(report.gateName)}\`: ${decision.verdict}`,
    '',
    `**${escapeMarkdown(decision.headline)}**`,
    '',
    `Candidate \`${report.candidate}\` vs ${report.baseline === undefined ? 'no champion' : `champion \`${report.baseline}\``}, ` +
      `both run by onnxruntime on \`${escapeMarkdown(report.holdout.label)}\` (${report.holdout.rows.toLocaleString('en-US')} labelled rows` +
      `${report.holdout.unlabelled > 0 ? `, ${report.holdout.unlabelled} without a label left out` : ''}).`,
  ]
  if (report.baselineNote) out.push('', `> ${escapeMarkdown(report.baselineNote)}`)
  out.push(
    '',
    '### Candidate vs champion',
    '',
    markdownTable(
      ['metric', 'candidate', 'champion', 'Δ (candidate − champion)'],
      decision.comparisons.map((c) => [
        c.measure === decision.primary ? `${c.measure} (primary)` : c.measure,
        show(c.measure, c.candidate),
        show(c.measure, c.baseline),
        showChange(c),
      ]),
      ['left', 'right', 'right', 'right'],
    ),
    '',
    "▲ better, ▼ worse, in each metric's own direction (lower is better for log_loss, latency and size).",
    '',
    '### Rules',
    '',
  )
  out.push(
    decision.rules.length === 0
      ? 'No rules.'
      : markdownTable(
          ['metric', 'rule', 'threshold', 'result', 'detail'],
          decision.rules.map((r) => [r.measure, r.rule, String(r.threshold), STATUS[r.status], r.message]),
          ['left', 'left', 'right', 'left', 'left'],
        ),
    '',
    '### Is the difference more than noise?',
    '',
  )
  if (decision.interval) {
    out.push(
      `- **${decision.primary}**, paired bootstrap (${decision.interval.resamples} resamples of the same rows for both ` +
        `models, seed ${report.seed}, percentile interval): ${describeInterval(decision.interval)} → **${decision.significance}**.`,
    )
  } else {
    out.push(
      `- No confidence interval: ${report.baseline === undefined ? 'there is no champion' : 'the baseline was not re-evaluated on the holdout (logged metrics only)'}.`,
    )
  }
  if (decision.mcnemar) {
    const m = decision.mcnemar
    const method = m.method === 'exact-binomial' ? 'exact binomial' : 'chi-square with continuity correction'
    out.push(
      `- **accuracy**, McNemar's test (${method}): ${m.candidateOnly} rows only the candidate gets right, ` +
        `${m.baselineOnly} only the champion; p = ${m.pValue < 1e-4 ? m.pValue.toExponential(2) : m.pValue.toFixed(4)}.`,
    )
  }
  out.push('', '### Confusion matrices (rows: actual, columns: predicted)', '', confusionTable(report), '')
  const points = report.history?.points ?? []
  if (report.history && points.length > 0) {
    out.push(
      `### ${decision.primary} of recent registered versions of \`${escapeMarkdown(report.history.model)}\``,
      '',
      mermaidLineChart(
        `${decision.primary} by version`,
        points.map((p) => `v${p.version}`),
        [{ name: decision.primary, values: points.map((p) => p.value) }],
        decision.primary,
      ),
      '',
      "As logged when each version was registered (each on its own holdout); the table above is this gate's evaluation.",
      '',
    )
  }
  if (report.promotion) out.push(`### Promotion`, '', escapeMarkdown(report.promotion), '')
  return out.join('\n')
}
