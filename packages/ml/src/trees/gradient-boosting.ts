import { featureWidth, type FeatureSpec } from '../onnx/preprocess.js'
import { mulberry32 } from '../train/seeded-random.js'
import { binValues, fitThresholds } from './binning.js'
import { BoostingTreeGrower, type ExclusiveGroup } from './boosting-tree-grower.js'
import { leafOf, leafOfBinned, type DecisionTree } from './decision-tree.js'
import { atGraphPrecision, graphColumn, graphPrecision } from './graph-precision.js'

export interface GradientBoostingOptions {
  learningRate: number
  maxIter: number
  maxLeafNodes: number
  maxDepth: number | null
  minSamplesLeaf: number
  l2Regularization: number
  maxBins: number
  /** 'auto': on when there are more than 10,000 rows, as scikit-learn. */
  earlyStopping: 'auto' | 'on' | 'off'
  validationFraction: number
  nIterNoChange: number
  tol: number
  seed: number
  onIteration?: (progress: { iteration: number; trainLoss: number; validationLoss?: number }) => void
}

/**
 * Boosted trees over the raw (log-odds / logit) scale: binary models keep one tree per iteration for the
 * positive class, multiclass models one per class per iteration (in class order).
 */
export interface GradientBoostedTrees {
  classCount: number
  /** Raw score before any tree: log-odds of the positive class (binary) or log class priors. */
  baseline: number[]
  trees: DecisionTree[]
  /** Trees per iteration: 1 for binary, the class count otherwise. */
  treesPerIteration: number
  iterations: number
  earlyStopped: boolean
  /** Split gain per design-matrix column, summed over all trees. */
  gains: Float64Array
  specs: readonly FeatureSpec[]
}

/**
 * The one-hot columns of each categorical feature as an exclusive group (see ExclusiveGroup), checked on the
 * data: a group where some row has two ones, or too many columns for a uint8 code, is left as plain columns.
 */
function exclusiveGroups(
  specs: readonly FeatureSpec[],
  x: Float64Array,
  width: number,
  rows: Int32Array,
): ExclusiveGroup[] {
  const groups: ExclusiveGroup[] = []
  let offset = 0
  for (const spec of specs) {
    const size = featureWidth(spec)
    if (spec.kind === 'categorical' && size >= 2 && size < 255) {
      const codes = new Uint8Array(rows.length)
      let exclusive = true
      for (let i = 0; i < rows.length && exclusive; i++) {
        const row = rows[i]! * width + offset
        for (let j = 0; j < size; j++) {
          const value = x[row + j]!
          if (value === 0) continue
          if (value !== 1 || codes[i] !== 0) exclusive = false
          codes[i] = j + 1
        }
      }
      if (exclusive) groups.push({ first: offset, size, codes })
    }
    offset += size
  }
  return groups
}

/** A stratified seeded split off the training rows, as scikit-learn's train_test_split(stratify=y). */
function stratifiedSplit(
  y: Int32Array,
  classCount: number,
  fraction: number,
  seed: number,
): { fit: Int32Array; validate: Int32Array } {
  const next = mulberry32(seed)
  const inValidation = new Uint8Array(y.length)
  for (let k = 0; k < classCount; k++) {
    const members: number[] = []
    for (let i = 0; i < y.length; i++) if (y[i] === k) members.push(i)
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1))
      ;[members[i], members[j]] = [members[j]!, members[i]!]
    }
    const take = Math.round(members.length * fraction)
    for (let i = 0; i < take; i++) inValidation[members[i]!] = 1
  }
  const fit: number[] = []
  const validate: number[] = []
  for (let i = 0; i < y.length; i++) (inValidation[i] ? validate : fit).push(i)
  return { fit: Int32Array.from(fit), validate: Int32Array.from(validate) }
}

