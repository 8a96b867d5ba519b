import { TreeBuilder, type DecisionTree } from './decision-tree.js'
import { partitionByBin } from './binning.js'

/** Stride of one feature's histogram: every feature has at most 255 bins (uint8). */
const BIN_STRIDE = 256

export interface GrowerOptions {
  maxLeafNodes: number
  maxDepth: number | null
  minSamplesLeaf: number
  l2Regularization: number
  learningRate: number
}

/** scikit-learn's min_hessian_to_split: a child with less hessian than this is not worth a split. */
const MIN_HESSIAN = 1e-3

/**
 * Binary columns of which at most one is 1 per sample (the one-hot columns of one categorical feature): one
 * pass over the node's samples fills all their histograms, instead of one pass per column. `codes[i]` is
 * 1 + the group column that is 1 for sample i, or 0 when none is.
 */
export interface ExclusiveGroup {
  first: number
  size: number
  codes: Uint8Array
}

interface Split {
  gain: number
  feature: number
  bin: number
  gradientLeft: number
  hessianLeft: number
  countLeft: number
}

interface GrowingNode {
  id: number
  start: number
  end: number
  depth: number
  gradient: number
  hessian: number
  histogram: number
  split: Split | null
}

/**
 * Grows one regression tree on gradients and hessians, leaf by leaf (best gain first) as scikit-learn's
 * HistGradientBoosting grower: per node a gradient/hessian/count histogram of every feature's bins; only the
 * smaller child's histogram is built from the samples, the larger one is the parent's minus it.
 *
 * The grower owns the buffers (sample indices, gathered gradients, a pool of histograms), so one grower
 * serves every tree of a fit without allocating per tree.
 */
export class BoostingTreeGrower {
  private readonly indices: Int32Array
  private readonly scratch: Int32Array
  private readonly gatheredGradient: Float32Array
  private readonly gatheredHessian: Float32Array
  /** Per histogram, per feature and bin: gradient sum, hessian sum, sample count (interleaved, one cache line). */
  private readonly histograms: Float64Array[] = []
  private readonly free: number[] = []
  private readonly plainColumns: Int32Array
  /** Split gain per feature, summed over every tree this grower grew. */
  readonly gains: Float64Array

  constructor(
    /** Column-major bins: feature f of sample i at `f * rows + i`. */
    private readonly bins: Uint8Array,
    private readonly rows: number,
    private readonly features: number,
    /** Per feature, its float32 thresholds (bin b's upper edge is thresholds[f][b]). */
    private readonly thresholds: readonly Float64Array[],
    private readonly options: GrowerOptions,
    private readonly groups: readonly ExclusiveGroup[] = [],
  ) {
    const grouped = new Uint8Array(features)
    for (const group of groups) grouped.fill(1, group.first, group.first + group.size)
    this.plainColumns = Int32Array.from(grouped.keys()).filter((f) => grouped[f] === 0)
    this.indices = new Int32Array(rows)
    this.scratch = new Int32Array(rows)
    this.gatheredGradient = new Float32Array(rows)
    this.gatheredHessian = new Float32Array(rows)
    this.gains = new Float64Array(features)
  }

  /**
   * One tree for the given per-sample gradients and hessians. Adds each leaf's (shrunk, float32) value to
   * `raw[sample * stride + offset]`, so the caller's raw predictions follow without another pass over the tree.
   */
  grow(
    gradient: Float32Array,
    hessian: Float32Array,
    raw: Float64Array,
    stride: number,
    offset: number,
  ): DecisionTree {
    const { maxLeafNodes, maxDepth, minSamplesLeaf } = this.options
    const tree = new TreeBuilder(1)
    for (let i = 0; i < this.rows; i++) this.indices[i] = i
    let sumGradient = 0
    let sumHessian = 0
    for (let i = 0; i < this.rows; i++) {
      sumGradient += gradient[i]!
      sumHessian += hessian[i]!
    }
    const root: GrowingNode = {
      id: tree.add(),
      start: 0,
      end: this.rows,
      depth: 0,
      gradient: sumGradient,
      hessian: sumHessian,
      histogram: this.takeHistogram(),
      split: null,
    }
    this.buildHistogram(root, gradient, hessian)
    const leaves: GrowingNode[] = []
    const candidates: GrowingNode[] = []
    const consider = (node: GrowingNode) => {
      const size = node.end - node.start
      const deepEnough = maxDepth !== null && node.depth >= maxDepth
      if (!deepEnough && size >= 2 * minSamplesLeaf) node.split = this.bestSplit(node)
      if (node.split) candidates.push(node)
      else this.finish(node, leaves)
    }
    consider(root)
    let leafCount = 1
    while (candidates.length > 0 && leafCount < maxLeafNodes) {
      // Best gain first; on a tie the older node (smaller id), so growth never depends on array order.
      let best = 0
      for (let c = 1; c < candidates.length; c++) {
        const a = candidates[c]!
        const b = candidates[best]!
        if (a.split!.gain > b.split!.gain || (a.split!.gain === b.split!.gain && a.id < b.id)) best = c
      }
      const node = candidates.splice(best, 1)[0]!
      const split = node.split!
      this.gains[split.feature]! += split.gain
      const middle = partitionByBin(
        this.indices,
        this.scratch,
        this.bins,
        split.feature * this.rows,
        node.start,
        node.end,
        split.bin,
      )
      const left: GrowingNode = {
        id: tree.add(),
        start: node.start,
        end: middle,
        depth: node.depth + 1,
        gradient: split.gradientLeft,
        hessian: split.hessianLeft,
        histogram: -1,
        split: null,
      }
      const right: GrowingNode = {
        id: tree.add(),
        start: middle,
        end: node.end,
        depth: node.depth + 1,
        gradient: node.gradient - split.gradientLeft,
        hessian: node.hessian - split.hessianLeft,
        histogram: -1,
        split: null,
      }
      tree.split(
        node.id,
        split.feature,
        split.bin,
        this.thresholds[split.feature]![split.bin]!,
        left.id,
        right.id,
      )
      leafCount++
      // Histogram subtraction: build the smaller child, the larger one takes the parent's buffer minus it.
      const [small, large] = middle - node.start <= node.end - middle ? [left, right] : [right, left]
      small.histogram = this.takeHistogram()
      this.buildHistogram(small, gradient, hessian)
      large.histogram = node.histogram
      this.subtract(large.histogram, small.histogram)
      consider(left)
      consider(right)
    }
    for (const node of candidates) this.finish(node, leaves)
    const { learningRate, l2Regularization } = this.options
    for (const node of leaves) {
      // Newton step on the leaf's samples, shrunk; float32 because that is what the ONNX graph stores.
      const value = Math.fround((-learningRate * node.gradient) / (node.hessian + l2Regularization + 1e-15))
      tree.setValue(node.id, 0, value)
      for (let i = node.start; i < node.end; i++) raw[this.indices[i]! * stride + offset]! += value
    }
    return tree.build()
  }

