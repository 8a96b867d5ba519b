import { averagePrecision, classificationReport, logLoss, rocAuc } from '../metrics.js'
import { defaultPrimaryMetric, type MetricName } from '../score.js'
import { EvaluationInputError, type ModelEvaluation } from './evaluate-holdout.js'
import { GATE_MEASURES, type GateMeasure, type GateThresholds, type MeasureRule } from './gate-thresholds.js'
import { mcnemarTest, type McNemarResult } from './mcnemar.js'
import { pairedBootstrapInterval, type BootstrapInterval } from './paired-bootstrap.js'
import { rocAucResampler } from './resampled-roc-auc.js'

/** What the candidate is compared with. */
export type GateBaseline =
  /** Evaluated on the same holdout: deltas, a paired interval and McNemar's test. */
  | { kind: 'evaluated'; evaluation: ModelEvaluation }
  /** Only numbers logged elsewhere (a metrics JSON): deltas against them, no statistics. */
  | { kind: 'logged'; metrics: Readonly<Record<string, number>> }
  /** No champion yet: absolute thresholds only. */
  | { kind: 'none' }

export interface MeasureComparison {
  measure: GateMeasure
  candidate: number | undefined
  baseline: number | undefined
  /** candidate - baseline, as measured. */
  delta: number | undefined
  /** Improvement in the better direction (positive = better), what the change rules test. */
  change: number | undefined
  /** change / |baseline|. */
  relativeChange: number | undefined
  greaterIsBetter: boolean
}

export type RuleName = 'min' | 'max' | 'min_change' | 'min_relative_change' | 'require_significance'

export interface RuleOutcome {
  measure: GateMeasure
  rule: RuleName
  threshold: number | boolean
  value: number | undefined
  status: 'pass' | 'fail' | 'skipped'
  message: string
}

export interface PrimaryInterval extends BootstrapInterval {
  metric: MetricName
}

export interface GateDecision {
  verdict: 'pass' | 'fail'
  /** One sentence: why it passed, or every failed rule. */
  headline: string
  primary: MetricName
  baseline: GateBaseline['kind']
  comparisons: MeasureComparison[]
  rules: RuleOutcome[]
  /** Paired bootstrap interval of the primary metric's delta (candidate - baseline); evaluated baselines only. */
  interval: PrimaryInterval | undefined
  significance: 'better' | 'worse' | 'no significant change' | 'untested'
  /** On accuracy: do the models err on different rows? Evaluated baselines only. */
  mcnemar: McNemarResult | undefined
}

export interface DecideGateOptions {
  actual: Int32Array
  classCount: number
  candidate: ModelEvaluation
  baseline: GateBaseline
  thresholds: GateThresholds
}

/** The measures of one evaluation under the names rules use. */
export function measuresOf(evaluation: ModelEvaluation): Partial<Record<GateMeasure, number>> {
  return {
    ...evaluation.metrics,
    latency_ms_per_row: evaluation.latencyMsPerRow,
    model_size_bytes: evaluation.sizeBytes,
  }
}

/**
 * One metric on a subset of rows (with repeats), reusing the training metric code; undefined where the metric
 * is undefined on that subset (ROC-AUC on a sample holding one class only).
 */
export function metricOnRows(
  metric: MetricName,
  actual: Int32Array,
  evaluation: Pick<ModelEvaluation, 'probabilities' | 'predicted'>,
  classCount: number,
  rows: Int32Array,
): number | undefined {
  const y = Int32Array.from(rows, (r) => actual[r]!)
  const { probabilities } = evaluation
  switch (metric) {
    case 'roc_auc':
    case 'pr_auc': {
      if (classCount !== 2) return undefined
      let positives = 0
      for (const label of y) positives += label
      if (positives === 0 || positives === y.length) return undefined
      const scores = Float64Array.from(rows, (r) => probabilities[r * 2 + 1]!)
      return metric === 'roc_auc' ? rocAuc(y, scores) : averagePrecision(y, scores)
    }
    case 'log_loss':
      return logLoss(
        y,
        Array.from(rows, (r) => probabilities.subarray(r * classCount, (r + 1) * classCount)),
      )
    default: {
      const report = classificationReport(
        y,
        Int32Array.from(rows, (r) => evaluation.predicted[r]!),
        classCount,
      )
      if (metric === 'accuracy') return report.accuracy
      return report.macro[
        metric === 'precision_macro' ? 'precision' : metric === 'recall_macro' ? 'recall' : 'f1'
      ]
    }
  }
}

// Metrics and latencies to 4 decimals; sizes in bytes as whole numbers.
/**
 * candidate - baseline of one metric on a resample. ROC-AUC, the binary default, takes the sort-once path; the
 * other metrics recompute on the sample with the training metric code.
 */