/** Mean log loss of raw scores; writes gradients and hessians when given arrays for them. */
function lossAndGradients(
  raw: Float64Array,
  y: Int32Array,
  classCount: number,
  gradient?: Float32Array,
  hessian?: Float32Array,
): number {
  const n = y.length
  let loss = 0
  if (classCount === 2) {
    for (let i = 0; i < n; i++) {
      const z = raw[i]!
      const target = y[i]!
      // log(1 + e^z) - y z, computed without overflow for large |z|.
      loss += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - target * z
      if (gradient && hessian) {
        const p = 1 / (1 + Math.exp(-z))
        gradient[i] = p - target
        hessian[i] = p * (1 - p)
      }
    }
    return loss / n
  }
  for (let i = 0; i < n; i++) {
    const row = i * classCount
    let max = -Infinity
    for (let k = 0; k < classCount; k++) max = Math.max(max, raw[row + k]!)
    let total = 0
    for (let k = 0; k < classCount; k++) total += Math.exp(raw[row + k]! - max)
    const target = y[i]!
    loss += Math.log(total) + max - raw[row + target]!
    if (gradient && hessian) {
      for (let k = 0; k < classCount; k++) {
        const p = Math.exp(raw[row + k]! - max) / total
        // Gradients are stored class-major, so each class's tree reads one contiguous array.
        gradient[k * n + i] = p - (k === target ? 1 : 0)
        hessian[k * n + i] = p * (1 - p)
      }
    }
  }
  return loss / n
}

/**
 * scikit-learn's HistGradientBoostingClassifier in TypeScript: features binned once (<= 255 quantile bins),
 * leaf-wise trees from gradient/hessian histograms with the subtraction trick, binary log loss or multinomial
 * softmax, early stopping on a stratified validation split when the validation loss has not improved by `tol`
 * for `nIterNoChange` iterations (the trees grown so far are kept, as scikit-learn keeps them).
 */
export function fitGradientBoosting(
  x: Float64Array,
  rows: number,
  y: Int32Array,
  classCount: number,
  specs: readonly FeatureSpec[],
  options: GradientBoostingOptions,
): GradientBoostedTrees {
  const precision = graphPrecision(specs)
  const features = precision.width
  if (x.length !== rows * features)
    throw new Error(`design matrix has ${x.length} values, not ${rows} x ${features}`)
  const wanted = options.earlyStopping === 'on' || (options.earlyStopping === 'auto' && rows > 10_000)
  const all = Int32Array.from({ length: rows }, (_, i) => i)
  const split = wanted ? stratifiedSplit(y, classCount, options.validationFraction, options.seed) : null
  // Too few rows to hold any out: no early stopping rather than a loss over nothing.
  const early = split !== null && split.validate.length > 0
  const { fit, validate } = early ? split : { fit: all, validate: new Int32Array(0) }
  const n = fit.length
  const v = validate.length
  if (n === 0) throw new Error('no training rows left after the validation split')

  // Bin every feature on the fitting rows; validation rows use the same thresholds.
  const thresholds: Float64Array[] = []
  const bins = new Uint8Array(features * n)
  const validationBins = new Uint8Array(features * v)
  const column = new Float64Array(n)
  const validationColumn = new Float64Array(v)
  for (let f = 0; f < features; f++) {
    graphColumn(precision, x, f, fit, column)
    const edges = fitThresholds(Float64Array.from(column), options.maxBins)
    thresholds.push(edges)
    binValues(edges, column, bins, f * n)
    if (v > 0)
      binValues(edges, graphColumn(precision, x, f, validate, validationColumn), validationBins, f * v)
  }
  const yFit = Int32Array.from(fit, (i) => y[i]!)
  const yValidate = Int32Array.from(validate, (i) => y[i]!)

  const counts = new Float64Array(classCount)
  for (let i = 0; i < n; i++) counts[yFit[i]!]!++
  const clip = (p: number) => Math.min(Math.max(p, 1e-12), 1 - 1e-12)
  const baseline =
    classCount === 2
      ? [Math.fround(Math.log(clip(counts[1]! / n) / (1 - clip(counts[1]! / n))))]
      : Array.from(counts, (c) => Math.fround(Math.log(clip(c / n))))
  const width = classCount === 2 ? 1 : classCount
  const raw = new Float64Array(n * width)
  const validationRaw = new Float64Array(v * width)
  for (let i = 0; i < n; i++) for (let k = 0; k < width; k++) raw[i * width + k] = baseline[k]!
  for (let i = 0; i < v; i++) for (let k = 0; k < width; k++) validationRaw[i * width + k] = baseline[k]!

  const grower = new BoostingTreeGrower(
    bins,
    n,
    features,
    thresholds,
    {
      maxLeafNodes: options.maxLeafNodes,
      maxDepth: options.maxDepth,
      minSamplesLeaf: options.minSamplesLeaf,
      l2Regularization: options.l2Regularization,
      learningRate: options.learningRate,
    },
    exclusiveGroups(specs, x, features, fit),
  )
  // float32 as scikit-learn keeps them: half the memory traffic, and the same split choices on exact gain ties.
  const gradient = new Float32Array(n * width)
  const hessian = new Float32Array(n * width)
  const trees: DecisionTree[] = []
  // Scores are negative validation losses, the baseline's first, as scikit-learn's _should_stop reads them.
  const scores: number[] = []
  if (early) scores.push(-lossAndGradients(validationRaw, yValidate, classCount))
  let iterations = 0
  let earlyStopped = false
  // One pass gives the loss of the model so far and the gradients for the next tree.
  lossAndGradients(raw, yFit, classCount, gradient, hessian)
  for (let iteration = 1; iteration <= options.maxIter; iteration++) {
    for (let k = 0; k < width; k++) {
      const tree = grower.grow(
        gradient.subarray(k * n, (k + 1) * n),
        hessian.subarray(k * n, (k + 1) * n),
        raw,
        width,
        k,
      )
      trees.push(tree)
      for (let i = 0; i < v; i++)
        validationRaw[i * width + k]! += tree.value[leafOfBinned(tree, validationBins, v, i)]!
    }
    iterations = iteration
    const trainLoss = lossAndGradients(raw, yFit, classCount, gradient, hessian)
    if (!early) {
      options.onIteration?.({ iteration, trainLoss })
      continue
    }
    const validationLoss = lossAndGradients(validationRaw, yValidate, classCount)
    options.onIteration?.({ iteration, trainLoss, validationLoss })
    scores.push(-validationLoss)
    if (shouldStop(scores, options.nIterNoChange, options.tol)) {
      earlyStopped = true
      break
    }
  }
  return {
    classCount,
    baseline,
    trees,
    treesPerIteration: width,
    iterations,
    earlyStopped,
    gains: Float64Array.from(grower.gains),
    specs,
  }
}

