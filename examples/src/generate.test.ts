import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { EXAMPLE_FILES, generateExamples } from './generate.js'
import { COLUMNS, readmissionCsvLines } from './readmission.js'

const sha256 = (file: string): Promise<string> =>
  new Promise((done, fail) => {
    const hash = createHash('sha256')
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => done(hash.digest('hex')))
      .on('error', fail)
  })

describe('the readmission example', () => {
  it('is reproduced byte for byte: a fresh generation matches the committed SHA256SUMS', async () => {
    const sums = await readFile(resolve(import.meta.dirname, '../readmission/SHA256SUMS'), 'utf8')
    const expected = new Map(
      sums
        .trim()
        .split('\n')
        .map((line) => [line.split(/\s+/)[1]!, line.split(/\s+/)[0]!]),
    )
    const dir = await mkdtemp(join(tmpdir(), 'examples-'))
    try {
      const files = await generateExamples(dir)
      expect(files.map((f) => basename(f)).sort()).toEqual([...expected.keys()].sort())
      for (const file of files) expect(await sha256(file)).toBe(expected.get(basename(file)))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('has 100,000 rows across reference and current, 33 columns, and a learnable minority target', () => {
    expect(EXAMPLE_FILES.filter((f) => !f.drift).reduce((n, f) => n + f.rows, 0)).toBe(100_000)
    const lines = [...readmissionCsvLines({ rows: 5000, seed: 7 })]
    expect(lines[0]!.trim().split(',')).toEqual(COLUMNS)
    const rows = lines.slice(1).map((l) => l.trim().split(','))
    expect(rows.every((r) => r.length === COLUMNS.length)).toBe(true)
    const target = rows.map((r) => Number(r[r.length - 1]))
    const rate = target.reduce((a, b) => a + b, 0) / target.length
    expect(rate).toBeGreaterThan(0.08)
    expect(rate).toBeLessThan(0.35)
    // Prior inpatient stays drive readmission in the generating model; the data must show it.
    const inpatient = COLUMNS.indexOf('num_inpatient_visits')
    const rateWhere = (pred: (r: string[]) => boolean) => {
      const subset = rows.filter(pred)
      return subset.filter((r) => r[r.length - 1] === '1').length / subset.length
    }
    expect(rateWhere((r) => Number(r[inpatient]) >= 2)).toBeGreaterThan(
      rateWhere((r) => Number(r[inpatient]) === 0) * 1.5,
    )
  })

  it('shifts the drifted batch in the documented columns only', () => {
    const mean = (drift: boolean, column: string) => {
      const index = COLUMNS.indexOf(column)
      const rows = [...readmissionCsvLines({ rows: 4000, seed: 11, drift })].slice(1)
      return rows.reduce((s, l) => s + Number(l.split(',')[index]), 0) / rows.length
    }
    expect(mean(true, 'age') - mean(false, 'age')).toBeGreaterThan(5)
    expect(mean(true, 'glucose') / mean(false, 'glucose')).toBeGreaterThan(1.15)
    expect(Math.abs(mean(true, 'heart_rate') - mean(false, 'heart_rate'))).toBeLessThan(1)
  })
})
