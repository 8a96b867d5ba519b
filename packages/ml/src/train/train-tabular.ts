import type { FeatureSpec } from '../onnx/preprocess.js'
import type { BundleInfo } from '../bundle/model-bundle.js'
import {
  defaultPrimaryMetric,
  GREATER_IS_BETTER,
  scoreClassifier,
  type ClassifierScore,
  type MetricName,
} from '../score.js'
import { predictWithOnnx } from './evaluate-onnx.js'
import {
  designMatrix,
  fitFeatureSpecs,
  TrainingDataError,
  trainTestSplit,
  type ColumnData,
} from './features.js'
import { resolveParams, type Params } from './params.js'
import { kFolds, searchCandidates, validationScore, type SearchSpace } from './search.js'
import type { FittedModel, TabularTrainer, TrainProgress } from './trainer.js'

export interface TabularColumn extends ColumnData {
  kind: 'numeric' | 'categorical'
}

export interface TrainTabularOptions {
  columns: readonly TabularColumn[]
  target: string
  trainer: TabularTrainer
  params?: Readonly<Record<string, unknown>>
  /** Columns left out of the features (ids, leaky columns). Unknown names are an error. */
  exclude?: readonly string[]
  seed?: number
  /** Share of rows held out for the metrics. Default 0.2. */
  testShare?: number
  onProgress?: (progress: TrainProgress) => void
  /** Hyperparameter search on the training split; the best trial's parameters are then fitted on all of it. */
  search?: SearchSpace
  onTrial?: (trial: SearchTrial, index: number, total: number) => void
}

export interface SearchTrial {
  params: Params
  /** Mean validation score over the folds (or the one holdout). */
  score: number
  foldScores: number[]
}

export interface SearchResult {
  metric: MetricName
  strategy: SearchSpace['strategy']
  validation: string
  trials: SearchTrial[]
  best: number
}

export interface TrainedTabular {
  onnx: Uint8Array
  specs: FeatureSpec[]
  classes: string[]
  task: 'binary' | 'multiclass'
  params: Params
  /** Metrics of the exported graph run by onnxruntime on the holdout. */
  score: ClassifierScore
  /** Largest |onnxruntime - trainer| probability on the holdout: how faithful the export is. */
  exportError: number
  curve: TrainProgress[]
  /** Importance per input column (one-hot columns summed), largest first; empty when the model has none. */
  importances: Array<{ column: string; importance: number }>
  details: FittedModel['details']
  rows: { train: number; test: number; droppedMissingTarget: number }
  seed: number
  search?: SearchResult
}

/** Class names in a stable order: numerically when every label is a number ('2' before '10'), else by text. */
export function classOrder(labels: Iterable<string>): string[] {
  const unique = [...new Set(labels)]
  const numeric = unique.every((l) => l.trim() !== '' && Number.isFinite(Number(l)))
  return unique.sort(numeric ? (a, b) => Number(a) - Number(b) : undefined)
}

/** The labelled rows of a table, split for training and testing; shared by the built-in trainers and `command:`. */
export interface PreparedTabular {
  /** Feature columns over labelled rows only, re-indexed from 0. */
  columns: ColumnData[]
  kinds: Record<string, 'numeric' | 'categorical'>
  /** Class index per labelled row. */
  y: Int32Array
  classes: string[]
  train: number[]
  test: number[]
  seed: number
  droppedMissingTarget: number
}

/**
 * Checks the target and exclusions, drops (and counts) rows without a label, orders the classes and makes the
 * seeded holdout split.
 */
