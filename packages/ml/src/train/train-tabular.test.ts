import { rocAuc } from '../metrics.js'
import { predictWithOnnx } from './evaluate-onnx.js'
import { TrainingDataError } from './features.js'
import { logisticRegressionTrainer } from './logistic-regression-trainer.js'
import { ParamError } from './params.js'
import { kFolds, parseSearchSpace, searchCandidates, SearchSpaceError } from './search.js'
import { mulberry32 } from './seeded-random.js'
import { classOrder, trainTabular, type TabularColumn } from './train-tabular.js'

/** Three classes driven by x1, x2 and a colour, with noise, some missing values and an unlabelled row. */
function synthetic(rows: number, seed: number): TabularColumn[] {
  const random = mulberry32(seed)
  const x1: Array<number | null> = []
  const x2: Array<number | null> = []
  const colour: Array<string | null> = []
  const label: Array<string | null> = []
  for (let i = 0; i < rows; i++) {
    const a = random() * 4 - 2
    const b = random() * 4 - 2
    const c = ['red', 'green', 'blue'][Math.floor(random() * 3)]!
    const score = a + (c === 'red' ? 1 : 0) + 0.3 * (random() - 0.5)
    x1.push(i % 17 === 0 ? null : a)
    x2.push(b)
    colour.push(i % 23 === 0 ? null : c)
    label.push(i === 5 ? null : score > 1 ? 'high' : score > -0.5 ? 'mid' : b > 0 ? 'low' : 'low')
  }
  return [
    { name: 'x1', kind: 'numeric', values: x1 },
    { name: 'x2', kind: 'numeric', values: x2 },
    { name: 'colour', kind: 'categorical', values: colour },
    { name: 'id', kind: 'numeric', values: Array.from({ length: rows }, (_, i) => i) },
    { name: 'label', kind: 'categorical', values: label },
  ]
}

describe('trainTabular', () => {
  const columns = synthetic(1500, 3)

  test('multiclass: onnxruntime agrees with the trainer, and the metrics are those of the exported graph', async () => {
    const progress: number[] = []
    const trained = await trainTabular({
      columns,
      target: 'label',
      exclude: ['id'],
      trainer: logisticRegressionTrainer,
      params: { C: 10 },
      seed: 7,
      onProgress: (p) => progress.push(p.step),
    })
    expect(trained.classes).toEqual(['high', 'low', 'mid'])
    expect(trained.task).toBe('multiclass')
    expect(trained.specs.map((s) => s.name)).toEqual(['x1', 'x2', 'colour'])
    expect(trained.exportError).toBeLessThan(1e-5)
    expect(trained.rows).toEqual({ train: 1199, test: 300, droppedMissingTarget: 1 })
    expect(trained.params).toEqual({ C: 10, max_iter: 1000, tol: 1e-6 })
    expect(progress.length).toBeGreaterThan(3)
    expect(trained.curve.length).toBe(progress.length)
    // x2 does not drive the label: it must rank last.
    expect(trained.importances.map((i) => i.column).at(-1)).toBe('x2')
    expect(trained.score.metrics.accuracy).toBeGreaterThan(0.8)
    expect(trained.score.metrics.roc_auc).toBeUndefined()
    const { report } = trained.score
    expect(report.confusion.flat().reduce((a, b) => a + b, 0)).toBe(300)
  })

  test('binary: ROC-AUC is computed from onnxruntime probabilities on the holdout', async () => {
    const binary = columns.map((c) =>
      c.name === 'label'
        ? { ...c, values: c.values.map((v) => (v === null ? null : v === 'high' ? '1' : '0')) }
        : c,
    )
    const trained = await trainTabular({
      columns: binary,
      target: 'label',
      exclude: ['id'],
      trainer: logisticRegressionTrainer,
    })
    expect(trained.classes).toEqual(['0', '1'])
    // Recompute from an independent onnxruntime run on the same holdout rows.
    const labelled = binary[4]!.values.map((v, i) => (v === null ? -1 : i)).filter((i) => i >= 0)
    const { trainTestSplit } = await import('./features.js')
    const { test } = trainTestSplit(labelled.length, 0.2, 42)
    const feature = (name: string) => ({
      name,
      values: labelled.map((r) => binary.find((c) => c.name === name)!.values[r]!),
    })
    const { probabilities } = await predictWithOnnx(
      trained.onnx,
      trained.specs,
      ['x1', 'x2', 'colour'].map(feature),
      test,
    )
    const y = test.map((r) => (binary[4]!.values[labelled[r]!] === '1' ? 1 : 0))
    expect(trained.score.metrics.roc_auc).toBeCloseTo(
      rocAuc(
        y,
        test.map((_, i) => probabilities[i * 2 + 1]!),
      ),
      12,
    )
  })

  test('bad input is a clear error', async () => {
    const base = { columns, trainer: logisticRegressionTrainer }
    await expect(trainTabular({ ...base, target: 'lable' })).rejects.toThrow(
      "target column 'lable' is not in the data; columns: x1, x2, colour, id, label",
    )
    const oneClass = columns.map((c) =>
      c.name === 'label' ? { ...c, values: c.values.map(() => 'yes') } : c,
    )
    await expect(trainTabular({ ...base, columns: oneClass, target: 'label' })).rejects.toThrow(
      new TrainingDataError(
        "target column 'label' has only one class ('yes') in 1500 labelled rows; a classifier needs two or more",
      ),
    )
    await expect(trainTabular({ ...base, target: 'label', params: { c: 1 } })).rejects.toThrow(
      new ParamError("logistic-regression has no parameter 'c'; it takes C, max_iter, tol", 'c'),
    )
    await expect(trainTabular({ ...base, target: 'label', params: { max_iter: 0.5 } })).rejects.toThrow(
      "logistic-regression parameter 'max_iter' must be a whole number >= 1, got 0.5",
    )
    await expect(trainTabular({ ...base, target: 'label', exclude: ['ID'] })).rejects.toThrow(
      "excluded column 'ID' is not in the data",
    )
  })

  test('grid search keeps every trial, picks the best by cross-validation, and refits it', async () => {
    const space = parseSearchSpace('folds: 3\nmetric: accuracy\nparams:\n  C: [0.0001, 10]\n', 'space.yml')
    const trials: number[] = []
    const trained = await trainTabular({
      columns,
      target: 'label',
      exclude: ['id'],
      trainer: logisticRegressionTrainer,
      search: space,
      onTrial: (_, index) => trials.push(index),
    })
    expect(trials).toEqual([0, 1])
    const search = trained.search!
    expect(search.trials.map((t) => t.params.C)).toEqual([0.0001, 10])
    expect(search.trials.every((t) => t.foldScores.length === 3)).toBe(true)
    // Almost no regularisation beats crushing every weight to zero (which predicts the majority class only).
    expect(search.best).toBe(1)
    expect(search.trials[1]!.score).toBeGreaterThan(search.trials[0]!.score + 0.2)
    expect(trained.params.C).toBe(10)
  })
})

