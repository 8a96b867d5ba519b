import type { FeatureSpec } from '../onnx/preprocess.js'
import { mulberry32 } from '../train/seeded-random.js'
import { binValues, fitThresholds, partitionByBin } from './binning.js'
import { leafOf, TreeBuilder, type DecisionTree } from './decision-tree.js'
import { atGraphPrecision, graphColumn, graphPrecision } from './graph-precision.js'

export interface RandomForestOptions {
  nEstimators: number
  maxDepth: number | null
  minSamplesSplit: number
  minSamplesLeaf: number
  /** Features tried per split: sqrt or log2 of the feature count, or all of them. */
  maxFeatures: 'sqrt' | 'log2' | 'all'
  bootstrap: boolean
  maxBins: number
  seed: number
  onTree?: (progress: { tree: number }) => void
}

/** A forest whose leaves hold class shares divided by the tree count: the probabilities are leaf sums. */
export interface RandomForest {
  classCount: number
  trees: DecisionTree[]
  /** Weighted Gini decrease per design-matrix column, summed over all trees. */
  impurityDecrease: Float64Array
  specs: readonly FeatureSpec[]
}

/**
 * scikit-learn's RandomForestClassifier (Gini, bootstrap, max_features per split, depth-first growth) on
 * the same binned features as the boosting trainer: candidate thresholds are the <= 255 bin edges of each
 * feature instead of every midpoint, which keeps a split search linear in the node's samples.
 */
export function fitRandomForest(
  x: Float64Array,
  rows: number,
  y: Int32Array,
  classCount: number,
  specs: readonly FeatureSpec[],
  options: RandomForestOptions,
): RandomForest {
  const precision = graphPrecision(specs)
  const features = precision.width
  if (x.length !== rows * features)
    throw new Error(`design matrix has ${x.length} values, not ${rows} x ${features}`)
  const all = Int32Array.from({ length: rows }, (_, i) => i)
  const thresholds: Float64Array[] = []
  const bins = new Uint8Array(features * rows)
  const column = new Float64Array(rows)
  for (let f = 0; f < features; f++) {
    graphColumn(precision, x, f, all, column)
    const edges = fitThresholds(Float64Array.from(column), options.maxBins)
    thresholds.push(edges)
    binValues(edges, column, bins, f * rows)
  }
  const tried =
    options.maxFeatures === 'all'
      ? features
      : Math.max(1, Math.floor(options.maxFeatures === 'sqrt' ? Math.sqrt(features) : Math.log2(features)))
  const next = mulberry32(options.seed)
  const grower = new ForestTreeGrower(bins, rows, features, thresholds, y, classCount, options, tried, next)
  const trees: DecisionTree[] = []
  const weights = new Float64Array(rows)
  for (let t = 0; t < options.nEstimators; t++) {
    if (options.bootstrap) {
      weights.fill(0)
      for (let i = 0; i < rows; i++) weights[Math.floor(next() * rows)]!++
    } else weights.fill(1)
    trees.push(grower.grow(weights, 1 / options.nEstimators))
    options.onTree?.({ tree: t + 1 })
  }
  return { classCount, trees, impurityDecrease: grower.impurityDecrease, specs }
}

interface Pending {
  id: number
  start: number
  end: number
  depth: number
}

class ForestTreeGrower {
  private readonly indices: Int32Array
  private readonly scratch: Int32Array
  private readonly order: Int32Array
  private readonly classWeights: Float64Array
  private readonly binCounts: Int32Array
  private readonly nodeWeights: Float64Array
  private readonly leftWeights: Float64Array
  readonly impurityDecrease: Float64Array

  constructor(
    private readonly bins: Uint8Array,
    private readonly rows: number,
    private readonly features: number,
    private readonly thresholds: readonly Float64Array[],
    private readonly y: Int32Array,
    private readonly classCount: number,
    private readonly options: RandomForestOptions,
    private readonly tried: number,
    private readonly next: () => number,
  ) {
    this.indices = new Int32Array(rows)
    this.scratch = new Int32Array(rows)
    this.order = Int32Array.from({ length: features }, (_, i) => i)
    this.classWeights = new Float64Array(256 * classCount)
    this.binCounts = new Int32Array(256)
    this.nodeWeights = new Float64Array(classCount)
    this.leftWeights = new Float64Array(classCount)
    this.impurityDecrease = new Float64Array(features)
  }

