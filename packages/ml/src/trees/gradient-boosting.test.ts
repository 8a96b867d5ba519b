import { execFileSync } from 'node:child_process'
import { mulberry32 } from '../train/seeded-random.js'
import { ParamError, resolveParams } from '../train/params.js'
import { trainTabular, type TabularColumn } from '../train/train-tabular.js'
import type { TrainProgress } from '../train/trainer.js'
import type { FeatureSpec } from '../onnx/preprocess.js'
import { gradientBoostingTrainer } from './gbt-trainer.js'
import {
  fitGradientBoosting,
  predictGradientBoosting,
  type GradientBoostingOptions,
} from './gradient-boosting.js'

const defaults = (overrides: Partial<GradientBoostingOptions> = {}): GradientBoostingOptions => ({
  learningRate: 0.1,
  maxIter: 100,
  maxLeafNodes: 31,
  maxDepth: null,
  minSamplesLeaf: 20,
  l2Regularization: 0,
  maxBins: 255,
  earlyStopping: 'auto',
  validationFraction: 0.1,
  nIterNoChange: 10,
  tol: 1e-7,
  seed: 1,
  ...overrides,
})

/** A binary problem in three already-standardised features (numeric specs with mean 0, std 1), one noise. */
function problem(rows: number, seed: number, noise = 0.5) {
  const next = mulberry32(seed)
  const x = new Float64Array(rows * 3)
  const y = new Int32Array(rows)
  for (let i = 0; i < rows; i++) {
    const a = next() * 4 - 2
    const b = next() * 4 - 2
    x.set([a, b, next()], i * 3)
    y[i] = Math.sin(2 * a) + b * b - 1 + noise * (next() - 0.5) * 4 > 0 ? 1 : 0
  }
  const specs: FeatureSpec[] = ['a', 'b', 'noise'].map((name) => ({
    name,
    kind: 'numeric',
    fill: 0,
    mean: 0,
    std: 1,
  }))
  return { x, y, specs }
}

