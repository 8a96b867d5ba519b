import { logBinomial, logGamma } from './special-functions.js'

/**
 * Survival function of the two-sided one-sample Kolmogorov statistic D_n (SciPy's `kstwo.sf(x, n)`), which
 * SciPy's ks_2samp uses for its asymptotic p-value. The branches follow Simard & L'Ecuyer (2011) as SciPy
 * does, so the two agree well inside 1e-6: exact Durbin matrix (Marsaglia-Tsang-Wang) where it is cheap,
 * Pelz-Good for large n, and 2 x the one-sided Smirnov tail (exact Birnbaum-Tingey sum) far in the tail.
 */
export function kolmogorovSurvival(n: number, x: number): number {
  if (x >= 1) return 0
  if (x <= 0) return 1
  const t = n * x
  if (t <= 1) {
    // Ruben-Gambino: P(D_n <= x) = n!/n^n (2t - 1)^n for 1/2n <= x <= 1/n.
    if (t <= 0.5) return 1
    const cdf = Math.exp(logGamma(n + 1) - n * Math.log(n) + n * Math.log(2 * t - 1))
    return clip(1 - cdf)
  }
  if (t >= n - 1) return clip(2 * (1 - x) ** n)
  if (x >= 0.5) return clip(2 * smirnovSurvival(n, x))
  const nxSquared = t * x
  if (n <= 140) {
    // SciPy switches to Pomeranz between 0.754693 and 4; both are exact algorithms, so the Durbin matrix
    // (small here: order 2*ceil(n x) - 1 <= 47) gives the same number.
    if (nxSquared <= 4) return clip(1 - durbinMatrixCdf(n, x))
    return clip(2 * smirnovSurvival(n, x))
  }
  if (nxSquared >= 370) return 0
  if (nxSquared >= 2.2) return clip(2 * smirnovSurvival(n, x))
  const cdf = n <= 100_000 && n * x ** 1.5 <= 1.4 ? durbinMatrixCdf(n, x) : pelzGoodCdf(n, x)
  return clip(1 - cdf)
}

const clip = (p: number): number => Math.min(1, Math.max(0, p))

/** One-sided P(D+_n >= x) by the exact Birnbaum-Tingey sum (all terms positive: no cancellation). */
export function smirnovSurvival(n: number, x: number): number {
  if (x <= 0) return 1
  if (x >= 1) return 0
  let sum = 0
  const last = Math.floor(n * (1 - x))
  for (let j = 0; j <= last; j++) {
    const a = 1 - x - j / n
    if (a <= 0 && n - j > 0) continue
    const logTerm =
      logBinomial(n, j) + (n - j === 0 ? 0 : (n - j) * Math.log(a)) + (j - 1) * Math.log(x + j / n)
    sum += Math.exp(logTerm)
  }
  return x * sum
}

const SCALE_EXP = 128
const SCALE = 2 ** SCALE_EXP
const UNSCALE = 2 ** -SCALE_EXP

function ldexp(value: number, exponent: number): number {
  let result = value
  let e = exponent
  while (e > 1000) {
    result *= 2 ** 1000
    e -= 1000
  }
  while (e < -1000) {
    result *= 2 ** -1000
    e += 1000
  }
  return result * 2 ** e
}

function multiply(a: Float64Array, b: Float64Array, m: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(m * m)
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k]!
      if (aik === 0) continue
      for (let j = 0; j < m; j++) out[i * m + j]! += aik * b[k * m + j]!
    }
  }
  return out
}

/** P(D_n <= d) by Durbin's matrix method with the Marsaglia-Tsang-Wang scaling. */
function durbinMatrixCdf(n: number, d: number): number {
  if (d >= 1) return 1
  const nd = n * d
  if (nd <= 0.5) return 0
  const k = Math.ceil(nd)
  const h = k - nd
  const m = 2 * k - 1
  const v = new Float64Array(m)
  const w = new Float64Array(m)
  let fac = 1
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac
    fac /= j
    v[j - 1] = (1 - h ** j) * fac
  }
  v[m - 1] = (1 + (Math.max(2 * h - 1, 0) ** m - 2 * h ** m)) * fac
  let H: Float64Array<ArrayBuffer> = new Float64Array(m * m)
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - (i - 1)]!
  for (let r = 0; r < m; r++) H[r * m] = v[r]!
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c]!
  let power: Float64Array<ArrayBuffer> = new Float64Array(m * m)
  for (let i = 0; i < m; i++) power[i * m + i] = 1
  let exponent = 0
  let hExponent = 0
  for (let nn = n; nn > 0; nn = Math.floor(nn / 2)) {
    if (nn % 2) {
      power = multiply(power, H, m)
      exponent += hExponent
    }
    H = multiply(H, H, m)
    hExponent *= 2
    if (Math.abs(H[(k - 1) * m + (k - 1)]!) > SCALE) {
      for (let i = 0; i < H.length; i++) H[i]! /= SCALE
      hExponent += SCALE_EXP
    }
  }
  let p = power[(k - 1) * m + (k - 1)]!
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n
    if (Math.abs(p) < UNSCALE) {
      p *= SCALE
      exponent -= SCALE_EXP
    }
  }
  return clip(ldexp(p, exponent))
}

/** Pelz-Good asymptotic series for P(D_n <= x), the approximation SciPy uses for large n. */
function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0
  if (x >= 1) return 1
  const PI2 = Math.PI ** 2
  const PI4 = Math.PI ** 4
  const PI6 = Math.PI ** 6
  const SQRT2PI = Math.sqrt(2 * Math.PI)
  const z = Math.sqrt(n) * x
  const z2 = z * z
  const z3 = z2 * z
  const z4 = z2 * z2
  const z6 = z4 * z2
  const qlog = -PI2 / 8 / z2
  if (qlog < -708) return 0
  let q = Math.exp(qlog)
  const k1a = -z2
  const k1b = PI2 / 4
  const k2a = 6 * z6 + 2 * z4
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4
  const k2c = (PI4 * (1 - 2 * z2)) / 16
  const k3d = (PI6 * (5 - 30 * z2)) / 64
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4
  const k3a = -30 * z6 - 90 * z ** 8
  const K = [0, 0, 0, 0]
  const maxk = Math.ceil((16 * z) / Math.PI)
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1
    const m2 = m * m
    const m4 = m2 * m2
    const m6 = m4 * m2
    const qpower = q ** (8 * k)
    const coeffs = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6]
    for (let i = 0; i < 4; i++) K[i] = K[i]! * qpower + coeffs[i]!
  }
  const divisors = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10]
  for (let i = 0; i < 4; i++) K[i] = (K[i]! * q * SQRT2PI) / divisors[i]!
  q = Math.exp(-PI2 / 2 / z2)
  let k2extra = 0
  let k3extra = 0
  const sqrt3z = Math.sqrt(3) * z
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k
    const qk = q ** k2
    k2extra += k2 * qk
    k3extra += (sqrt3z + Math.PI * k) * (sqrt3z - Math.PI * k) * k2 * qk
  }
  K[2]! += (k2extra * PI2 * SQRT2PI) / (-36 * z3)
  K[3]! += (k3extra * PI2 * SQRT2PI) / (216 * z6)
  let sum = 0
  for (let i = 0; i < 4; i++) sum += K[i]! / n ** (i / 2)
  return sum
}
