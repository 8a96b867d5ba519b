import { chiSquareSurvival, normalCdf } from './special-functions.js'
import { countsByLabel, type WeightedSample } from './weighted-sample.js'

export interface TestResult {
  statistic: number
  pValue: number
}

/**
 * Evidently's chi-square: current counts against reference frequencies scaled to the current total, over every
 * label seen in either sample (scipy.stats.chisquare(observed, expected)). A label the reference never had makes
 * the statistic infinite, so p = 0: a new category is drift.
 */
export function chiSquareTest(reference: WeightedSample, current: WeightedSample): TestResult {
  const ref = countsByLabel(reference)
  const cur = countsByLabel(current)
  const labels = new Set([...ref.keys(), ...cur.keys()])
  const scale = current.total / reference.total
  let statistic = 0
  for (const label of labels) {
    const observed = cur.get(label) ?? 0
    const expected = (ref.get(label) ?? 0) * scale
    statistic += expected === 0 ? (observed === 0 ? 0 : Infinity) : (observed - expected) ** 2 / expected
  }
  const df = labels.size - 1
  if (df < 1) return { statistic, pValue: 1 }
  return { statistic, pValue: chiSquareSurvival(statistic, df) }
}

/**
 * Evidently's Z-test for two proportions (pooled variance, two-sided), the share of the first label (in sorted
 * order) in each sample. Both samples holding the same single value is p = 1.
 */
export function proportionZTest(reference: WeightedSample, current: WeightedSample): TestResult {
  const ref = countsByLabel(reference)
  const cur = countsByLabel(current)
  const labels = [...new Set([...ref.keys(), ...cur.keys()])].sort()
  if (labels.length <= 1) return { statistic: 0, pValue: 1 }
  const first = labels[0]!
  const n1 = reference.total
  const n2 = current.total
  // Share of rows that are NOT the first label (Evidently maps first -> 0, anything else -> 1).
  const p1 = (n1 - (ref.get(first) ?? 0)) / n1
  const p2 = (n2 - (cur.get(first) ?? 0)) / n2
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
  const denominator = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
  const statistic = denominator === 0 ? (p1 === p2 ? 0 : Infinity) : (p1 - p2) / denominator
  return { statistic, pValue: 2 * (1 - normalCdf(Math.abs(statistic))) }
}

/** First Wasserstein distance between two weighted samples: the area between their ECDFs (scipy's definition). */
export function wassersteinDistance(a: WeightedSample, b: WeightedSample): number {
  const av = a.values as number[]
  const bv = b.values as number[]
  let i = 0
  let j = 0
  let ca = 0
  let cb = 0
  let area = 0
  let previous: number | undefined
  while (i < av.length || j < bv.length) {
    const x = j >= bv.length || (i < av.length && av[i]! <= bv[j]!) ? av[i]! : bv[j]!
    if (previous !== undefined) area += Math.abs(ca / a.total - cb / b.total) * (x - previous)
    while (i < av.length && av[i]! <= x) ca += a.weights[i++]!
    while (j < bv.length && bv[j]! <= x) cb += b.weights[j++]!
    previous = x
  }
  return area
}

/**
 * Evidently's normed Wasserstein: W1 / max(std(reference), 0.001), std with ddof = 0 as numpy's default, so the
 * 0.1 threshold reads as "a tenth of a reference standard deviation".
 */
export function normedWasserstein(
  reference: WeightedSample,
  current: WeightedSample,
  referenceStd: number,
): number {
  return wassersteinDistance(reference, current) / Math.max(referenceStd, 0.001)
}

/** scipy.spatial.distance.jensenshannon(p, q) with natural log: sqrt of the JS divergence of the normalized vectors. */
export function jensenShannonDistance(p: readonly number[], q: readonly number[]): number {
  const sp = p.reduce((s, x) => s + x, 0)
  const sq = q.reduce((s, x) => s + x, 0)
  let divergence = 0
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]! / sp
    const qi = q[i]! / sq
    const m = (pi + qi) / 2
    if (pi > 0) divergence += pi * Math.log(pi / m)
    if (qi > 0) divergence += qi * Math.log(qi / m)
  }
  return Math.sqrt(Math.max(0, divergence / 2))
}

/** Population stability index of two share vectors (zeros already replaced, as Evidently does). */
export function populationStabilityIndex(reference: readonly number[], current: readonly number[]): number {
  let psi = 0
  for (let i = 0; i < reference.length; i++)
    psi += (reference[i]! - current[i]!) * Math.log(reference[i]! / current[i]!)
  return psi
}

export interface Binned {
  reference: number[]
  current: number[]
}

/**
 * Shares per bin as Evidently's get_binned_data: numbers go into 30 equal-width bins over the range of both
 * samples (numpy.histogram: half-open bins, the last one closed); labels are their own bins. `fillZeroes`
 * replaces empty bins by a tiny share so PSI's logarithm stays finite.
 */
export function binShares(
  reference: WeightedSample,
  current: WeightedSample,
  numeric: boolean,
  options: { bins?: number; fillZeroes?: boolean; referenceRange?: [number, number] } = {},
): Binned {
  let ref: number[]
  let cur: number[]
  if (numeric) {
    const bins = options.bins ?? 30
    const rv = reference.values as number[]
    const cv = current.values as number[]
    const [rmin, rmax] = options.referenceRange ?? [rv[0]!, rv[rv.length - 1]!]
    let first = Math.min(rmin, cv[0] ?? rmin)
    let last = Math.max(rmax, cv[cv.length - 1] ?? rmax)
    if (first === last) {
      first -= 0.5
      last += 0.5
    }
    const edges = histogramEdges(first, last, bins)
    ref = histogram(reference, edges)
    cur = histogram(current, edges)
  } else {
    const rc = countsByLabel(reference)
    const cc = countsByLabel(current)
    const labels = [...new Set([...rc.keys(), ...cc.keys()])]
    ref = labels.map((label) => rc.get(label) ?? 0)
    cur = labels.map((label) => cc.get(label) ?? 0)
  }
  const rs = ref.map((count) => count / reference.total)
  const cs = cur.map((count) => count / current.total)
  if (options.fillZeroes) {
    fillZeroes(rs)
    fillZeroes(cs)
  }
  return { reference: rs, current: cs }
}

function fillZeroes(shares: number[]): void {
  const nonZero = shares.filter((share) => share !== 0)
  if (nonZero.length === 0) return
  const smallest = Math.min(...nonZero)
  const fill = smallest <= 0.0001 ? smallest / 1e6 : 0.0001
  for (let i = 0; i < shares.length; i++) if (shares[i] === 0) shares[i] = fill
}

/** numpy.linspace(first, last, bins + 1). */
function histogramEdges(first: number, last: number, bins: number): number[] {
  const step = (last - first) / bins
  const edges = Array.from({ length: bins + 1 }, (_, i) => i * step + first)
  edges[bins] = last
  return edges
}

function histogram(sample: WeightedSample, edges: readonly number[]): number[] {
  const bins = edges.length - 1
  const counts = new Array<number>(bins).fill(0)
  const first = edges[0]!
  const last = edges[bins]!
  const norm = bins / (last - first)
  ;(sample.values as number[]).forEach((value, k) => {
    if (value < first || value > last) return
    let index = Math.min(Math.floor((value - first) * norm), bins - 1)
    // The same edge corrections numpy applies after its float bin guess.
    if (value < edges[index]!) index--
    else if (index !== bins - 1 && value >= edges[index + 1]!) index++
    counts[index]! += sample.weights[k]!
  })
  return counts
}