  private finish(node: GrowingNode, leaves: GrowingNode[]): void {
    if (node.histogram >= 0) this.free.push(node.histogram)
    node.histogram = -1
    leaves.push(node)
  }

  private takeHistogram(): number {
    const reused = this.free.pop()
    if (reused !== undefined) return reused
    this.histograms.push(new Float64Array((this.features + 1) * BIN_STRIDE * 3))
    return this.histograms.length - 1
  }

  private buildHistogram(node: GrowingNode, gradient: Float32Array, hessian: Float32Array): void {
    const hist = this.histograms[node.histogram]!
    hist.fill(0)
    const { indices, bins, rows, plainColumns } = this
    const { start, end } = node
    const count = end - start
    const root = count === rows
    // Gather the node's gradients once (contiguous), then one pass per column; the root needs no gather.
    const og = root ? gradient : this.gatheredGradient
    const oh = root ? hessian : this.gatheredHessian
    if (!root) {
      for (let i = 0; i < count; i++) {
        const s = indices[start + i]!
        og[i] = gradient[s]!
        oh[i] = hessian[s]!
      }
    }
    for (let p = 0; p < plainColumns.length; p++) {
      const f = plainColumns[p]!
      const column = f * rows
      const base = f * BIN_STRIDE * 3
      if (root) {
        for (let i = 0; i < count; i++) {
          const b = base + bins[column + i]! * 3
          hist[b]! += og[i]!
          hist[b + 1]! += oh[i]!
          hist[b + 2]!++
        }
      } else {
        for (let i = 0; i < count; i++) {
          const b = base + bins[column + indices[start + i]!]! * 3
          hist[b]! += og[i]!
          hist[b + 1]! += oh[i]!
          hist[b + 2]!++
        }
      }
    }
    // An exclusive group: bin 1 of column first + code - 1 collects the sample; code 0 (no column is 1) goes
    // to a spare slot past the last feature. Bin 0 of each column is then the node's total minus its bin 1.
    const spare = this.features * BIN_STRIDE * 3
    for (const { first, size, codes } of this.groups) {
      const base = (first - 1) * BIN_STRIDE * 3 + 3
      for (let i = 0; i < count; i++) {
        const code = codes[root ? i : indices[start + i]!]!
        const b = code === 0 ? spare : base + code * BIN_STRIDE * 3
        hist[b]! += og[i]!
        hist[b + 1]! += oh[i]!
        hist[b + 2]!++
      }
      for (let f = first; f < first + size; f++) {
        const b = f * BIN_STRIDE * 3
        hist[b] = node.gradient - hist[b + 3]!
        hist[b + 1] = node.hessian - hist[b + 4]!
        hist[b + 2] = count - hist[b + 5]!
      }
    }
  }

  private subtract(target: number, small: number): void {
    const t = this.histograms[target]!
    const s = this.histograms[small]!
    for (let i = 0; i < t.length; i++) t[i]! -= s[i]!
  }

  /** The split with the largest gain G_L²/(H_L+λ) + G_R²/(H_R+λ) - G²/(H+λ) > 0, as scikit-learn scores it. */
  private bestSplit(node: GrowingNode): Split | null {
    const { minSamplesLeaf, l2Regularization } = this.options
    const hist = this.histograms[node.histogram]!
    const count = node.end - node.start
    const parentScore = (node.gradient * node.gradient) / (node.hessian + l2Regularization)
    let best: Split | null = null
    let bestGain = 0
    for (let f = 0; f < this.features; f++) {
      const edges = this.thresholds[f]!.length
      const base = f * BIN_STRIDE * 3
      let gl = 0
      let hl = 0
      let cl = 0
      for (let b = 0; b < edges; b++) {
        gl += hist[base + b * 3]!
        hl += hist[base + b * 3 + 1]!
        cl += hist[base + b * 3 + 2]!
        if (cl < minSamplesLeaf) continue
        if (count - cl < minSamplesLeaf) break
        const hr = node.hessian - hl
        if (hl < MIN_HESSIAN) continue
        if (hr < MIN_HESSIAN) break
        const gr = node.gradient - gl
        const gain = (gl * gl) / (hl + l2Regularization) + (gr * gr) / (hr + l2Regularization) - parentScore
        if (gain > bestGain) {
          bestGain = gain
          best = { gain, feature: f, bin: b, gradientLeft: gl, hessianLeft: hl, countLeft: cl }
        }
      }
    }
    return best
  }
}
