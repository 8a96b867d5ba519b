import { KllSketch } from './kll.js'
import { seededRandom } from '../__fixtures__/files.js'

/** Fraction of sorted data <= x (or < x when not `inclusive`). */
function exactCdf(sorted: Float64Array, x: number, inclusive = true): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (inclusive ? sorted[mid]! <= x : sorted[mid]! < x) lo = mid + 1
    else hi = mid
  }
  return lo / sorted.length
}

const QUANTILES = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999]

describe('KllSketch', () => {
  it.each([
    ['uniform', (r: () => number) => r()],
    ['exponential', (r: () => number) => -Math.log(1 - r()) * 50],
    ['heavy ties', (r: () => number) => Math.floor(r() * 12)],
  ])('keeps the rank error under 1%% at n = 200k (%s)', (_name, draw) => {
    const random = seededRandom(42)
    const n = 200_000
    const data = new Float64Array(n)
    const sketch = new KllSketch()
    for (let i = 0; i < n; i++) {
      const x = draw(random)
      data[i] = x
      sketch.add(x)
    }
    data.sort()
    expect(sketch.count).toBe(n)
    expect(sketch.min).toBe(data[0])
    expect(sketch.max).toBe(data[n - 1])
    for (const q of QUANTILES) {
      const estimate = sketch.quantile(q)
      // With ties an estimate covers a range of ranks; the error is the distance from q to that range.
      const below = exactCdf(data, estimate, false)
      const atOrBelow = exactCdf(data, estimate)
      const error = q < below ? below - q : q > atOrBelow ? q - atOrBelow : 0
      expect(error).toBeLessThan(0.01)
    }
    for (const x of [data[Math.floor(n * 0.1)]!, data[Math.floor(n / 2)]!, data[Math.floor(n * 0.97)]!]) {
      expect(Math.abs(sketch.cdf(x) - exactCdf(data, x))).toBeLessThan(0.01)
    }
  })

  it('keeps a bounded number of items whatever n is', () => {
    const random = seededRandom(3)
    const sketch = new KllSketch()
    const retained: number[] = []
    for (let i = 1; i <= 2_000_000; i++) {
      sketch.add(random())
      if (i === 20_000 || i === 200_000 || i === 2_000_000) retained.push(sketch.retained)
    }
    // About 4k numbers whether n is 20 thousand or 2 million.
    for (const size of retained) expect(size).toBeLessThan(5 * sketch.k)
  })

  it('is exact below k items, interpolating like numpy', () => {
    const sketch = new KllSketch()
    for (const x of [15, 1, 3, 7, 9]) sketch.add(x)
    // numpy.quantile([1, 3, 7, 9, 15], q) with the default linear method.
    expect(sketch.quantile(0.5)).toBe(7)
    expect(sketch.quantile(0.25)).toBe(3)
    expect(sketch.quantile(0.1)).toBeCloseTo(1.8, 12)
    expect(sketch.quantile(0.9)).toBeCloseTo(12.6, 12)
    expect(sketch.quantile(0)).toBe(1)
    expect(sketch.quantile(1)).toBe(15)
    expect(sketch.cdf(7)).toBe(0.6)
    expect(sketch.cdf(0)).toBe(0)
    expect(sketch.rank(7)).toBe(2)
    expect(sketch.rank(7, true)).toBe(3)
  })

  it('keeps total weight exactly n, so ranks end at n', () => {
    const random = seededRandom(5)
    const sketch = new KllSketch(37)
    for (let i = 0; i < 123_457; i++) sketch.add(random())
    expect(sketch.rank(Infinity)).toBe(123_457)
    expect(sketch.rank(-Infinity)).toBe(0)
  })

  it('answers NaN when empty and ignores NaN input', () => {
    const sketch = new KllSketch()
    expect(sketch.quantile(0.5)).toBeNaN()
    expect(sketch.cdf(1)).toBeNaN()
    sketch.add(NaN)
    expect(sketch.count).toBe(0)
  })

  it('gives the same answers for the same input', () => {
    const build = () => {
      const random = seededRandom(9)
      const sketch = new KllSketch()
      for (let i = 0; i < 50_000; i++) sketch.add(random())
      return QUANTILES.map((q) => sketch.quantile(q))
    }
    expect(build()).toEqual(build())
  })
})
