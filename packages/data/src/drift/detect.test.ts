import { seededRandom } from '../__fixtures__/files.js'
import type { ColumnTable, TableColumn } from '../columns.js'
import { DataError } from '../errors.js'
import { buildReferenceProfile } from './build-profile.js'
import { detectDrift } from './detect.js'
import { parseReferenceProfile } from './parse-profile.js'
import { REFERENCE_PROFILE_SCHEMA } from './profile-types.js'
import { columnTableFromRows } from './rows.js'

const random = seededRandom(7)
const normal = (mean: number, sd: number): number =>
  mean + sd * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
const pick = (labels: string[], weights: number[]): string => {
  let r = random() * weights.reduce((s, w) => s + w, 0)
  for (let i = 0; i < labels.length; i++) if ((r -= weights[i]!) < 0) return labels[i]!
  return labels[0]!
}

/** A table with a continuous column, a label column, a 0/1 flag and a small count, optionally shifted. */
function table(rows: number, shift = 0): ColumnTable {
  const columns: TableColumn[] = [
    { name: 'age', kind: 'numeric', values: [] },
    { name: 'admission', kind: 'categorical', values: [] },
    { name: 'flag', kind: 'numeric', values: [] },
    { name: 'visits', kind: 'numeric', values: [] },
  ]
  for (let i = 0; i < rows; i++) {
    columns[0]!.values.push(i % 50 === 0 ? null : Math.round(normal(60 + 10 * shift, 12) * 10) / 10)
    columns[1]!.values.push(pick(['Emergency', 'Urgent', 'Elective'], [50 - 20 * shift, 20, 30 + 20 * shift]))
    columns[2]!.values.push(random() < 0.2 + 0.2 * shift ? 1 : 0)
    columns[3]!.values.push(Math.min(4, Math.floor(-Math.log(1 - random()) * (1 + shift))))
  }
  return { files: [], rows, columns }
}

const byName = (report: ReturnType<typeof detectDrift>, name: string) =>
  report.columns.find((column) => column.column === name)!

describe('detectDrift', () => {
  const smallRef = table(800)
  const largeRef = table(4000)

  it('picks Evidently defaults from the reference size and the distinct values', () => {
    const small = detectDrift(smallRef, table(500))
    expect(small.columns.map((c) => [c.column, c.method])).toEqual([
      ['age', 'ks'],
      ['admission', 'chisquare'],
      ['flag', 'z'],
      ['visits', 'chisquare'],
    ])
    const large = detectDrift(largeRef, table(500))
    expect(large.columns.map((c) => c.method)).toEqual([
      'wasserstein',
      'jensenshannon',
      'jensenshannon',
      'jensenshannon',
    ])
    expect(large.columns.map((c) => c.threshold)).toEqual([0.1, 0.1, 0.1, 0.1])
  })

  it('finds a shift in every column and none without one', () => {
    for (const reference of [smallRef, largeRef]) {
      const same = detectDrift(reference, table(1500))
      const shifted = detectDrift(reference, table(1500, 1))
      expect(same.columns.filter((c) => c.drifted)).toEqual([])
      expect(same.datasetDrift).toBe(false)
      expect(shifted.columns.map((c) => c.status)).toEqual(['drift', 'drift', 'drift', 'drift'])
      expect(shifted.driftedShare).toBe(1)
      expect(shifted.datasetDrift).toBe(true)
    }
  })

  it('gives the same answer from an exact reference.json as from the raw data', () => {
    const current = table(700, 0.3)
    const profile = parseReferenceProfile(JSON.stringify(buildReferenceProfile(smallRef)), 'reference.json')
    expect(profile.columns.every((column) => column.exact)).toBe(true)
    expect(detectDrift(profile, current)).toEqual(detectDrift(smallRef, current))
  })

  it('stays close with a compressed profile (quantiles instead of every value)', () => {
    const current = table(3000, 0.2)
    const profile = buildReferenceProfile(largeRef, { maxPoints: 200 })
    expect(byName(detectDrift(profile, current), 'age').method).toBe('wasserstein')
    expect(profile.columns[0]!.exact).toBe(false)
    expect(profile.columns[0]!.values).toHaveLength(200)
    const fromProfile = byName(detectDrift(profile, current), 'age').score
    const fromRaw = byName(detectDrift(largeRef, current), 'age').score
    expect(Math.abs(fromProfile - fromRaw)).toBeLessThan(0.01)
    const ks = { perColumn: { age: { method: 'ks' as const } } }
    const ksProfile = byName(detectDrift(profile, current, ks), 'age').statistic!
    const ksRaw = byName(detectDrift(largeRef, current, ks), 'age').statistic!
    expect(Math.abs(ksProfile - ksRaw)).toBeLessThanOrEqual(1 / 200)
  })

  it('applies per-column methods and thresholds, PSI included', () => {
    const report = detectDrift(largeRef, table(2000, 0.3), {
      perColumn: {
        age: { method: 'psi' },
        admission: { method: 'chisquare', threshold: 0.01 },
        flag: { threshold: 0.5 },
      },
    })
    expect(byName(report, 'age')).toMatchObject({ method: 'psi', threshold: 0.2, scoreType: 'distance' })
    expect(byName(report, 'admission')).toMatchObject({
      method: 'chisquare',
      threshold: 0.01,
      scoreType: 'p_value',
    })
    expect(byName(report, 'flag')).toMatchObject({ method: 'jensenshannon', threshold: 0.5, drifted: false })
  })

  it('reports a small current batch as not enough data, never as drift', () => {
    const report = detectDrift(smallRef, table(20, 2))
    expect(report.columns.map((c) => c.status)).toEqual(Array(4).fill('not enough data'))
    expect(report.columns.every((c) => !c.drifted && Number.isFinite(c.score))).toBe(true)
    expect(report.datasetDrift).toBe(false)
    expect(detectDrift(smallRef, table(20, 2), { minSamples: 10 }).datasetDrift).toBe(true)
  })

  it('lists reference columns the current data lacks and tests the rest', () => {
    const current = table(300)
    current.columns = current.columns.filter((column) => column.name !== 'flag')
    const report = detectDrift(smallRef, current)
    expect(report.missingColumns).toEqual(['flag'])
    expect(report.columns.map((c) => c.column)).toEqual(['age', 'admission', 'visits'])
    // Excluding a column the reference does not have is not an error (bundles already leave ids out).
    expect(detectDrift(smallRef, current, { exclude: ['patient_id'] }).columns).toHaveLength(3)
  })

  it('rejects bad options with the column and the fix in the message', () => {
    const current = table(100)
    expect(() => detectDrift(smallRef, current, { perColumn: { agee: { method: 'ks' } } })).toThrow(
      "column 'agee' is not in the reference data (did you mean 'age'?)",
    )
    expect(() => detectDrift(smallRef, current, { perColumn: { admission: { method: 'ks' } } })).toThrow(
      "column 'admission': method 'ks' needs a numeric column",
    )
    expect(() => detectDrift(smallRef, current, { perColumn: { age: { threshold: 2 } } })).toThrow(DataError)
    expect(() => detectDrift(smallRef, current, { shareThreshold: 1.5 })).toThrow('share threshold')
    expect(() => detectDrift(smallRef, current, { minSamples: 0 })).toThrow('minimum sample size')
  })
})

