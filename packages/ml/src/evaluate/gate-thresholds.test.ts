import { parseGateThresholds, ThresholdsError } from './gate-thresholds.js'

describe('parseGateThresholds', () => {
  it('reads rules with directions defaulted from the metric and overridable', () => {
    const t = parseGateThresholds(
      [
        'primary: pr_auc',
        'require_significance: true',
        'resamples: 500',
        'metrics:',
        '  roc_auc: { min: 0.6, min_change: -0.01 }',
        '  log_loss:',
        '    max: 0.5',
        '    min_relative_change: -0.02',
        '  latency_ms_per_row: { max: 2 }',
        '  accuracy: { min_change: 0, greater_is_better: false }',
      ].join('\n'),
      'gate.yml',
    )
    expect(t).toMatchObject({
      primary: 'pr_auc',
      requireSignificance: true,
      resamples: 500,
      confidence: 0.95,
    })
    expect(t.rules.roc_auc).toEqual({ min: 0.6, minChange: -0.01, greaterIsBetter: true, line: 5 })
    expect(t.rules.log_loss).toEqual({ max: 0.5, minRelativeChange: -0.02, greaterIsBetter: false, line: 6 })
    expect(t.rules.latency_ms_per_row?.greaterIsBetter).toBe(false)
    expect(t.rules.accuracy?.greaterIsBetter).toBe(false)
  })

  it('an empty file means the defaults', () => {
    expect(parseGateThresholds('', 'gate.yml')).toMatchObject({ rules: {}, resamples: 1000, seed: 42 })
  })

  it.each([
    ['metrics:\n  roc_auc: { min: 0.6 }\n  rocauc: { min: 0.5 }\n', /gate\.yml:3: unknown metric 'rocauc'/],
    ['metrics:\n  roc_auc:\n    min: high\n', /gate\.yml:3: roc_auc\.min must be a number, got "high"/],
    ['metrics:\n  roc_auc:\n    floor: 0.5\n', /gate\.yml:3: unknown rule 'floor' for roc_auc/],
    ['confidence: 95\n', /gate\.yml:1: 'confidence' must be a level between 0\.5 and 1/],
    ['metrics:\n  roc_auc: 0.7\n', /gate\.yml:2: metric 'roc_auc' needs a mapping of rules/],
    ['metrics:\n  roc_auc: { min: 0.8, max: 0.7 }\n', /gate\.yml:2: roc_auc: min 0\.8 is above max 0\.7/],
    ['thresholds:\n  x: 1\n', /gate\.yml:1: unknown key 'thresholds'/],
    ['metrics:\n  roc_auc: { min: [0.5\n', /gate\.yml:\d+: /],
  ])('%j fails naming the line', (text, message) => {
    expect(() => parseGateThresholds(text, 'gate.yml')).toThrow(ThresholdsError)
    expect(() => parseGateThresholds(text, 'gate.yml')).toThrow(message)
  })
})
