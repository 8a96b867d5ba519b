import { kolmogorovSurvival } from './kolmogorov.js'
import type { WeightedSample } from './weighted-sample.js'

export interface KsResult {
  statistic: number
  pValue: number
  mode: 'exact' | 'asymp'
}

// SciPy's 'auto' mode: exact p-value while both samples have at most this many values.
const MAX_EXACT_N = 10_000

/**
 * Two-sided two-sample Kolmogorov-Smirnov test, as scipy.stats.ks_2samp(method='auto'): D = max |F1 - F2| over
 * both samples, exact p-value (Hodges' lattice-path counts) when max(n1, n2) <= 10000, otherwise the one-sample
 * Kolmogorov distribution at n = round(n1 n2 / (n1 + n2)).
 */
export function ksTwoSample(reference: WeightedSample, current: WeightedSample): KsResult {
  const n1 = Math.round(reference.total)
  const n2 = Math.round(current.total)
  let d = ksStatistic(reference, current)
  if (Math.max(n1, n2) <= MAX_EXACT_N) {
    const g = gcd(n1, n2)
    const lcm = (n1 / g) * n2
    const h = roundHalfEven(d * lcm)
    d = h / lcm
    if (h === 0) return { statistic: d, pValue: 1, mode: 'exact' }
    const p = n1 === n2 ? probabilityOutsideSquare(n1, h) : probabilityOutsideBand(n1, n2, g, h)
    if (Number.isFinite(p) && p >= 0 && p <= 1) return { statistic: d, pValue: p, mode: 'exact' }
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1]
  const en = roundHalfEven((m * n) / (m + n))
  return { statistic: d, pValue: Math.min(1, Math.max(0, kolmogorovSurvival(en, d))), mode: 'asymp' }
}

/** max |F1(x) - F2(x)| over every value of either sample, ECDFs taken right-continuous as searchsorted 'right'. */
export function ksStatistic(a: WeightedSample, b: WeightedSample): number {
  const av = a.values as number[]
  const bv = b.values as number[]
  let i = 0
  let j = 0
  let ca = 0
  let cb = 0
  let d = 0
  while (i < av.length || j < bv.length) {
    const x = j >= bv.length || (i < av.length && av[i]! <= bv[j]!) ? av[i]! : bv[j]!
    while (i < av.length && av[i]! <= x) ca += a.weights[i++]!
    while (j < bv.length && bv[j]! <= x) cb += b.weights[j++]!
    d = Math.max(d, Math.abs(ca / a.total - cb / b.total))
  }
  return d
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b]
  return a
}

/** numpy's round: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x)
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r
}

/**
 * P(D_{n,n} >= h/n) = 2 Σ_k (-1)^(k+1) C(2n, n - kh) / C(2n, n), each ratio as a product of h factors and the
 * alternating sum nested Horner-style so it never subtracts two nearly equal large numbers.
 */
function probabilityOutsideSquare(n: number, h: number): number {
  let p = 0
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let ratio = 1
    for (let j = 0; j < h; j++) ratio = ((n - k * h - j) * ratio) / (n + k * h + j + 1)
    p = ratio * (1 - p)
  }
  return 2 * p
}

/**
 * 1 - (share of lattice paths from (0,0) to (m,n) staying strictly inside |x/m - y/n| < h/lcm), computed directly
 * as the complement (Viehmann 2021) over a sliding window of one column, so no huge binomials appear.
 */
function probabilityOutsideBand(m0: number, n0: number, g: number, h: number): number {
  const [m, n] = m0 >= n0 ? [m0, n0] : [n0, m0]
  const mg = m / g
  const ng = n / g
  let minj = 0
  let maxj = Math.min(Math.ceil(h / mg), n + 1)
  let curlen = maxj - minj
  const lenA = Math.min(2 * maxj + 2, n + 1)
  const A = new Float64Array(lenA).fill(1)
  A.fill(0, minj, maxj)
  for (let i = 1; i <= m; i++) {
    const lastminj = minj
    const lastlen = curlen
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n)
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1)
    if (maxj <= minj) return 1
    let val = minj === 0 ? 0 : 1
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj
      val = (A[jj + minj - lastminj]! * i + val * j) / (i + j)
      A[jj] = val
    }
    curlen = maxj - minj
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen))
  }
  return A[maxj - minj - 1]!
}
