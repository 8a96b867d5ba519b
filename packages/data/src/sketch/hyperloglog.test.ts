import { HyperLogLog } from './hyperloglog.js'

describe('HyperLogLog', () => {
  it.each([1_000, 10_000, 40_000, 60_000, 100_000, 1_000_000])(
    'estimates %i distinct values within 3%%',
    (n) => {
      const sketch = new HyperLogLog()
      for (let i = 0; i < n; i++) {
        sketch.add(`user-${i}`)
        // Repeats must not count.
        if (i % 3 === 0) sketch.add(`user-${i >> 1}`)
      }
      expect(Math.abs(sketch.estimate() - n) / n).toBeLessThan(0.03)
    },
  )

  it('is close to exact at small cardinalities (linear counting)', () => {
    for (const n of [0, 1, 2, 10, 50, 100, 500]) {
      const sketch = new HyperLogLog()
      for (let repeat = 0; repeat < 3; repeat++) for (let i = 0; i < n; i++) sketch.add(String(i * 7.5))
      expect(Math.abs(sketch.estimate() - n)).toBeLessThanOrEqual(Math.max(1, n * 0.01))
    }
  })

  it('counts numeric strings, short keys and unicode as distinct values', () => {
    const sketch = new HyperLogLog(12)
    const values = ['1', '1.0', '01', 'a', 'A', 'é', 'é', '日本', '🙂', '']
    for (const value of values) sketch.add(value)
    expect(sketch.estimate()).toBe(new Set(values).size)
  })

  it('merges into the union', () => {
    const a = new HyperLogLog()
    const b = new HyperLogLog()
    for (let i = 0; i < 30_000; i++) a.add(`k${i}`)
    for (let i = 20_000; i < 50_000; i++) b.add(`k${i}`)
    a.merge(b)
    expect(Math.abs(a.estimate() - 50_000) / 50_000).toBeLessThan(0.03)
    expect(() => a.merge(new HyperLogLog(12))).toThrow(/precision/)
  })

  it('rejects an unsupported precision', () => {
    expect(() => new HyperLogLog(3)).toThrow(RangeError)
  })
})