describe('fitGradientBoosting', () => {
  it('learns a non-linear boundary and puts the importance on the informative features', () => {
    const { x, y, specs } = problem(4_000, 1, 0)
    const model = fitGradientBoosting(x, 4_000, y, 2, specs, defaults({ earlyStopping: 'off' }))
    const test = problem(2_000, 2, 0)
    const p = predictGradientBoosting(model, test.x, 2_000)
    let correct = 0
    for (let i = 0; i < 2_000; i++) if ((p[i * 2 + 1]! > 0.5 ? 1 : 0) === test.y[i]) correct++
    expect(correct / 2_000).toBeGreaterThan(0.95)
    expect(model.iterations).toBe(100)
    expect(model.gains[2]!).toBeLessThan(0.05 * (model.gains[0]! + model.gains[1]!))
  })

  it('stops early when the validation loss stalls and reports both losses every iteration', () => {
    const { x, y, specs } = problem(3_000, 3, 1)
    const progress: Array<{ iteration: number; trainLoss: number; validationLoss?: number }> = []
    const model = fitGradientBoosting(
      x,
      3_000,
      y,
      2,
      specs,
      defaults({
        earlyStopping: 'on',
        learningRate: 0.5,
        maxIter: 500,
        onIteration: (p) => progress.push(p),
      }),
    )
    expect(model.earlyStopped).toBe(true)
    expect(model.iterations).toBeLessThan(500)
    expect(progress.map((p) => p.iteration)).toEqual(
      Array.from({ length: model.iterations }, (_, i) => i + 1),
    )
    expect(progress.every((p) => Number.isFinite(p.validationLoss))).toBe(true)
    // Training loss keeps falling while the validation loss has turned: that is why it stopped.
    expect(progress.at(-1)!.trainLoss).toBeLessThan(progress[0]!.trainLoss)
    const best = Math.min(...progress.map((p) => p.validationLoss!))
    expect(progress.slice(-10).every((p) => p.validationLoss! >= best)).toBe(true)
  })

  it('respects max_depth, max_leaf_nodes and min_samples_leaf', () => {
    const { x, y, specs } = problem(2_000, 4)
    const depthOf = (left: Int32Array, right: Int32Array, node = 0): number =>
      left[node] === -1
        ? 0
        : 1 + Math.max(depthOf(left, right, left[node]), depthOf(left, right, right[node]))
    const shallow = fitGradientBoosting(
      x,
      2_000,
      y,
      2,
      specs,
      defaults({ earlyStopping: 'off', maxIter: 5, maxDepth: 2 }),
    )
    expect(Math.max(...shallow.trees.map((t) => depthOf(t.left, t.right)))).toBe(2)
    const small = fitGradientBoosting(
      x,
      2_000,
      y,
      2,
      specs,
      defaults({ earlyStopping: 'off', maxIter: 5, maxLeafNodes: 4 }),
    )
    expect(small.trees.every((t) => t.left.filter((l) => l === -1).length <= 4)).toBe(true)
    // With min_samples_leaf = 900 of 2,000 rows, a tree can split at most once (no child can split again).
    const coarse = fitGradientBoosting(
      x,
      2_000,
      y,
      2,
      specs,
      defaults({ earlyStopping: 'off', maxIter: 3, minSamplesLeaf: 900 }),
    )
    expect(coarse.trees.every((t) => t.left.length <= 3)).toBe(true)
  })

  it.each([2, 3])(
    'gives scikit-learn HistGradientBoostingClassifier probabilities with the same settings (%i classes)',
    (classes) => {
      const { x, y, specs } = problem(3_000, 5)
      const test = problem(1_000, 6)
      // Three classes: split the positive class by the sign of the first feature.
      const relabel = (labels: Int32Array, matrix: Float64Array) =>
        classes === 2 ? labels : labels.map((l, i) => (l === 1 && matrix[i * 3]! > 0 ? 2 : l))
      const yTrain = relabel(y, x)
      const model = fitGradientBoosting(
        x,
        3_000,
        yTrain,
        classes,
        specs,
        defaults({ earlyStopping: 'off', maxIter: 30 }),
      )
      const ours = predictGradientBoosting(model, test.x, 1_000)
      const script = `
import json, sys
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
d = json.load(sys.stdin)
m = HistGradientBoostingClassifier(max_iter=30, early_stopping=False, random_state=0)
m.fit(np.array(d['x'], dtype=np.float32).reshape(-1, 3), d['y'])
print(json.dumps(m.predict_proba(np.array(d['t'], dtype=np.float32).reshape(-1, 3)).ravel().tolist()))`
      const theirs = JSON.parse(
        execFileSync('/usr/bin/python3', ['-c', script], {
          input: JSON.stringify({
            x: Array.from(x, Math.fround),
            y: Array.from(yTrain),
            t: Array.from(test.x, Math.fround),
          }),
          encoding: 'utf8',
          env: { ...process.env, OMP_NUM_THREADS: '1' },
        }),
      ) as number[]
      expect(theirs.length).toBe(ours.length)
      // Same bins, same float32 gradients, same gains, same leaf-wise order: the same trees. (With float64
      // gradients, exact gain ties in small nodes of the first multiclass iteration broke differently.)
      const differences = theirs.map((p, i) => Math.abs(p - ours[i]!))
      expect(Math.max(...differences)).toBeLessThan(1e-5)
    },
  )
})

describe('gbt trainer parameters', () => {
  it.each([
    [{ learning_rate: 0 }, 'learning_rate'],
    [{ max_leaf_nodes: 1 }, 'max_leaf_nodes'],
    [{ max_bins: 256 }, 'max_bins'],
    [{ early_stopping: true }, 'early_stopping'],
    [{ validation_fraction: 1 }, 'validation_fraction'],
    [{ max_depth: 2.5 }, 'max_depth'],
    [{ n_estimators: 10 }, 'n_estimators'],
  ])('%j is a ParamError naming %s', (given, param) => {
    let error: unknown
    try {
      resolveParams(gradientBoostingTrainer.params, given, gradientBoostingTrainer.name)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ParamError)
    expect((error as ParamError).param).toBe(param)
    expect((error as ParamError).message).toContain(`'${param}'`)
  })

  it('trainTabular reports per-iteration progress with train and validation losses above 10,000 rows', async () => {
    const next = mulberry32(9)
    const rows = 13_000
    const u = Array.from({ length: rows }, () => next())
    const columns: TabularColumn[] = [
      { name: 'u', kind: 'numeric', values: u },
      { name: 'label', kind: 'categorical', values: u.map((v) => (v + 0.3 * next() > 0.65 ? 'yes' : 'no')) },
    ]
    const seen: TrainProgress[] = []
    const trained = await trainTabular({
      columns,
      target: 'label',
      trainer: gradientBoostingTrainer,
      params: { max_iter: 40 },
      onProgress: (p) => seen.push(p),
    })
    expect(seen.length).toBe(trained.details.iterations)
    expect(seen[0]).toMatchObject({ unit: 'iteration', step: 1, total: 40 })
    expect(seen.every((p) => p.trainLoss! > 0 && p.validationLoss! > 0)).toBe(true)
    expect(trained.importances[0]).toMatchObject({ column: 'u', importance: 1 })
    expect(trained.exportError).toBeLessThan(1e-5)
  })
})
