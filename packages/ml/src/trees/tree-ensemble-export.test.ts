import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { mulberry32 } from '../train/seeded-random.js'
import { trainTabular, type TabularColumn } from '../train/train-tabular.js'
import type { TabularTrainer } from '../train/trainer.js'
import { gradientBoostingTrainer } from './gbt-trainer.js'
import { randomForestTrainer } from './random-forest-trainer.js'

/**
 * Every exported tree graph must pass onnx.checker and give, in onnxruntime, the trainer's own probabilities
 * (trainTabular measures the largest difference on the holdout as exportError).
 */
function checkModel(bytes: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'onnx-check-'))
  try {
    const file = join(dir, 'model.onnx')
    writeFileSync(file, bytes)
    const script = [
      'import sys',
      'try:\n    import onnx\nexcept ImportError:\n    sys.exit("python3-onnx is missing: bash scripts/apt-deps.sh python3-onnx")',
      'onnx.checker.check_model(onnx.load(sys.argv[1]))',
      'print("ok")',
    ].join('\n')
    return execFileSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8' }).trim()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const readmission = resolve(import.meta.dirname, '../../../../examples/readmission/data/reference.csv')

/** The first rows of the embedded example, typed as the train action types them. */
function readmissionColumns(rows: number): TabularColumn[] {
  const lines = readFileSync(readmission, 'utf8').split('\n', rows + 1)
  const header = lines[0]!.split(',')
  const cells = lines.slice(1).map((l) => l.split(','))
  return header.map((name, c) => {
    const raw = cells.map((r) => r[c]!)
    const numeric = name !== 'readmitted_30d' && raw.every((v) => v === '' || Number.isFinite(Number(v)))
    return {
      name,
      kind: numeric ? 'numeric' : 'categorical',
      values: raw.map((v) => (v === '' ? null : numeric ? Number(v) : v)),
    }
  })
}

/**
 * Three classes from two numeric features with offsets large next to their spread (so float32 rounding of the
 * raw value matters), a few missing values, and a category that shifts the class.
 */
function threeClasses(rows: number, seed: number): TabularColumn[] {
  const next = mulberry32(seed)
  const a: Array<number | null> = []
  const b: Array<number | null> = []
  const colour: Array<string | null> = []
  const label: string[] = []
  for (let i = 0; i < rows; i++) {
    const u = next()
    const v = next()
    const c = ['red', 'green', 'blue'][Math.floor(next() * 3)]!
    // Values on a 0.001 grid around 1000: float32 keeps about 0.00006 of resolution there.
    a.push(next() < 0.03 ? null : Math.round((1000 + u) * 1000) / 1000)
    b.push(Math.round(v * 100) / 100)
    colour.push(next() < 0.05 ? null : c)
    const score = u + 0.5 * v + (c === 'blue' ? 0.3 : 0) + 0.2 * (next() - 0.5)
    label.push(score < 0.6 ? 'low' : score < 1.0 ? 'mid' : 'high')
  }
  return [
    { name: 'a', kind: 'numeric', values: a },
    { name: 'b', kind: 'numeric', values: b },
    { name: 'colour', kind: 'categorical', values: colour },
    { name: 'grade', kind: 'categorical', values: label },
  ]
}

const cases: Array<{ name: string; trainer: TabularTrainer; params: Record<string, unknown> }> = [
  { name: 'gbt', trainer: gradientBoostingTrainer, params: {} },
  { name: 'random_forest', trainer: randomForestTrainer, params: { n_estimators: 15, min_samples_leaf: 3 } },
]

describe.each(cases)('$name export', ({ trainer, params }) => {
  it('binary (readmission): passes onnx.checker and onnxruntime gives predictProba within 1e-5', async () => {
    const trained = await trainTabular({
      columns: readmissionColumns(12_000),
      target: 'readmitted_30d',
      exclude: ['patient_id'],
      trainer,
      params,
      seed: 7,
    })
    expect(checkModel(trained.onnx)).toBe('ok')
    expect(trained.exportError).toBeLessThan(1e-5)
    expect(trained.score.metrics.roc_auc).toBeGreaterThan(0.55)
    expect(trained.classes).toEqual(['0', '1'])
  })

  it('multiclass: passes onnx.checker, matches predictProba, labels are class names and beat chance', async () => {
    const trained = await trainTabular({
      columns: threeClasses(4_000, 3),
      target: 'grade',
      trainer,
      params,
      seed: 11,
    })
    expect(checkModel(trained.onnx)).toBe('ok')
    expect(trained.classes).toEqual(['high', 'low', 'mid'])
    expect(trained.exportError).toBeLessThan(1e-5)
    expect(trained.score.metrics.accuracy).toBeGreaterThan(0.75)
  })

  it('is deterministic: the same seed gives the same ONNX bytes', async () => {
    const fit = (seed: number) =>
      trainTabular({ columns: threeClasses(3_000, 5), target: 'grade', trainer, params, seed })
    const [first, again] = [await fit(1), await fit(1)]
    expect(Buffer.from(again.onnx).equals(Buffer.from(first.onnx))).toBe(true)
  })
})

describe('edge cases of the export', () => {
  it('trees that are a single leaf (no split allowed) still run in onnxruntime and match', async () => {
    const trained = await trainTabular({
      columns: threeClasses(300, 8).map((c) =>
        c.name === 'grade' ? { ...c, values: c.values.map((v) => (v === 'high' ? 'high' : 'other')) } : c,
      ),
      target: 'grade',
      trainer: gradientBoostingTrainer,
      params: { min_samples_leaf: 1_000, max_iter: 3, early_stopping: 'on' },
      seed: 2,
    })
    expect(trained.details.leaves).toBe(3)
    expect(checkModel(trained.onnx)).toBe('ok')
    expect(trained.exportError).toBeLessThan(1e-5)
  })

  it('a forest of stumps on a binary target matches predictProba', async () => {
    const trained = await trainTabular({
      columns: readmissionColumns(3_000),
      target: 'readmitted_30d',
      exclude: ['patient_id'],
      trainer: randomForestTrainer,
      params: { n_estimators: 5, max_depth: 1 },
      seed: 4,
    })
    expect(trained.exportError).toBeLessThan(1e-5)
    expect(trained.details.nodes).toBe(15)
  })
})
