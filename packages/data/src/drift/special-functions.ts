/**
 * The few special functions the drift tests need, written out so packages/data stays free of numeric
 * dependencies. Accuracy target: ~1e-14 relative, far inside the 1e-6 the SciPy comparison test asks for.
 */

// Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 relative for positive arguments.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
]

export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x)
  const z = x - 1
  let sum = LANCZOS[0]!
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (z + i)
  const t = z + 7.5
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum)
}

/** log C(n, k). */
export function logBinomial(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1)
}

/** Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a): series below a + 1, continued fraction above. */
export function upperRegularizedGamma(a: number, x: number): number {
  if (x <= 0) return 1
  if (!Number.isFinite(x)) return 0
  const logPrefix = -x + a * Math.log(x) - logGamma(a)
  if (x < a + 1) {
    let term = 1 / a
    let sum = term
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n)
      sum += term
      if (Math.abs(term) < Math.abs(sum) * 1e-17) break
    }
    return Math.max(0, 1 - sum * Math.exp(logPrefix))
  }
  // Modified Lentz evaluation of the continued fraction for Γ(a, x).
  const tiny = 1e-300
  let b = x + 1 - a
  let c = 1 / tiny
  let d = 1 / b
  let h = d
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < tiny) d = tiny
    c = b + an / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    const delta = d * c
    h *= delta
    if (Math.abs(delta - 1) < 1e-16) break
  }
  return Math.exp(logPrefix) * h
}

/** Survival function of the chi-square distribution with `df` degrees of freedom. */
export function chiSquareSurvival(statistic: number, df: number): number {
  if (Number.isNaN(statistic)) return Number.NaN
  return upperRegularizedGamma(df / 2, statistic / 2)
}

/** erfc(x) for x >= 0 is Q(1/2, x²), which keeps full relative accuracy far into the tail. */
function erfc(x: number): number {
  if (x >= 0) return upperRegularizedGamma(0.5, x * x)
  return 2 - upperRegularizedGamma(0.5, x * x)
}

/** Standard normal CDF. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2)
}
