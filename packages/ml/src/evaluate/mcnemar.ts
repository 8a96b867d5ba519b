/**
 * McNemar's test on paired predictions: do the two models err on different rows more often one way than the
 * other? Only discordant rows count: b = baseline right and candidate wrong, c = baseline wrong and candidate
 * right. Conventions follow statsmodels' `mcnemar`:
 *  - exact (b + c < 25): two-sided binomial p = min(1, 2 * P(X <= min(b, c))), X ~ Binomial(b + c, 0.5), the
 *    same as `mcnemar(table, exact=True)` and `scipy.stats.binomtest(min(b, c), b + c, 0.5).pvalue`;
 *  - otherwise chi-square with continuity correction: (|b - c| - 1)^2 / (b + c) on 1 degree of freedom, as
 *    `mcnemar(table, exact=False, correction=True)` and `scipy.stats.chi2.sf(stat, 1)`.
 * 25 discordant pairs is the usual rule of thumb for when the chi-square approximation becomes adequate.
 */
export interface McNemarResult {
  /** Rows the baseline got right and the candidate wrong. */
  baselineOnly: number
  /** Rows the candidate got right and the baseline wrong. */
  candidateOnly: number
  method: 'exact-binomial' | 'chi-square-corrected'
  /** min(b, c) for the exact test, the chi-square statistic otherwise. */
  statistic: number
  pValue: number
}

export const MCNEMAR_EXACT_BELOW = 25

export function mcnemarTest(
  actual: ArrayLike<number>,
  baselinePredicted: ArrayLike<number>,
  candidatePredicted: ArrayLike<number>,
): McNemarResult {
  let b = 0
  let c = 0
  for (let i = 0; i < actual.length; i++) {
    const baselineRight = baselinePredicted[i] === actual[i]
    const candidateRight = candidatePredicted[i] === actual[i]
    if (baselineRight && !candidateRight) b++
    else if (!baselineRight && candidateRight) c++
  }
  return mcnemarFromCounts(b, c)
}

export function mcnemarFromCounts(baselineOnly: number, candidateOnly: number): McNemarResult {
  const n = baselineOnly + candidateOnly
  if (n < MCNEMAR_EXACT_BELOW) {
    const k = Math.min(baselineOnly, candidateOnly)
    return {
      baselineOnly,
      candidateOnly,
      method: 'exact-binomial',
      statistic: k,
      pValue: n === 0 ? 1 : Math.min(1, 2 * binomialCdfHalf(k, n)),
    }
  }
  const statistic = (Math.abs(baselineOnly - candidateOnly) - 1) ** 2 / n
  return {
    baselineOnly,
    candidateOnly,
    method: 'chi-square-corrected',
    statistic,
    pValue: chiSquare1Sf(statistic),
  }
}

/** P(X <= k) for X ~ Binomial(n, 1/2), summed in log space so large n does not underflow term by term. */
function binomialCdfHalf(k: number, n: number): number {
  let logTerm = -n * Math.LN2 // log C(n, 0) / 2^n
  let total = Math.exp(logTerm)
  for (let i = 1; i <= k; i++) {
    logTerm += Math.log((n - i + 1) / i)
    total += Math.exp(logTerm)
  }
  return total
}

/** Survival function of chi-square with 1 degree of freedom: P(X > x) = erfc(sqrt(x / 2)). */
export function chiSquare1Sf(x: number): number {
  return x <= 0 ? 1 : erfc(Math.sqrt(x / 2))
}

/**
 * Complementary error function to ~1e-15 relative: the Taylor series of erf below 2 (where it converges fast and
 * 1 - erf loses nothing that matters), a Lentz continued fraction above (where 1 - erf would cancel).
 */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x)
  if (x < 2) {
    let term = x
    let sum = x
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n
      const add = term / (2 * n + 1)
      sum += add
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), evaluated by modified Lentz.
  const tiny = 1e-300
  let f = x
  let c = x
  let d = 0
  for (let n = 1; n < 500; n++) {
    const a = n / 2
    d = x + a * d
    d = Math.abs(d) < tiny ? tiny : d
    c = x + a / c
    c = Math.abs(c) < tiny ? tiny : c
    d = 1 / d
    const delta = c * d
    f *= delta
    if (Math.abs(delta - 1) < 1e-16) break
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f
}