  /** One tree on the samples with non-zero (bootstrap) weight; leaf values are class shares times `scale`. */
  grow(weights: Float64Array, scale: number): DecisionTree {
    const { classCount, y, options } = this
    const tree = new TreeBuilder(classCount)
    let size = 0
    for (let i = 0; i < this.rows; i++) if (weights[i]! > 0) this.indices[size++] = i
    const stack: Pending[] = [{ id: tree.add(), start: 0, end: size, depth: 0 }]
    while (stack.length > 0) {
      const node = stack.pop()!
      const total = this.nodeWeights
      total.fill(0)
      for (let i = node.start; i < node.end; i++) total[y[this.indices[i]!]!]! += weights[this.indices[i]!]!
      let weight = 0
      let nonZero = 0
      for (let k = 0; k < classCount; k++) {
        weight += total[k]!
        if (total[k]! > 0) nonZero++
      }
      const count = node.end - node.start
      const canSplit =
        nonZero > 1 &&
        count >= options.minSamplesSplit &&
        count >= 2 * options.minSamplesLeaf &&
        (options.maxDepth === null || node.depth < options.maxDepth)
      const split = canSplit ? this.bestSplit(node, weights, weight) : null
      if (!split) {
        for (let k = 0; k < classCount; k++) tree.setValue(node.id, k, (total[k]! / weight) * scale)
        continue
      }
      this.impurityDecrease[split.feature]! += split.decrease
      const middle = partitionByBin(
        this.indices,
        this.scratch,
        this.bins,
        split.feature * this.rows,
        node.start,
        node.end,
        split.bin,
      )
      const left = tree.add()
      const right = tree.add()
      tree.split(node.id, split.feature, split.bin, this.thresholds[split.feature]![split.bin]!, left, right)
      // Right first on the stack so the left subtree is grown first: node ids then read depth-first.
      stack.push({ id: right, start: middle, end: node.end, depth: node.depth + 1 })
      stack.push({ id: left, start: node.start, end: middle, depth: node.depth + 1 })
    }
    return tree.build()
  }

  /**
   * Best Gini split over randomly drawn features. As scikit-learn, features constant in the node do not count
   * towards max_features, and the search goes on past max_features until some valid split is found.
   */
  private bestSplit(
    node: Pending,
    weights: Float64Array,
    weight: number,
  ): { feature: number; bin: number; decrease: number } | null {
    const { classCount, y, bins, rows, indices, order, classWeights, binCounts, leftWeights } = this
    const minLeaf = this.options.minSamplesLeaf
    const count = node.end - node.start
    let parentScore = 0
    for (let k = 0; k < classCount; k++) parentScore += this.nodeWeights[k]! ** 2
    parentScore /= weight
    let best: { feature: number; bin: number; decrease: number } | null = null
    let visited = 0
    for (let drawn = 0; drawn < this.features; drawn++) {
      if (visited >= this.tried && best) break
      const pick = drawn + Math.floor(this.next() * (this.features - drawn))
      const feature = order[pick]!
      order[pick] = order[drawn]!
      order[drawn] = feature
      const column = feature * rows
      let low = 255
      let high = 0
      for (let i = node.start; i < node.end; i++) {
        const b = bins[column + indices[i]!]!
        if (b < low) low = b
        if (b > high) high = b
      }
      if (low === high) continue
      visited++
      classWeights.fill(0, low * classCount, (high + 1) * classCount)
      binCounts.fill(0, low, high + 1)
      for (let i = node.start; i < node.end; i++) {
        const s = indices[i]!
        const b = bins[column + s]!
        classWeights[b * classCount + y[s]!]! += weights[s]!
        binCounts[b]!++
      }
      leftWeights.fill(0)
      let leftWeight = 0
      let leftCount = 0
      for (let b = low; b < high; b++) {
        for (let k = 0; k < classCount; k++) leftWeights[k]! += classWeights[b * classCount + k]!
        leftCount += binCounts[b]!
        if (binCounts[b] === 0) continue
        leftWeight = 0
        for (let k = 0; k < classCount; k++) leftWeight += leftWeights[k]!
        if (leftCount < minLeaf) continue
        if (count - leftCount < minLeaf) break
        const rightWeight = weight - leftWeight
        let leftScore = 0
        let rightScore = 0
        for (let k = 0; k < classCount; k++) {
          leftScore += leftWeights[k]! ** 2
          rightScore += (this.nodeWeights[k]! - leftWeights[k]!) ** 2
        }
        // Weighted Gini decrease: sum_k l_k²/w_l + sum_k r_k²/w_r - sum_k n_k²/w.
        const decrease = leftScore / leftWeight + rightScore / rightWeight - parentScore
        if (!best || decrease > best.decrease) best = { feature, bin: b, decrease }
      }
    }
    return best
  }
}

/** Class probabilities for rows of a design matrix: the sum of the leaves' scaled class shares. */
export function predictRandomForest(model: RandomForest, x: Float64Array, rows: number): Float64Array {
  const precision = graphPrecision(model.specs)
  const width = precision.width
  const row = new Float64Array(width)
  const classes = model.classCount
  const out = new Float64Array(rows * classes)
  for (let i = 0; i < rows; i++) {
    for (let f = 0; f < width; f++) row[f] = atGraphPrecision(precision, f, x[i * width + f]!)
    for (const tree of model.trees) {
      const leaf = leafOf(tree, row) * classes
      for (let k = 0; k < classes; k++) out[i * classes + k]! += tree.value[leaf + k]!
    }
  }
  return out
}