export function prepareTabular(options: {
  columns: readonly TabularColumn[]
  target: string
  exclude?: readonly string[]
  seed?: number
  testShare?: number
}): PreparedTabular {
  const seed = options.seed ?? 42
  const testShare = options.testShare ?? 0.2
  if (!(testShare > 0 && testShare < 1))
    throw new TrainingDataError(`test share must be between 0 and 1, got ${testShare}`)
  const names = options.columns.map((c) => c.name)
  const targetColumn = options.columns.find((c) => c.name === options.target)
  if (!targetColumn) {
    throw new TrainingDataError(
      `target column '${options.target}' is not in the data; columns: ${names.join(', ')}`,
    )
  }
  for (const name of options.exclude ?? []) {
    if (!names.includes(name)) throw new TrainingDataError(`excluded column '${name}' is not in the data`)
  }

  // Rows without a label cannot be learned from or scored; they are dropped and counted, never silently.
  const labelled: number[] = []
  targetColumn.values.forEach((v, row) => {
    if (v !== null && v !== '') labelled.push(row)
  })
  const labels = labelled.map((row) => String(targetColumn.values[row]))
  const classes = classOrder(labels)
  if (classes.length < 2) {
    throw new TrainingDataError(
      `target column '${options.target}' has ${classes.length === 0 ? 'no values' : `only one class ('${classes[0]}')`} in ${labelled.length} labelled rows; a classifier needs two or more`,
    )
  }
  const classIndex = new Map(classes.map((c, i) => [c, i]))
  const featureColumns = options.columns.filter(
    (c) => c.name !== options.target && !options.exclude?.includes(c.name),
  )
  if (featureColumns.length === 0)
    throw new TrainingDataError('no feature columns left after the target and exclusions')
  // Copies only when rows were dropped: a 100k x 30 table of boxed values is ~80 MB per copy.
  const allLabelled = labelled.length === targetColumn.values.length
  const columns: ColumnData[] = featureColumns.map((c) => ({
    name: c.name,
    values: allLabelled ? c.values : labelled.map((r) => c.values[r]!),
  }))
  const y = Int32Array.from(labels, (l) => classIndex.get(l)!)

  const { train, test } = trainTestSplit(labelled.length, testShare, seed)
  if (test.length === 0 || train.length === 0) {
    throw new TrainingDataError(
      `${labelled.length} labelled rows are too few to hold out ${testShare * 100}% for testing`,
    )
  }
  const kinds = Object.fromEntries(featureColumns.map((c) => [c.name, c.kind]))
  return {
    columns,
    kinds,
    y,
    classes,
    train,
    test,
    seed,
    droppedMissingTarget: targetColumn.values.length - labelled.length,
  }
}

/**
 * Fits a tabular classifier end to end: seeded holdout split, preprocessing fitted on the training rows only,
 * the model, one exported ONNX graph, and the holdout metrics computed from that graph in onnxruntime, so the
 * numbers reported are the deployed model's numbers.
 */
export async function trainTabular(options: TrainTabularOptions): Promise<TrainedTabular> {
  const prepared = prepareTabular(options)
  const { columns, kinds, y, classes, train, test, seed } = prepared
  let params = resolveParams(options.trainer.params, options.params ?? {}, options.trainer.name)
  let search: SearchResult | undefined
  if (options.search) {
    search = await runSearch(options, options.search, prepared)
    params = search.trials[search.best]!.params
  }
  const specs = fitFeatureSpecs(
    columns.map((c) => ({ name: c.name, values: train.map((r) => c.values[r]!) })),
    kinds,
  )
  const xTrain = designMatrix(specs, columns, train)
  const width = xTrain.length / train.length
  const fitted = await options.trainer.fit({
    x: xTrain,
    rows: train.length,
    features: width,
    y: Int32Array.from(train, (r) => y[r]!),
    classes,
    specs,
    params,
    seed,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  })

  const { probabilities } = await predictWithOnnx(fitted.onnx, specs, columns, test)
  const expected = fitted.predictProba(designMatrix(specs, columns, test), test.length)
  let exportError = 0
  for (let i = 0; i < expected.length; i++)
    exportError = Math.max(exportError, Math.abs(expected[i]! - probabilities[i]!))
  const score = scoreClassifier(
    Int32Array.from(test, (r) => y[r]!),
    probabilities,
    classes.length,
  )
  return {
    onnx: fitted.onnx,
    specs,
    classes,
    task: classes.length === 2 ? 'binary' : 'multiclass',
    params,
    score,
    exportError,
    curve: fitted.curve,
    importances: fitted.importances ? columnImportances(specs, fitted.importances) : [],
    details: fitted.details,
    rows: {
      train: train.length,
      test: test.length,
      droppedMissingTarget: prepared.droppedMissingTarget,
    },
    seed,
    ...(search ? { search } : {}),
  }
}

