import { details, escapeMarkdown, markdownTable } from '@mlops/kit'
import type { MetricName, SearchResult, TrainedTabular } from '@mlops/ml'
import { mermaidLineChart } from '@mlops/report'

export const METRICS_SCHEMA = 'mlops-actions/train-metrics@1'

/** metrics.json: what the train step measured, for people and for the gate. */
export interface TrainReport {
  schema: string
  modelType: string
  task: 'binary' | 'multiclass'
  classes: string[]
  primaryMetric: MetricName
  metrics: Record<string, number>
  confusion: number[][]
  perClass: TrainedTabular['score']['report']['perClass']
  rows: TrainedTabular['rows']
  exportError: number
  curve: TrainedTabular['curve']
  importances: TrainedTabular['importances']
  details: TrainedTabular['details']
  params: Record<string, unknown>
  seed: number
  /** Image classification: the size the model takes (its `image` input is [N, height, width, channels]). */
  image?: { width: number; height: number; channels: number }
  search?: SearchResult
}

const fixed = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(4))

export function renderTrainSummary(report: TrainReport, bundleDir: string): string {
  const primary = report.metrics[report.primaryMetric]
  const unit = report.image ? 'images' : 'rows'
  const input = report.image
    ? ` of ${report.image.width}x${report.image.height}x${report.image.channels} pixels`
    : ''
  const out = [
    `## Train: ${report.modelType} — ${report.primaryMetric} ${primary === undefined ? 'n/a' : fixed(primary)}`,
    '',
    `${report.task} classifier of ${report.classes.length} classes on ${report.rows.train.toLocaleString('en-US')} ${unit}${input}; ` +
      `metrics from the exported ONNX graph in onnxruntime on ${report.rows.test.toLocaleString('en-US')} held-out ${unit}${report.image ? ' (stratified, ' : ' ('}seed ${report.seed}). ` +
      `Bundle: \`${escapeMarkdown(bundleDir)}\`.`,
    '',
    markdownTable(
      ['metric', 'holdout'],
      Object.entries(report.metrics).map(([name, value]) => [
        // markdownTable escapes every cell, so emphasis is written as words, not as ** (it would show).
        name === report.primaryMetric ? `${name} (primary)` : name,
        fixed(value),
      ]),
      ['left', 'right'],
    ),
    '',
    '### Confusion matrix (rows: actual, columns: predicted)',
    '',
    markdownTable(
      ['', ...report.classes],
      report.confusion.map((row, i) => [report.classes[i]!, ...row.map(String)]),
      ['left', ...report.classes.map(() => 'right' as const)],
    ),
    '',
  ]
  const losses = report.curve.filter((p) => p.trainLoss !== undefined)
  if (losses.length > 1) {
    const series = [{ name: 'train', values: losses.map((p) => p.trainLoss!) }]
    if (losses.every((p) => p.validationLoss !== undefined)) {
      series.push({ name: 'validation', values: losses.map((p) => p.validationLoss!) })
    }
    out.push(
      '### Learning curve',
      '',
      mermaidLineChart(
        'loss',
        losses.map((p) => p.step),
        series,
        `loss per ${losses[0]!.unit}`,
      ),
      '',
    )
  }
  if (report.importances.length > 0) {
    out.push(
      '### Top features',
      '',
      markdownTable(
        ['column', 'importance'],
        report.importances.slice(0, 10).map((f) => [f.column, `${(f.importance * 100).toFixed(1)}%`]),
        ['left', 'right'],
      ),
      '',
    )
  }
  if (report.search) {
    const { search } = report
    out.push(
      details(
        `Search: ${search.trials.length} ${search.strategy} trials, ${search.validation}, best ${search.metric} ${fixed(search.trials[search.best]!.score)}`,
        markdownTable(
          ['#', 'params', search.metric],
          search.trials.map((t, i) => [
            i === search.best ? `${i + 1} (best)` : String(i + 1),
            JSON.stringify(t.params),
            fixed(t.score),
          ]),
          ['right', 'left', 'right'],
        ),
      ),
      '',
    )
  }
  out.push(details('Parameters', ['```json', JSON.stringify(report.params, null, 2), '```'].join('\n')), '')
  return out.join('\n')
}
