import { mulberry32 } from '../train/seeded-random.js'
import { ParamError, resolveParams } from '../train/params.js'
import type { FeatureSpec } from '../onnx/preprocess.js'
import { fitRandomForest, predictRandomForest, type RandomForestOptions } from './random-forest.js'
import { randomForestTrainer } from './random-forest-trainer.js'

const options = (overrides: Partial<RandomForestOptions> = {}): RandomForestOptions => ({
  nEstimators: 20,
  maxDepth: null,
  minSamplesSplit: 2,
  minSamplesLeaf: 1,
  maxFeatures: 'sqrt',
  bootstrap: true,
  maxBins: 255,
  seed: 3,
  ...overrides,
})

/** Four standardised numeric features; the class depends on the first two only. */
function data(rows: number, seed: number) {
  const next = mulberry32(seed)
  const x = new Float64Array(rows * 4)
  const y = new Int32Array(rows)
  for (let i = 0; i < rows; i++) {
    const row = [next() * 2 - 1, next() * 2 - 1, next() * 2 - 1, next() * 2 - 1]
    x.set(row, i * 4)
    y[i] = row[0]! * row[1]! > 0 ? 1 : 0
  }
  const specs: FeatureSpec[] = ['a', 'b', 'c', 'd'].map((name) => ({
    name,
    kind: 'numeric',
    fill: 0,
    mean: 0,
    std: 1,
  }))
  return { x, y, specs }
}

const accuracy = (p: Float64Array, y: Int32Array) =>
  y.reduce((n, label, i) => n + ((p[i * 2 + 1]! > p[i * 2]! ? 1 : 0) === label ? 1 : 0), 0) / y.length

describe('fitRandomForest', () => {
  it('learns an interaction no single split shows, and its importance lands on those two features', () => {
    const train = data(3_000, 1)
    const test = data(1_000, 2)
    const forest = fitRandomForest(train.x, 3_000, train.y, 2, train.specs, options())
    expect(accuracy(predictRandomForest(forest, test.x, 1_000), test.y)).toBeGreaterThan(0.93)
    const [a, b, c, d] = forest.impurityDecrease
    expect(Math.min(a!, b!)).toBeGreaterThan(3 * Math.max(c!, d!))
  })

  it('probabilities are leaf class shares averaged over the trees and sum to one', () => {
    const train = data(500, 3)
    const forest = fitRandomForest(train.x, 500, train.y, 2, train.specs, options({ nEstimators: 7 }))
    const p = predictRandomForest(forest, train.x, 500)
    for (let i = 0; i < 500; i++) expect(p[i * 2]! + p[i * 2 + 1]!).toBeCloseTo(1, 6)
  })

  it('without bootstrap, all features and no limits, the trees fit the training rows exactly', () => {
    const train = data(800, 4)
    const forest = fitRandomForest(
      train.x,
      800,
      train.y,
      2,
      train.specs,
      options({ nEstimators: 2, bootstrap: false, maxFeatures: 'all' }),
    )
    expect(accuracy(predictRandomForest(forest, train.x, 800), train.y)).toBe(1)
  })

  it('respects max_depth and min_samples_leaf', () => {
    const train = data(1_000, 5)
    const depthOf = (left: Int32Array, right: Int32Array, node = 0): number =>
      left[node] === -1
        ? 0
        : 1 + Math.max(depthOf(left, right, left[node]), depthOf(left, right, right[node]))
    const shallow = fitRandomForest(train.x, 1_000, train.y, 2, train.specs, options({ maxDepth: 3 }))
    expect(Math.max(...shallow.trees.map((t) => depthOf(t.left, t.right)))).toBe(3)
    // A leaf of a bootstrap tree holds at least min_samples_leaf distinct rows: check on the unique training rows.
    const coarse = fitRandomForest(
      train.x,
      1_000,
      train.y,
      2,
      train.specs,
      options({ minSamplesLeaf: 50, bootstrap: false, nEstimators: 1 }),
    )
    const tree = coarse.trees[0]!
    const counts = new Map<number, number>()
    for (let i = 0; i < 1_000; i++) {
      let node = 0
      while (tree.left[node] !== -1)
        node =
          train.x[i * 4 + tree.feature[node]!]! <= tree.threshold[node]!
            ? tree.left[node]!
            : tree.right[node]!
      counts.set(node, (counts.get(node) ?? 0) + 1)
    }
    expect(Math.min(...counts.values())).toBeGreaterThanOrEqual(50)
  })

  it('bad parameters are ParamErrors naming the parameter', () => {
    for (const [given, param] of [
      [{ n_estimators: 0 }, 'n_estimators'],
      [{ max_features: 'half' }, 'max_features'],
      [{ min_samples_split: 1 }, 'min_samples_split'],
      [{ bootstrap: 'yes' }, 'bootstrap'],
      [{ learning_rate: 0.1 }, 'learning_rate'],
    ] as const) {
      expect(() => resolveParams(randomForestTrainer.params, given, randomForestTrainer.name)).toThrow(
        ParamError,
      )
      try {
        resolveParams(randomForestTrainer.params, given, randomForestTrainer.name)
      } catch (error) {
        expect((error as ParamError).param).toBe(param)
        expect((error as ParamError).message).toContain(`'${param}'`)
      }
    }
  })
})
