import { ProfileBuilder, quantileKey, type ColumnProfile, type DatasetProfile } from './profile.js'
import type { Cell } from './types.js'
import { seededRandom } from './__fixtures__/files.js'

function column(profile: DatasetProfile, name: string): ColumnProfile {
  const found = profile.columns.find((candidate) => candidate.name === name)
  if (!found) throw new Error(`no column ${name}`)
  return found
}

function exactStats(values: number[]): { mean: number; std: number; min: number; max: number } {
  const mean = values.reduce((sum, x) => sum + x, 0) / values.length
  const variance = values.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (values.length - 1)
  return { mean, std: Math.sqrt(variance), min: Math.min(...values), max: Math.max(...values) }
}

/** Distance from q to the range of ranks the estimate covers in the sorted data. */
function rankError(sorted: number[], estimate: number, q: number): number {
  const below = sorted.filter((x) => x < estimate).length / sorted.length
  const atOrBelow = sorted.filter((x) => x <= estimate).length / sorted.length
  return q < below ? below - q : q > atOrBelow ? q - atOrBelow : 0
}

describe('ProfileBuilder', () => {
  const rows = 20_000
  const random = seededRandom(2024)
  const cities = ['Lyon', 'Paris', 'Nantes', 'Lille', 'Brest']
  const cityWeights = [0.4, 0.3, 0.15, 0.1, 0.05]
  const ages: number[] = []
  const scores: number[] = []
  const cityCounts = new Map<string, number>()
  let ageNulls = 0
  let trueCount = 0
  let falseCount = 0
  let typedNulls = 0
  const builder = new ProfileBuilder([
    'age',
    'score',
    'flag',
    'when',
    'city',
    'mixed',
    'empty',
    'typed',
    'id',
  ])
  for (let i = 0; i < rows; i++) {
    let age: Cell = null
    if (random() < 0.05) ageNulls++
    else {
      const value = Math.round(18 + random() * 70)
      ages.push(value)
      age = String(value)
    }
    // Mostly decimals with some integer-looking cells: the column is a number column.
    const score = i % 10 === 0 ? Math.round(random() * 100) : Math.round(random() * 10_000) / 100 - 20
    scores.push(score)
    const flag = random() < 0.3
    if (flag) trueCount++
    else falseCount++
    let pick = random()
    let city = cities[cities.length - 1]!
    for (let c = 0; c < cities.length; c++) {
      if (pick < cityWeights[c]!) {
        city = cities[c]!
        break
      }
      pick -= cityWeights[c]!
    }
    cityCounts.set(city, (cityCounts.get(city) ?? 0) + 1)
    const typed = i % 50 === 0 ? NaN : i * 0.5
    if (i % 50 === 0) typedNulls++
    builder.add([
      age,
      String(score),
      flag ? (i % 2 ? 'TRUE' : 'true') : 'False',
      `2024-01-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00Z`,
      city,
      i === rows - 1 ? 'n/a' : String(i % 7),
      null,
      typed,
      `id-${i}`,
    ])
  }
  const profile = builder.finish()

  it('counts rows, nulls and non-null cells', () => {
    expect(profile.rows).toBe(rows)
    const age = column(profile, 'age')
    expect(age).toMatchObject({
      count: rows,
      nulls: ageNulls,
      nonNull: rows - ageNulls,
      nullRate: ageNulls / rows,
    })
    expect(column(profile, 'typed').nulls).toBe(typedNulls)
  })

  it('infers each column type from every non-null cell', () => {
    expect(profile.columns.map((c) => [c.name, c.type])).toEqual([
      ['age', 'integer'],
      ['score', 'number'],
      ['flag', 'boolean'],
      ['when', 'datetime'],
      ['city', 'string'],
      ['mixed', 'string'],
      ['empty', 'empty'],
      ['typed', 'number'],
      ['id', 'string'],
    ])
  })

  it('computes exact mean, std, min and max', () => {
    for (const [name, values] of [
      ['age', ages],
      ['score', scores],
    ] as const) {
      const numeric = column(profile, name).numeric!
      const exact = exactStats(values)
      expect(numeric.min).toBe(exact.min)
      expect(numeric.max).toBe(exact.max)
      expect(numeric.mean).toBeCloseTo(exact.mean, 9)
      expect(numeric.std).toBeCloseTo(exact.std, 9)
    }
  })

  it('estimates quantiles within 1% of rank', () => {
    const sorted = [...scores].sort((a, b) => a - b)
    const quantiles = column(profile, 'score').numeric!.quantiles
    expect(Object.keys(quantiles)).toEqual(['p1', 'p5', 'p25', 'p50', 'p75', 'p95', 'p99'])
    for (const [key, value] of Object.entries(quantiles)) {
      expect(rankError(sorted, value, Number(key.slice(1)) / 100)).toBeLessThan(0.01)
    }
    expect(builder.quantile('score', 0.5)).toBe(quantiles.p50)
  })

  it('builds a histogram of equal-width bins that counts every numeric cell', () => {
    const { histogram, min, max } = column(profile, 'age').numeric!
    expect(histogram.edges).toHaveLength(21)
    expect(histogram.counts).toHaveLength(20)
    expect(histogram.edges[0]).toBe(min)
    expect(histogram.edges[20]).toBe(max)
    expect(histogram.counts.reduce((sum, count) => sum + count, 0)).toBe(ages.length)
    for (let i = 0; i < 20; i++) {
      const lo = histogram.edges[i]!
      const hi = histogram.edges[i + 1]!
      const exact = ages.filter((x) => x >= lo && (i === 19 ? x <= hi : x < hi)).length
      expect(Math.abs(histogram.counts[i]! - exact)).toBeLessThanOrEqual(0.01 * ages.length)
    }
  })

  it('reports the most frequent values exactly for a categorical column', () => {
    const city = column(profile, 'city')
    const expected = [...cityCounts]
      .map(([value, count]) => ({ value, count }))
      .sort((a, b) => b.count - a.count)
    expect(city.top).toEqual(expected)
    expect(city.distinct).toBe(5)
    expect(city.numeric).toBeUndefined()
    expect(city.text).toEqual({
      minLength: 4,
      maxLength: 6,
      meanLength: [...cityCounts].reduce((sum, [value, count]) => sum + value.length * count, 0) / rows,
    })
  })

  it('estimates the distinct count of a high-cardinality column and keeps top counts honest', () => {
    const id = column(profile, 'id')
    expect(Math.abs(id.distinct - rows) / rows).toBeLessThan(0.03)
    expect(id.top).toHaveLength(10)
    for (const entry of id.top) expect(entry.count).toBe(1)
  })

  it('counts booleans and leaves numeric stats out of non-numeric columns', () => {
    expect(column(profile, 'flag').boolean).toEqual({ trueCount, falseCount })
    expect(column(profile, 'flag').top.map((entry) => entry.value)).toEqual(['False', 'true', 'TRUE'])
    const mixed = column(profile, 'mixed')
    expect(mixed.numeric).toBeUndefined()
    expect(mixed.distinct).toBe(8)
    expect(builder.quantile('mixed', 0.5)).toBeUndefined()
    expect(builder.quantile('nope', 0.5)).toBeUndefined()
  })

  it('profiles an all-null column as empty', () => {
    expect(column(profile, 'empty')).toEqual({
      name: 'empty',
      type: 'empty',
      count: rows,
      nulls: rows,
      nullRate: 1,
      distinct: 0,
      nonNull: 0,
      top: [],
    })
  })

  it('stringifies typed values for the top list', () => {
    const typed = column(profile, 'typed')
    expect(typed.top).toHaveLength(10)
    for (const entry of typed.top) {
      expect(entry.value).toMatch(/^\d+(\.5)?$/)
      expect(entry.count).toBe(1)
    }
    expect(typed.numeric!.min).toBe(0.5)
    expect(typed.numeric!.max).toBe((rows - 1) * 0.5)
  })
})