/**
 * Scores every candidate on the training split only (the holdout stays unseen until the final metrics), refitting
 * the preprocessing inside each fold as a scikit-learn Pipeline in cross_val_score would.
 */
async function runSearch(
  options: TrainTabularOptions,
  space: SearchSpace,
  data: PreparedTabular,
): Promise<SearchResult> {
  const { trainer } = options
  const metric = space.metric ?? defaultPrimaryMetric(data.classes.length)
  const candidates = searchCandidates(space, trainer.params, trainer.name, data.seed)
  const splits: Array<{ fit: number[]; validate: number[] }> = []
  if (space.folds >= 2) {
    const assignment = kFolds(data.train.length, space.folds, data.seed)
    for (let f = 0; f < space.folds; f++) {
      splits.push({
        fit: data.train.filter((_, i) => assignment[i] !== f),
        validate: data.train.filter((_, i) => assignment[i] === f),
      })
    }
  } else {
    const inner = trainTestSplit(data.train.length, space.holdout, data.seed + 1)
    splits.push({
      fit: inner.train.map((i) => data.train[i]!),
      validate: inner.test.map((i) => data.train[i]!),
    })
  }
  const trials: SearchTrial[] = []
  for (const [index, params] of candidates.entries()) {
    const foldScores: number[] = []
    for (const split of splits) {
      const specs = fitFeatureSpecs(
        data.columns.map((c) => ({ name: c.name, values: split.fit.map((r) => c.values[r]!) })),
        data.kinds,
      )
      const x = designMatrix(specs, data.columns, split.fit)
      const fitted = await trainer.fit({
        x,
        rows: split.fit.length,
        features: x.length / split.fit.length,
        y: Int32Array.from(split.fit, (r) => data.y[r]!),
        classes: data.classes,
        specs,
        params,
        seed: data.seed,
      })
      const probabilities = fitted.predictProba(
        designMatrix(specs, data.columns, split.validate),
        split.validate.length,
      )
      foldScores.push(
        validationScore(
          metric,
          Int32Array.from(split.validate, (r) => data.y[r]!),
          probabilities,
          data.classes.length,
        ),
      )
    }
    const trial = { params, score: foldScores.reduce((a, b) => a + b, 0) / foldScores.length, foldScores }
    trials.push(trial)
    options.onTrial?.(trial, index, candidates.length)
  }
  const sign = GREATER_IS_BETTER[metric] ? 1 : -1
  const best = trials.reduce((b, t, i) => (sign * t.score > sign * trials[b]!.score ? i : b), 0)
  const validation =
    space.folds >= 2 ? `${space.folds}-fold cross-validation` : `holdout of ${space.holdout * 100}%`
  return { metric, strategy: space.strategy, validation, trials, best }
}

/** Design-matrix importances summed back to the input columns they came from (a one-hot group is one column). */
function columnImportances(
  specs: readonly FeatureSpec[],
  importances: Float64Array,
): TrainedTabular['importances'] {
  let offset = 0
  const total = importances.reduce((a, b) => a + b, 0) || 1
  return specs
    .map((spec) => {
      const width = spec.kind === 'numeric' ? 1 : spec.categories.length
      let sum = 0
      for (let i = offset; i < offset + width; i++) sum += importances[i]!
      offset += width
      return { column: spec.name, importance: sum / total }
    })
    .sort((a, b) => b.importance - a.importance)
}

/**
 * What bundle.json says of a trained tabular model. The facts only the caller knows (target, model type, metrics,
 * provenance) are given; tests leave provenance out.
 */
export function tabularBundleInfo(
  trained: TrainedTabular,
  facts: {
    target: string
    modelType: string
    params?: Record<string, unknown>
    metrics?: Record<string, number>
    dataHash?: string
    gitSha?: string | null
  },
): Omit<BundleInfo, 'schema' | 'createdAt'> {
  return {
    task: trained.task,
    target: facts.target,
    labels: trained.classes,
    features: trained.specs,
    modelType: facts.modelType,
    params: facts.params ?? trained.params,
    metrics: facts.metrics ?? {},
    dataHash: facts.dataHash ?? 'unknown',
    gitSha: facts.gitSha ?? null,
  }
}
