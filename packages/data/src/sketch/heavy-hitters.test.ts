import { HeavyHitters } from './heavy-hitters.js'
import { seededRandom } from '../__fixtures__/files.js'

function exactCounts(values: string[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1)
  return counts
}

function exactTop(values: string[], k: number): Array<{ value: string; count: number }> {
  return [...exactCounts(values)]
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1))
    .slice(0, k)
}

describe('HeavyHitters', () => {
  it('is exact while there are fewer distinct values than its capacity', () => {
    const random = seededRandom(1)
    const values = Array.from({ length: 50_000 }, () => `v${Math.floor(random() ** 2 * 999)}`)
    const sketch = new HeavyHitters()
    for (const value of values) sketch.add(value)
    expect(sketch.exact).toBe(true)
    expect(sketch.error).toBe(0)
    expect(sketch.size).toBe(exactCounts(values).size)
    expect(sketch.top(1000)).toEqual(exactTop(values, 1000))
    expect(sketch.count).toBe(50_000)
  })

  it('finds the true heavy hitters of a skewed stream far wider than its capacity', () => {
    const random = seededRandom(2)
    // Zipf-like: value i with weight about 1/i over 100k values.
    const n = 200_000
    const values = Array.from({ length: n }, () => `v${Math.floor(Math.exp(random() * Math.log(100_000)))}`)
    const sketch = new HeavyHitters(200)
    for (const value of values) sketch.add(value)
    expect(sketch.exact).toBe(false)
    expect(sketch.error).toBeLessThanOrEqual(n / 200)
    const truth = exactCounts(values)
    expect(sketch.top(10).map((entry) => entry.value)).toEqual(
      exactTop(values, 10).map((entry) => entry.value),
    )
    for (const { value, count, error } of sketch.entries()) {
      const actual = truth.get(value)!
      expect(count).toBeLessThanOrEqual(actual)
      expect(count + error).toBeGreaterThanOrEqual(actual)
    }
    // Anything more frequent than the error bound is tracked.
    const tracked = new Set(sketch.entries().map((entry) => entry.value))
    for (const [value, count] of truth) if (count > sketch.error) expect(tracked.has(value)).toBe(true)
  })

  it('keeps a bounded table and never inflates counts of unique values', () => {
    const sketch = new HeavyHitters(10)
    for (let i = 0; i < 10_000; i++) sketch.add(`id-${i}`)
    expect(sketch.size).toBeLessThanOrEqual(20)
    for (const entry of sketch.top(10)) expect(entry.count).toBe(1)
  })

  it('orders ties by value and keeps long values without their source string', () => {
    const sketch = new HeavyHitters(5)
    const source = 'x'.repeat(100) + ',a-rather-long-category-name,'
    sketch.add(source.slice(101, 128))
    sketch.add('b')
    sketch.add('a')
    expect(sketch.top(3)).toEqual([
      { value: 'a', count: 1 },
      { value: 'a-rather-long-category-name', count: 1 },
      { value: 'b', count: 1 },
    ])
  })

  it('rejects a capacity below 1', () => {
    expect(() => new HeavyHitters(0)).toThrow(RangeError)
  })
})