describe('search space', () => {
  test('grid is the cartesian product in order; random draws are seeded and within range', () => {
    const grid = parseSearchSpace('params:\n  C: [1, 2]\n  max_iter: [10, 20, 30]\n', 's.yml')
    const candidates = searchCandidates(grid, logisticRegressionTrainer.params, 'logistic-regression', 1)
    expect(candidates.map((c) => [c.C, c.max_iter])).toEqual([
      [1, 10],
      [1, 20],
      [1, 30],
      [2, 10],
      [2, 20],
      [2, 30],
    ])
    const random = parseSearchSpace(
      'strategy: random\ntrials: 50\nparams:\n  C: { min: 0.01, max: 100, log: true }\n',
      'r.yml',
    )
    const a = searchCandidates(random, logisticRegressionTrainer.params, 'logistic-regression', 9)
    const b = searchCandidates(random, logisticRegressionTrainer.params, 'logistic-regression', 9)
    expect(a).toEqual(b)
    const cs = a.map((c) => c.C as number)
    expect(Math.min(...cs)).toBeGreaterThanOrEqual(0.01)
    expect(Math.max(...cs)).toBeLessThanOrEqual(100)
    // Log-uniform: about half the draws fall below the geometric middle, 1.
    expect(cs.filter((c) => c < 1).length).toBeGreaterThan(15)
    expect(cs.filter((c) => c < 1).length).toBeLessThan(35)
  })

  test('folds partition the rows evenly', () => {
    const assignment = kFolds(10, 3, 4)
    const sizes = [0, 1, 2].map((f) => assignment.filter((a) => a === f).length)
    expect(sizes.sort()).toEqual([3, 3, 4])
  })

  test.each([
    ['strategy: best\nparams:\n  C: [1]\n', 's.yml:1: \'strategy\' must be grid or random, got "best"'],
    [
      'params:\n  C: [1]\nfold: 3\n',
      "s.yml:3: unknown key 'fold'; expected strategy, trials, folds, holdout, metric, params",
    ],
    [
      'params:\n  C: { min: 1, max: 10 }\n',
      "s.yml:2: grid search needs a list of values for 'C', not a range",
    ],
    [
      'params:\n  C: 3\n',
      "s.yml:2: parameter 'C' must be a list of values or a range { min, max, log?, integer? }",
    ],
    [
      'metric: auc\nparams:\n  C: [1]\n',
      's.yml:1: \'metric\' must be one of accuracy, precision_macro, recall_macro, f1_macro, roc_auc, pr_auc, log_loss, got "auc"',
    ],
    ['params: [\n', 's.yml:2: '],
  ])('%j is refused at its line', (text, message) => {
    expect(() => parseSearchSpace(text, 's.yml')).toThrow(SearchSpaceError)
    expect(() => parseSearchSpace(text, 's.yml')).toThrow(message)
  })

  test('a value the model refuses names the line of its parameter', () => {
    const space = parseSearchSpace('params:\n  tol: [0.1]\n  C: [1, -1]\n', 's.yml')
    expect(() => searchCandidates(space, logisticRegressionTrainer.params, 'logistic-regression', 1)).toThrow(
      "s.yml:3: logistic-regression parameter 'C' must be a number > 0, got -1",
    )
  })
})

test('class order is numeric when every label is a number', () => {
  expect(classOrder(['10', '2', '1'])).toEqual(['1', '2', '10'])
  expect(classOrder(['b', 'a', '10'])).toEqual(['10', 'a', 'b'])
})
