/**
 * Histogram binning as scikit-learn's HistGradientBoosting does it: at most `maxBins` bins per feature, fitted
 * once; a feature with few distinct values gets one bin per value (thresholds halfway between neighbours),
 * others get quantile edges (numpy's percentile with the 'midpoint' method). A value goes to bin
 * `#thresholds < value`, so `bin <= b` is exactly `value <= thresholds[b]`, the BRANCH_LEQ test of the export.
 *
 * Thresholds are float32 numbers (ONNX stores them so) and values are graph-precision float32 numbers
 * (graph-precision.ts), so the comparison is the same in training, in predictProba and in onnxruntime.
 */
export const MAX_BINS = 255

/** The largest float32 threshold t with a <= t < b, for distinct float32 values a < b: their midpoint or a. */
function float32Midpoint(a: number, b: number): number {
  const t = Math.fround((a + b) / 2)
  return t >= b || t < a ? a : t
}

/** Ascending float32 thresholds for one feature's training values (which this sorts in place). */
export function fitThresholds(values: Float64Array, maxBins: number = MAX_BINS): Float64Array {
  if (!(maxBins >= 2 && maxBins <= MAX_BINS))
    throw new Error(`maxBins must be in 2..${MAX_BINS}, got ${maxBins}`)
  // Most tabular columns (one-hot, counts, ages) have few distinct values: find that out without sorting them all.
  const distinct = new Set<number>()
  for (let i = 0; i < values.length && distinct.size <= maxBins; i++) distinct.add(values[i]!)
  if (distinct.size <= maxBins) {
    const sorted = Float64Array.from(distinct).sort()
    const thresholds = new Float64Array(Math.max(0, sorted.length - 1))
    for (let i = 0; i + 1 < sorted.length; i++) thresholds[i] = float32Midpoint(sorted[i]!, sorted[i + 1]!)
    return thresholds
  }
  values.sort()
  const last = values.length - 1
  const edges: number[] = []
  for (let k = 1; k < maxBins; k++) {
    const position = (k / maxBins) * last
    const q = (values[Math.floor(position)]! + values[Math.ceil(position)]!) / 2
    const t = Math.fround(q)
    // Skip repeated edges (heavy ties) and an edge at the maximum, which would leave an empty last bin.
    if ((edges.length === 0 || t > edges[edges.length - 1]!) && t < values[last]!) edges.push(t)
  }
  return Float64Array.from(edges)
}

/** The bin of one value: how many thresholds lie strictly below it. */
export function binOf(thresholds: Float64Array, value: number): number {
  let lo = 0
  let hi = thresholds.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (thresholds[mid]! < value) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Bins one feature's values into `out[offset .. offset + values.length)`. */
export function binValues(
  thresholds: Float64Array,
  values: Float64Array,
  out: Uint8Array,
  offset: number,
): void {
  for (let i = 0; i < values.length; i++) out[offset + i] = binOf(thresholds, values[i]!)
}

/**
 * Stable partition of `indices[start, end)` by one binned feature: samples with bin <= `bin` to the front, the rest
 * after them in their order (through `scratch`). Returns where the right part starts. `column` is the feature's
 * offset into the column-major bin matrix.
 */
export function partitionByBin(
  indices: Int32Array,
  scratch: Int32Array,
  bins: Uint8Array,
  column: number,
  start: number,
  end: number,
  bin: number,
): number {
  let l = start
  let r = 0
  for (let i = start; i < end; i++) {
    const s = indices[i]!
    if (bins[column + s]! <= bin) indices[l++] = s
    else scratch[r++] = s
  }
  indices.set(scratch.subarray(0, r), l)
  return l
}