describe('ProfileBuilder on small inputs', () => {
  it('is exact for a small column, like numpy', () => {
    const builder = new ProfileBuilder(['x'], { histogramBins: 4, quantiles: [0.1, 0.5, 0.999] })
    for (const x of ['1', '3', '7', '9', '15']) builder.add([x])
    const numeric = builder.finish().columns[0]!.numeric!
    expect(numeric.quantiles).toEqual({
      p10: 1.8,
      p50: 7,
      'p99.9': expect.closeTo(14.976, 9) as unknown as number,
    })
    expect(numeric.histogram).toEqual({ edges: [1, 4.5, 8, 11.5, 15], counts: [2, 1, 1, 1] })
    expect(numeric.std).toBeCloseTo(Math.sqrt(30), 12)
  })

  it('puts a constant column in one bin and reports std 0 for one value', () => {
    const builder = new ProfileBuilder(['c', 'one'])
    for (let i = 0; i < 3; i++) builder.add(['4', i === 0 ? '2.5' : null])
    const [constant, one] = builder.finish().columns
    expect(constant!.numeric!.histogram).toEqual({ edges: [4, 4], counts: [3] })
    expect(one!.numeric).toMatchObject({ min: 2.5, max: 2.5, mean: 2.5, std: 0 })
  })

  it('widens integers and decimals to number, and anything with text to string', () => {
    const builder = new ProfileBuilder(['a', 'b', 'c', 'd'])
    builder.add(['1', '1', 'true', 3])
    builder.add(['2.5', 'x', '2024-01-01', true])
    const types = builder.finish().columns.map((c) => c.type)
    expect(types).toEqual(['number', 'string', 'string', 'string'])
  })

  it('limits the top list to topK and treats missing trailing cells as null', () => {
    const builder = new ProfileBuilder(['v', 'w'], { topK: 2 })
    for (const v of ['a', 'b', 'b', 'c', 'c', 'c']) builder.add([v])
    const [v, w] = builder.finish().columns
    expect(v!.top).toEqual([
      { value: 'c', count: 3 },
      { value: 'b', count: 2 },
    ])
    expect(w!.nulls).toBe(6)
  })

  it('names quantile keys without float noise', () => {
    expect([0.01, 0.07, 0.5, 0.999, 0.333].map(quantileKey)).toEqual(['p1', 'p7', 'p50', 'p99.9', 'p33.3'])
  })

  it('rejects bad options', () => {
    expect(() => new ProfileBuilder(['x'], { histogramBins: 0 })).toThrow(RangeError)
    expect(() => new ProfileBuilder(['x'], { quantiles: [1.5] })).toThrow(RangeError)
  })
})