export function pairedStatistic(
  metric: MetricName,
  actual: Int32Array,
  candidate: Pick<ModelEvaluation, 'probabilities' | 'predicted'>,
  baseline: Pick<ModelEvaluation, 'probabilities' | 'predicted'>,
  classCount: number,
): (rows: Int32Array) => number | undefined {
  if (metric === 'roc_auc' && classCount === 2) {
    const positive = (p: Float32Array) =>
      Float64Array.from({ length: actual.length }, (_, i) => p[i * 2 + 1]!)
    const a = rocAucResampler(actual, positive(candidate.probabilities))
    const b = rocAucResampler(actual, positive(baseline.probabilities))
    return (rows) => {
      const x = a.auc(rows)
      const y = b.auc(rows)
      return x === undefined || y === undefined ? undefined : x - y
    }
  }
  return (rows) => {
    const x = metricOnRows(metric, actual, candidate, classCount, rows)
    const y = metricOnRows(metric, actual, baseline, classCount, rows)
    return x === undefined || y === undefined ? undefined : x - y
  }
}

const fixed = (x: number) => (Math.abs(x) >= 100 ? String(Math.round(x)) : x.toFixed(4))
const signed = (x: number) => `${x >= 0 ? '+' : ''}${fixed(x)}`

function compare(
  measure: GateMeasure,
  candidate: number | undefined,
  baseline: number | undefined,
  greaterIsBetter: boolean,
): MeasureComparison {
  const delta = candidate !== undefined && baseline !== undefined ? candidate - baseline : undefined
  const change = delta === undefined ? undefined : greaterIsBetter ? delta : -delta
  const relativeChange =
    change === undefined || baseline === undefined || baseline === 0 ? undefined : change / Math.abs(baseline)
  return { measure, candidate, baseline, delta, change, relativeChange, greaterIsBetter }
}

function applyRule(
  rule: MeasureRule,
  comparison: MeasureComparison,
  baselineKind: GateBaseline['kind'],
): RuleOutcome[] {
  const { measure } = comparison
  const out: RuleOutcome[] = []
  const value = comparison.candidate
  const missing = (name: RuleName, threshold: number, why: string): RuleOutcome => ({
    measure,
    rule: name,
    threshold,
    value: undefined,
    // A rule the user asked for that cannot be checked must not pass silently.
    status: 'fail',
    message: `${measure}: ${why}, so ${name} ${threshold} cannot be checked`,
  })
  if (rule.min !== undefined) {
    if (value === undefined) out.push(missing('min', rule.min, 'the candidate has no value'))
    else {
      const ok = value >= rule.min
      out.push({
        measure,
        rule: 'min',
        threshold: rule.min,
        value,
        status: ok ? 'pass' : 'fail',
        message: `${measure} ${fixed(value)} ${ok ? 'meets' : 'is below'} the floor ${rule.min}`,
      })
    }
  }
  if (rule.max !== undefined) {
    if (value === undefined) out.push(missing('max', rule.max, 'the candidate has no value'))
    else {
      const ok = value <= rule.max
      out.push({
        measure,
        rule: 'max',
        threshold: rule.max,
        value,
        status: ok ? 'pass' : 'fail',
        message: `${measure} ${fixed(value)} ${ok ? 'is within' : 'is above'} the ceiling ${rule.max}`,
      })
    }
  }
  const changeRules: Array<[RuleName, number | undefined, number | undefined, (x: number) => string]> = [
    ['min_change', rule.minChange, comparison.change, signed],
    ['min_relative_change', rule.minRelativeChange, comparison.relativeChange, (x) => `${signed(x * 100)}%`],
  ]
  for (const [name, threshold, change, show] of changeRules) {
    if (threshold === undefined) continue
    if (baselineKind === 'none') {
      out.push({
        measure,
        rule: name,
        threshold,
        value: undefined,
        status: 'skipped',
        message: `${measure}: no champion to compare with, ${name} not applied`,
      })
    } else if (change === undefined) {
      out.push(missing(name, threshold, 'the champion has no value to compare with'))
    } else {
      const ok = change >= threshold
      const direction = comparison.greaterIsBetter ? 'higher' : 'lower'
      out.push({
        measure,
        rule: name,
        threshold,
        value: change,
        status: ok ? 'pass' : 'fail',
        message:
          `${measure} change ${show(change)} (${direction} is better; candidate ${fixed(comparison.candidate!)} vs ` +
          `champion ${fixed(comparison.baseline!)}) ${ok ? 'meets' : 'is below'} ${name} ${show(threshold)}`,
      })
    }
  }
  return out
}

