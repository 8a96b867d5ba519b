/**
 * A seeded PRNG (mulberry32) and the few distributions the generator needs. Math.random is not
 * seedable, and the example files must be identical byte for byte on every machine.
 */
export interface Random {
  next(): number
  normal(mean: number, sd: number): number
  pick<T>(values: readonly T[], weights: readonly number[]): T
  bernoulli(p: number): boolean
  poisson(lambda: number): number
}

export function createRandom(seed: number): Random {
  let state = seed >>> 0
  let spare: number | undefined
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const standardNormal = (): number => {
    if (spare !== undefined) {
      const value = spare
      spare = undefined
      return value
    }
    // Box-Muller; 1 - next() keeps log() away from 0.
    const u = 1 - next()
    const v = next()
    const radius = Math.sqrt(-2 * Math.log(u))
    spare = radius * Math.sin(2 * Math.PI * v)
    return radius * Math.cos(2 * Math.PI * v)
  }
  return {
    next,
    normal: (mean, sd) => mean + sd * standardNormal(),
    pick: (values, weights) => {
      const total = weights.reduce((sum, w) => sum + w, 0)
      let target = next() * total
      for (let i = 0; i < values.length; i++) {
        target -= weights[i] ?? 0
        if (target < 0) return values[i] as (typeof values)[number]
      }
      return values[values.length - 1] as (typeof values)[number]
    },
    bernoulli: (p) => next() < p,
    poisson: (lambda) => {
      // Knuth's method: fine for the small means used here.
      const limit = Math.exp(-lambda)
      let k = 0
      let product = next()
      while (product > limit) {
        k++
        product *= next()
      }
      return k
    },
  }
}
