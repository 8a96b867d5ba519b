import { mulberry32 } from '../train/seeded-random.js'
import type { ModelEvaluation } from './evaluate-holdout.js'
import { DEFAULT_THRESHOLDS, type GateThresholds } from './gate-thresholds.js'
import { decideGate } from './quality-gate.js'
import { scoreClassifier } from '../score.js'

const rows = 800
const random = mulberry32(5)
const actual = Int32Array.from({ length: rows }, () => (random() < 0.4 ? 1 : 0))

/** A model whose positive-class score carries `signal` of the label. */
function evaluation(signal: number, seed: number, extra: Partial<ModelEvaluation> = {}): ModelEvaluation {
  const noise = mulberry32(seed)
  const probabilities = new Float32Array(rows * 2)
  actual.forEach((y, i) => {
    const p = 1 / (1 + Math.exp(-(signal * (y - 0.5) * 4 + (noise() - 0.5) * 4)))
    probabilities.set([1 - p, p], i * 2)
  })
  const score = scoreClassifier(actual, probabilities, 2)
  return {
    metrics: score.metrics,
    confusion: score.report.confusion,
    predicted: score.predicted,
    probabilities,
    latencyMsPerRow: 0.01,
    latencyMsSingleRow: 0.1,
    sizeBytes: 2000,
    ...extra,
  }
}

const thresholds = (t: Partial<GateThresholds> = {}): GateThresholds => ({
  ...DEFAULT_THRESHOLDS,
  rules: {},
  source: 'test',
  ...t,
})

describe('decideGate', () => {
  const weak = evaluation(0.3, 1)
  const strong = evaluation(1, 2)

  it('a worse candidate fails the default no-regression rule on the primary metric, naming it', () => {
    const d = decideGate({
      actual,
      classCount: 2,
      candidate: weak,
      baseline: { kind: 'evaluated', evaluation: strong },
      thresholds: thresholds(),
    })
    expect(d.verdict).toBe('fail')
    expect(d.primary).toBe('roc_auc')
    expect(d.headline).toMatch(/^roc_auc change -0\.\d{4} .* is below min_change \+0/)
    expect(d.significance).toBe('worse')
    expect(d.interval!.high).toBeLessThan(0)
  })

  it('a better candidate passes, significantly; an identical one passes with no significant change', () => {
    const better = decideGate({
      actual,
      classCount: 2,
      candidate: strong,
      baseline: { kind: 'evaluated', evaluation: weak },
      thresholds: thresholds(),
    })
    expect(better.verdict).toBe('pass')
    expect(better.headline).toMatch(
      /^significantly better on roc_auc \(Δ \+0\.\d+, 95% CI \[\+0\.\d+, \+0\.\d+\]\)/,
    )
    const same = decideGate({
      actual,
      classCount: 2,
      candidate: strong,
      baseline: { kind: 'evaluated', evaluation: strong },
      thresholds: thresholds(),
    })
    expect(same.verdict).toBe('pass')
    expect(same.headline).toBe('no significant change in roc_auc (Δ +0.0000, 95% CI [+0.0000, +0.0000])')
    expect(same.mcnemar).toMatchObject({ baselineOnly: 0, candidateOnly: 0, pValue: 1 })
  })

  it('require_significance fails an unchanged model and a metrics-only baseline', () => {
    const same = decideGate({
      actual,
      classCount: 2,
      candidate: strong,
      baseline: { kind: 'evaluated', evaluation: strong },
      thresholds: thresholds({ requireSignificance: true }),
    })
    expect(same.verdict).toBe('fail')
    expect(same.headline).toMatch(/roc_auc is not significantly better/)
    const logged = decideGate({
      actual,
      classCount: 2,
      candidate: strong,
      baseline: { kind: 'logged', metrics: { roc_auc: 0.5 } },
      thresholds: thresholds({ requireSignificance: true }),
    })
    expect(logged.headline).toMatch(/baseline is logged metrics only/)
  })

  it('no champion: absolute rules only, change rules skipped, and it says so', () => {
    const t = thresholds({
      rules: {
        roc_auc: { min: 0.9, greaterIsBetter: true },
        log_loss: { minChange: 0, greaterIsBetter: false },
      },
    })
    const failing = decideGate({
      actual,
      classCount: 2,
      candidate: weak,
      baseline: { kind: 'none' },
      thresholds: t,
    })
    expect(failing.verdict).toBe('fail')
    expect(failing.headline).toMatch(/^roc_auc 0\.\d{4} is below the floor 0\.9$/)
    expect(failing.rules.find((r) => r.measure === 'log_loss')!.status).toBe('skipped')
    const first = decideGate({
      actual,
      classCount: 2,
      candidate: strong,
      baseline: { kind: 'none' },
      thresholds: thresholds(),
    })
    expect(first.verdict).toBe('pass')
    expect(first.headline).toBe('first model (no champion): passed on absolute thresholds alone')
  })

  it('lower-is-better measures: a slower, bigger candidate fails relative and ceiling rules', () => {
    const slow = { ...strong, latencyMsPerRow: 0.05, sizeBytes: 5000 }
    const d = decideGate({
      actual,
      classCount: 2,
      candidate: slow,
      baseline: { kind: 'evaluated', evaluation: strong },
      thresholds: thresholds({
        rules: {
          latency_ms_per_row: { minRelativeChange: -0.5, greaterIsBetter: false },
          model_size_bytes: { max: 4096, greaterIsBetter: false },
        },
      }),
    })
    expect(d.verdict).toBe('fail')
    const failed = d.rules.filter((r) => r.status === 'fail').map((r) => `${r.measure}.${r.rule}`)
    expect(failed).toEqual(['latency_ms_per_row.min_relative_change', 'model_size_bytes.max'])
    expect(d.comparisons.find((c) => c.measure === 'latency_ms_per_row')!.relativeChange).toBeCloseTo(-4)
  })
})
