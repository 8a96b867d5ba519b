import { mulberry32 } from '../train/seeded-random.js'
import { binOf, fitThresholds, MAX_BINS } from './binning.js'

describe('fitThresholds', () => {
  it('puts one threshold halfway between neighbouring values when there are few distinct values', () => {
    expect(Array.from(fitThresholds(Float64Array.from([3, 1, 2, 2, 1, 3])))).toEqual([1.5, 2.5])
    expect(fitThresholds(Float64Array.from([7, 7, 7])).length).toBe(0)
  })

  it('uses quantile edges (numpy midpoint percentiles) when there are more distinct values than bins', () => {
    const values = Float64Array.from({ length: 1_000 }, (_, i) => i)
    const thresholds = fitThresholds(Float64Array.from(values), 10)
    // np.percentile(range(1000), [10, 20, ..., 90], method='midpoint')
    expect(Array.from(thresholds)).toEqual([99.5, 199.5, 299.5, 399.5, 499.5, 599.5, 699.5, 799.5, 899.5])
  })

  it('never has more than 254 thresholds, all float32, ascending, and bin <= b exactly when value <= threshold b', () => {
    const next = mulberry32(4)
    // float32 values, as the graph's Scaler outputs, with ties and close neighbours.
    const values = Float64Array.from({ length: 20_000 }, () =>
      Math.fround(Math.round(next() * 5_000) / 997 - 2),
    )
    const thresholds = fitThresholds(Float64Array.from(values))
    expect(thresholds.length).toBeLessThanOrEqual(MAX_BINS - 1)
    thresholds.forEach((t, i) => {
      expect(Math.fround(t)).toBe(t)
      if (i > 0) expect(t).toBeGreaterThan(thresholds[i - 1]!)
    })
    for (const value of values.subarray(0, 2_000)) {
      const bin = binOf(thresholds, value)
      for (const b of [bin - 1, bin, bin + 1].filter((b) => b >= 0 && b < thresholds.length)) {
        expect(bin <= b).toBe(value <= thresholds[b]!)
      }
    }
  })

  it('a threshold between two adjacent float32 numbers is the lower one, never the upper', () => {
    const a = Math.fround(1.1)
    const b = a + 2 ** -23 // the next float32 after 1.1
    expect(Math.fround(b)).toBe(b)
    const [t] = fitThresholds(Float64Array.from([a, b]))
    expect(t).toBe(a)
    expect(binOf(Float64Array.from([t!]), a)).toBe(0)
    expect(binOf(Float64Array.from([t!]), b)).toBe(1)
  })
})
