/**
 * A fitted tree as flat arrays, node 0 the root: what the trainers predict with and what the ONNX export
 * writes. Leaves have `left = right = -1`; their values are float32 numbers (ONNX stores class_weights so),
 * `valueWidth` of them per node (1 for a boosting tree's raw score, one per class for a forest's leaf).
 */
export interface DecisionTree {
  feature: Int32Array
  /** Float32 threshold: go left when `x <= threshold` (ONNX BRANCH_LEQ). */
  threshold: Float64Array
  /** The same test on binned data: go left when `bin <= binThreshold`. */
  binThreshold: Uint8Array
  left: Int32Array
  right: Int32Array
  value: Float64Array
  valueWidth: number
}

/** Collects nodes in creation order and freezes them into a DecisionTree. */
export class TreeBuilder {
  private readonly feature: number[] = []
  private readonly threshold: number[] = []
  private readonly binThreshold: number[] = []
  private readonly left: number[] = []
  private readonly right: number[] = []
  private readonly value: number[] = []

  constructor(private readonly valueWidth: number) {}

  /** A new node, a leaf until `split` is called on it. */
  add(): number {
    const id = this.feature.length
    this.feature.push(-1)
    this.threshold.push(0)
    this.binThreshold.push(0)
    this.left.push(-1)
    this.right.push(-1)
    for (let k = 0; k < this.valueWidth; k++) this.value.push(0)
    return id
  }

  split(node: number, feature: number, bin: number, threshold: number, left: number, right: number): void {
    this.feature[node] = feature
    this.binThreshold[node] = bin
    this.threshold[node] = threshold
    this.left[node] = left
    this.right[node] = right
  }

  setValue(node: number, k: number, value: number): void {
    this.value[node * this.valueWidth + k] = Math.fround(value)
  }

  build(): DecisionTree {
    return {
      feature: Int32Array.from(this.feature),
      threshold: Float64Array.from(this.threshold),
      binThreshold: Uint8Array.from(this.binThreshold),
      left: Int32Array.from(this.left),
      right: Int32Array.from(this.right),
      value: Float64Array.from(this.value),
      valueWidth: this.valueWidth,
    }
  }
}

/** The leaf a row (at graph precision, `row[offset + feature]`) falls into. */
export function leafOf(tree: DecisionTree, row: Float64Array, offset = 0): number {
  let node = 0
  while (tree.left[node]! !== -1) {
    node = row[offset + tree.feature[node]!]! <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!
  }
  return node
}

/** The leaf of row `i` of column-major binned data with `rows` rows. */
export function leafOfBinned(tree: DecisionTree, bins: Uint8Array, rows: number, i: number): number {
  let node = 0
  while (tree.left[node]! !== -1) {
    node =
      bins[tree.feature[node]! * rows + i]! <= tree.binThreshold[node]! ? tree.left[node]! : tree.right[node]!
  }
  return node
}