describe('parseReferenceProfile', () => {
  const good = buildReferenceProfile(table(100))

  it('round-trips a built profile', () => {
    expect(parseReferenceProfile(JSON.stringify(good), 'bundle/reference.json')).toEqual(good)
    expect(good.schema).toBe(REFERENCE_PROFILE_SCHEMA)
  })

  it.each([
    ['{', 'bundle/reference.json: not valid JSON'],
    [
      JSON.stringify({ ...good, schema: 'x' }),
      "bundle/reference.json: schema must be 'mlops-actions/reference-profile@1'",
    ],
    [
      JSON.stringify({ ...good, columns: [{ ...good.columns[0], weights: [1] }] }),
      "bundle/reference.json: columns[0] ('age').values/weights must be arrays of the same length",
    ],
    [
      JSON.stringify({ ...good, columns: [{ ...good.columns[0], values: [3, 2, 1], weights: [1, 1, 1] }] }),
      "columns[0] ('age').values must hold finite numbers in increasing order",
    ],
  ])('names the source and the field: %#', (text, message) => {
    expect(() => parseReferenceProfile(text, 'bundle/reference.json')).toThrow(message)
  })
})

describe('columnTableFromRows', () => {
  const profile = buildReferenceProfile(table(100))

  it('follows the reference types: numeric text becomes numbers, numbers in a label column their text', () => {
    const t = columnTableFromRows(
      [{ age: '61.5', admission: 3, flag: true, visits: null }, { age: 70 }],
      profile,
    )
    expect(t.rows).toBe(2)
    expect(t.columns.map((c) => [c.name, c.kind, c.values])).toEqual([
      ['age', 'numeric', [61.5, 70]],
      ['admission', 'categorical', ['3', null]],
      ['flag', 'numeric', [1, null]],
      ['visits', 'numeric', [null, null]],
    ])
  })

  it('infers kinds without a reference and names the row of a bad value', () => {
    const t = columnTableFromRows([
      { a: 1, b: 'x' },
      { a: 2.5, b: 'y' },
    ])
    expect(t.columns.map((c) => c.kind)).toEqual(['numeric', 'categorical'])
    expect(() => columnTableFromRows([{ age: 1 }, { age: 'old' }], profile)).toThrow(
      `row 2: column 'age' is numeric in the reference but holds "old"`,
    )
    expect(() =>
      columnTableFromRows([{ age: 'old' }], profile, () => ({ file: 'predictions-1.jsonl', line: 9 })),
    ).toThrow('predictions-1.jsonl:9:')
  })
})
