import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createGateFixture, type GateFixture } from './gate-fixture.js'

let fixture: GateFixture
beforeAll(async () => {
  fixture = await createGateFixture('quality-gate-dist-')
})
afterAll(() => fixture.cleanup())

const local = { comment: 'false' }

describe('quality-gate from its committed dist (onnxruntime-web inside the bundle)', () => {
  it('a candidate trained with fewer iterations than the champion fails, naming the rule', async () => {
    const run = await fixture.run({ ...local, candidate: 'models/weak', baseline: 'models/strong' })
    expect(run.exitCode).toBe(1)
    expect(run.outputs.verdict).toBe('fail')
    expect(run.log).toMatch(
      /Quality gate failed: roc_auc change -0\.\d{4} \(higher is better; candidate 0\.\d{4} vs champion 0\.\d{4}\) is below min_change \+0/,
    )
    expect(run.log).not.toMatch(/\n\s+at /)
    const deltas = JSON.parse(run.outputs.deltas!)
    expect(deltas.roc_auc.change).toBeLessThan(-0.02)
    expect(deltas.roc_auc.delta).toBeCloseTo(deltas.roc_auc.candidate - deltas.roc_auc.baseline, 12)
    expect(deltas.log_loss.change).toBeCloseTo(-deltas.log_loss.delta, 12)
    expect(deltas.model_size_bytes.candidate).toBeGreaterThan(1000)
    expect(deltas.latency_ms_per_row.candidate).toBeGreaterThan(0)
    const report = await readFile(run.outputs.report!, 'utf8')
    expect(report.trim()).toBe(run.summary.trim())
    expect(report).toContain('## ❌ Quality gate `quality-gate`: fail')
    expect(report).toMatch(
      /\*\*roc_auc\*\*, paired bootstrap \(1000 resamples .*\): Δ -0\.\d{4}, 95% CI \[-0\.\d{4}, -0\.\d{4}\] → \*\*worse\*\*/,
    )
    expect(report).toContain("McNemar's test")
    expect(report).toContain('| actual | candidate: 0 | candidate: 1 | champion: 0 | champion: 1 |')
    const gate = JSON.parse(await readFile(join(fixture.workspace, 'quality-gate', 'gate.json'), 'utf8'))
    expect(gate).toMatchObject({ schema: 'mlops-actions/quality-gate@1', holdout: { rows: 3000 } })
  })

  it('a candidate trained with more iterations than the champion passes, significantly better', async () => {
    const run = await fixture.run({ ...local, candidate: 'models/strong', baseline: 'models/weak' })
    expect(run.exitCode).toBe(0)
    expect(run.outputs.verdict).toBe('pass')
    expect(run.log).toMatch(
      /Quality gate passed: significantly better on roc_auc \(Δ \+0\.\d{4}, 95% CI \[\+0\.\d{4}, \+0\.\d{4}\]\)/,
    )
    expect(run.summary).toContain('## ✅ Quality gate `quality-gate`: pass')
    expect(run.outputs.promoted).toBe('false')
  })

  it('identical models pass with "no significant change"', async () => {
    const run = await fixture.run({ ...local, candidate: 'models/strong', baseline: 'models/strong' })
    expect(run.exitCode).toBe(0)
    expect(run.log).toContain(
      'Quality gate passed: no significant change in roc_auc (Δ +0.0000, 95% CI [+0.0000, +0.0000])',
    )
    expect(JSON.parse(run.outputs.deltas!).accuracy.delta).toBe(0)
  })

  it('require-significance turns "no significant change" into a fail', async () => {
    const run = await fixture.run({
      ...local,
      candidate: 'models/strong',
      baseline: 'models/strong',
      'require-significance': 'true',
    })
    expect(run.exitCode).toBe(1)
    expect(run.log).toMatch(/Quality gate failed: roc_auc is not significantly better/)
  })

  it('a metrics JSON baseline compares logged numbers only, and says so', async () => {
    const run = await fixture.run({
      ...local,
      candidate: 'models/strong',
      baseline: 'models/weak/bundle.json',
      thresholds: '{metrics: {roc_auc: {min: 0.55, min_change: -0.2}, latency_ms_per_row: {max: 5}}}',
    })
    expect(run.exitCode).toBe(0)
    expect(run.log).toContain(
      "compared with the baseline's logged metrics only (not re-evaluated, so no confidence interval)",
    )
    expect(run.summary).toContain('No confidence interval: the baseline was not re-evaluated')
  })

  it('no baseline: a first model passes on absolute thresholds alone, and says so', async () => {
    const run = await fixture.run({
      ...local,
      candidate: 'models/strong',
      thresholds: '{metrics: {roc_auc: {min: 0.55, min_change: 0.01}}}',
    })
    expect(run.exitCode).toBe(0)
    expect(run.log).toContain('first model (no champion): passed on absolute thresholds alone')
    expect(run.summary).toMatch(/\| roc\\_auc \| min\\_change \| 0\.01 \| ➖ skipped \|/)
  })

  describe('bad input is one clear error naming what to fix, never a stack trace', () => {
    const cases: Array<[string, Record<string, string>, Record<string, string>, RegExp]> = [
      [
        "the models' signatures differ",
        { candidate: 'models/strong', baseline: 'models/narrow' },
        {},
        /signature mismatch: the candidate takes column 'bmi', which the champion does not/,
      ],
      [
        'the holdout lacks a column the models take',
        { candidate: 'models/strong', baseline: 'models/weak', holdout: 'holdout-no-bmi.csv' },
        {},
        /the holdout holdout-no-bmi\.csv has no column 'bmi', an input of the models/,
      ],
      [
        'a thresholds file with a typo, by line',
        { candidate: 'models/strong', 'thresholds-file': 'gate.yml' },
        { 'gate.yml': 'metrics:\n  roc_auc: { min: 0.6 }\n  f1: { min: 0.5 }\n' },
        /gate\.yml:3: unknown metric 'f1'/,
      ],
      [
        'promotion of a model that is not registered',
        { candidate: 'models/strong', promote: 'true' },
        {},
        /'candidate' must be a registered version/,
      ],
      [
        'a candidate that does not exist',
        { candidate: 'models/nope' },
        {},
        /Input 'candidate' is 'models\/nope'/,
      ],
    ]
    it.each(cases)('%s', async (_, inputs, files, message) => {
      for (const [name, text] of Object.entries(files)) await writeFile(join(fixture.workspace, name), text)
      const run = await fixture.run({ ...local, ...inputs })
      expect(run.exitCode).toBe(1)
      expect(run.log).toMatch(message)
      expect(run.log).not.toMatch(/\n\s+at /)
      expect(run.log).not.toContain('Unexpected error')
    })
  })
})
