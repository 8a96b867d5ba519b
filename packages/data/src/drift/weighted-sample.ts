/**
 * A column as distinct values with counts: numbers sorted ascending, labels sorted by code unit. The raw data
 * (weights = counts, exact) and a compressed reference profile (quantiles with equal weights) share this form,
 * so every drift statistic is written once.
 */
export interface WeightedSample {
  values: number[] | string[]
  weights: number[]
  /** Sum of weights = number of non-null values the sample stands for. */
  total: number
}

export function sampleFromValues(values: ReadonlyArray<number | string | null>): WeightedSample {
  const counts = new Map<number | string, number>()
  for (const value of values) {
    if (value === null || (typeof value === 'number' && Number.isNaN(value))) continue
    counts.set(value, (counts.get(value) ?? 0) + 1)
  }
  const keys = [...counts.keys()]
  const numeric = keys.every((key) => typeof key === 'number')
  if (numeric) (keys as number[]).sort((a, b) => a - b)
  else keys.sort((a, b) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0))
  const weights = keys.map((key) => counts.get(key)!)
  return {
    values: numeric ? (keys as number[]) : keys.map(String),
    weights,
    total: weights.reduce((sum, w) => sum + w, 0),
  }
}

/**
 * `points` values at the mid-point probabilities (i + 0.5) / points of the ECDF, each weighing total / points:
 * the ECDF of the result is within 1/points of the original everywhere.
 */
export function compressToQuantiles(sample: WeightedSample, points: number): WeightedSample {
  const values = sample.values as number[]
  const out: number[] = []
  let index = 0
  let cumulative = sample.weights[0] ?? 0
  for (let i = 0; i < points; i++) {
    const target = ((i + 0.5) / points) * sample.total
    while (cumulative < target && index < values.length - 1) cumulative += sample.weights[++index]!
    out.push(values[index]!)
  }
  // Merge equal quantiles back into one point with the summed weight.
  const merged: number[] = []
  const weights: number[] = []
  const each = sample.total / points
  for (const value of out) {
    if (merged.length > 0 && merged[merged.length - 1] === value) weights[weights.length - 1]! += each
    else {
      merged.push(value)
      weights.push(each)
    }
  }
  return { values: merged, weights, total: sample.total }
}

/** Counts by label (numbers as their decimal text), for the categorical tests. */
export function countsByLabel(sample: WeightedSample): Map<string, number> {
  const counts = new Map<string, number>()
  sample.values.forEach((value, i) =>
    counts.set(String(value), (counts.get(String(value)) ?? 0) + sample.weights[i]!),
  )
  return counts
}

/** Population moments (numpy's default ddof = 0). */
export function meanAndStd(sample: WeightedSample): { mean: number; std: number } {
  const values = sample.values as number[]
  let mean = 0
  values.forEach((v, i) => (mean += v * sample.weights[i]!))
  mean /= sample.total
  let variance = 0
  values.forEach((v, i) => (variance += sample.weights[i]! * (v - mean) ** 2))
  return { mean, std: Math.sqrt(variance / sample.total) }
}