/**
 * The verdict: every rule is applied (the primary metric gets `min_change: 0`, no regression, unless it has
 * rules of its own), a paired bootstrap interval says whether the primary metric's difference is more than
 * noise, and McNemar's test does the same for accuracy. A first model (no champion) passes on absolute
 * thresholds alone.
 */
export function decideGate(options: DecideGateOptions): GateDecision {
  const { actual, classCount, candidate, baseline, thresholds } = options
  const primary = thresholds.primary ?? defaultPrimaryMetric(classCount)
  if (candidate.metrics[primary] === undefined) {
    throw new EvaluationInputError(
      `the primary metric ${primary} is undefined on this holdout (${classCount} classes; ROC-AUC and PR-AUC need a binary task with both classes present)`,
    )
  }
  const rules: Partial<Record<GateMeasure, MeasureRule>> = { ...thresholds.rules }
  rules[primary] ??= { minChange: 0, greaterIsBetter: GATE_MEASURES[primary] }
  const candidateMeasures = measuresOf(candidate)
  const baselineMeasures: Partial<Record<string, number>> =
    baseline.kind === 'evaluated'
      ? measuresOf(baseline.evaluation)
      : baseline.kind === 'logged'
        ? baseline.metrics
        : {}
  const comparisons = (Object.keys(GATE_MEASURES) as GateMeasure[])
    .filter((m) => candidateMeasures[m] !== undefined || rules[m] !== undefined)
    .map((m) =>
      compare(m, candidateMeasures[m], baselineMeasures[m], rules[m]?.greaterIsBetter ?? GATE_MEASURES[m]),
    )
  const outcomes = comparisons.flatMap((c) =>
    rules[c.measure] ? applyRule(rules[c.measure]!, c, baseline.kind) : [],
  )

  let interval: PrimaryInterval | undefined
  let mcnemar: McNemarResult | undefined
  let significance: GateDecision['significance'] = 'untested'
  const greaterIsBetter = rules[primary]!.greaterIsBetter
  if (baseline.kind === 'evaluated') {
    const statistic = pairedStatistic(primary, actual, candidate, baseline.evaluation, classCount)
    const options = {
      rows: actual.length,
      resamples: thresholds.resamples,
      seed: thresholds.seed,
      confidence: thresholds.confidence,
    }
    interval = { metric: primary, ...pairedBootstrapInterval(options, statistic) }
    const better = greaterIsBetter ? interval.low > 0 : interval.high < 0
    const worse = greaterIsBetter ? interval.high < 0 : interval.low > 0
    significance = better ? 'better' : worse ? 'worse' : 'no significant change'
    mcnemar = mcnemarTest(actual, baseline.evaluation.predicted, candidate.predicted)
  }
  if (thresholds.requireSignificance) {
    const base = {
      measure: primary,
      rule: 'require_significance' as const,
      threshold: true,
      value: interval?.estimate,
    }
    if (baseline.kind === 'none') {
      outcomes.push({
        ...base,
        status: 'skipped',
        message: 'no champion: significance not required of a first model',
      })
    } else if (baseline.kind === 'logged') {
      outcomes.push({
        ...base,
        status: 'fail',
        message:
          'require_significance needs both models evaluated on the holdout, but the baseline is logged metrics only',
      })
    } else {
      const ok = significance === 'better'
      outcomes.push({
        ...base,
        status: ok ? 'pass' : 'fail',
        message: `${primary} is ${ok ? '' : 'not '}significantly better (${describeInterval(interval!)})`,
      })
    }
  }

  const failed = outcomes.filter((o) => o.status === 'fail')
  const verdict = failed.length === 0 ? 'pass' : 'fail'
  let headline: string
  if (failed.length > 0) headline = failed.map((o) => o.message).join('; ')
  else if (baseline.kind === 'none')
    headline = 'first model (no champion): passed on absolute thresholds alone'
  else if (baseline.kind === 'logged') {
    headline = `compared with the baseline's logged metrics only (not re-evaluated, so no confidence interval)`
  } else {
    const prefix =
      significance === 'no significant change'
        ? 'no significant change in'
        : `significantly ${significance} on`
    headline = `${prefix} ${primary} (${describeInterval(interval!)})`
  }
  return {
    verdict,
    headline,
    primary,
    baseline: baseline.kind,
    comparisons,
    rules: outcomes,
    interval,
    significance,
    mcnemar,
  }
}

export function describeInterval(interval: PrimaryInterval): string {
  const pct = Math.round(interval.confidence * 100)
  return `Δ ${signed(interval.estimate)}, ${pct}% CI [${signed(interval.low)}, ${signed(interval.high)}]`
}