/** scikit-learn's rule: stop when none of the last `n` scores beats the one before them by more than `tol`. */
function shouldStop(scores: readonly number[], n: number, tol: number): boolean {
  const reference = n + 1
  if (scores.length < reference) return false
  const referenceScore = scores[scores.length - reference]! + tol
  return !scores.slice(scores.length - reference + 1).some((s) => s > referenceScore)
}

/** Class probabilities for rows of a design matrix, computed as the exported graph does (float32 features). */
export function predictGradientBoosting(
  model: GradientBoostedTrees,
  x: Float64Array,
  rows: number,
): Float64Array {
  const precision = graphPrecision(model.specs)
  const width = precision.width
  const row = new Float64Array(width)
  const classes = model.classCount
  const out = new Float64Array(rows * classes)
  const scores = new Float64Array(model.treesPerIteration)
  for (let i = 0; i < rows; i++) {
    for (let f = 0; f < width; f++) row[f] = atGraphPrecision(precision, f, x[i * width + f]!)
    for (let k = 0; k < scores.length; k++) scores[k] = model.baseline[k]!
    model.trees.forEach((tree, t) => {
      scores[t % model.treesPerIteration]! += tree.value[leafOf(tree, row)]!
    })
    if (classes === 2) {
      const p = 1 / (1 + Math.exp(-scores[0]!))
      out[i * 2] = 1 - p
      out[i * 2 + 1] = p
    } else {
      let max = -Infinity
      for (let k = 0; k < classes; k++) max = Math.max(max, scores[k]!)
      let total = 0
      for (let k = 0; k < classes; k++) total += Math.exp(scores[k]! - max)
      for (let k = 0; k < classes; k++) out[i * classes + k] = Math.exp(scores[k]! - max) / total
    }
  }
  return out
}
