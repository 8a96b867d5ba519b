import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { readColumns, type ColumnTable } from '../columns.js'
import { buildReferenceProfile } from './build-profile.js'
import { detectDrift, type DriftReport } from './detect.js'
import { parseReferenceProfile } from './parse-profile.js'

/**
 * What must be true #1 of the drift issue, on the embedded example (scripts/examples.sh generates it; npm test
 * runs that first): reference vs the clean split -> no drift anywhere; reference vs the shifted batch -> drift in
 * exactly the five columns examples/src/drift.ts moves. Both from the raw reference and from reference.json.
 */
const DATA = resolve(import.meta.dirname, '../../../../examples/readmission/data')
const SHIFTED = ['admission_type', 'age', 'glucose', 'length_of_stay', 'num_medications']
const EXCLUDE = ['patient_id']

async function load(name: string): Promise<ColumnTable> {
  const file = resolve(DATA, name)
  if (!existsSync(file)) throw new Error(`${file} is missing: run bash scripts/examples.sh`)
  return readColumns([file])
}

const drifted = (report: DriftReport): string[] =>
  report.columns
    .filter((column) => column.drifted)
    .map((column) => column.column)
    .sort()

describe('drift on the readmission example', () => {
  let reference: ColumnTable
  let clean: ColumnTable
  let batch: ColumnTable
  beforeAll(async () => {
    ;[reference, clean, batch] = await Promise.all([
      load('reference.csv'),
      load('drift-current.csv'),
      load('drift-batch.csv'),
    ])
  })

  it('uses the large-reference defaults: normed Wasserstein for numbers, Jensen-Shannon for labels', () => {
    const report = detectDrift(reference, clean, { exclude: EXCLUDE })
    const method = (name: string) => report.columns.find((column) => column.column === name)?.method
    expect(method('age')).toBe('wasserstein')
    expect(method('admission_type')).toBe('jensenshannon')
    // 0/1 target and counts with <= 5 distinct values are compared as categories.
    expect(method('readmitted_30d')).toBe('jensenshannon')
    expect(report.columns).toHaveLength(32)
  })

  it.each([
    ['raw reference data', false],
    ['reference.json profile', true],
  ])(
    'from %s: clean split has no drift, the batch drifts in exactly the shifted columns',
    (_name, useProfile) => {
      const ref = useProfile
        ? parseReferenceProfile(
            JSON.stringify(buildReferenceProfile(reference, { exclude: EXCLUDE })),
            'reference.json',
          )
        : reference
      const options = useProfile ? {} : { exclude: EXCLUDE }
      const cleanReport = detectDrift(ref, clean, options)
      expect(drifted(cleanReport)).toEqual([])
      expect(cleanReport.datasetDrift).toBe(false)
      const batchReport = detectDrift(ref, batch, options)
      expect(drifted(batchReport)).toEqual(SHIFTED)
      expect(batchReport.driftedShare).toBeCloseTo(5 / 32, 10)
      expect(batchReport.datasetDrift).toBe(false)
      // With a share threshold under 5/32 the same batch is dataset drift.
      expect(detectDrift(ref, batch, { ...options, shareThreshold: 0.15 }).datasetDrift).toBe(true)
    },
  )

  it('keeps the margins wide: clean scores well under the thresholds, shifted ones well over', () => {
    const cleanReport = detectDrift(reference, clean, { exclude: EXCLUDE })
    const batchReport = detectDrift(reference, batch, { exclude: EXCLUDE })
    const worstClean = Math.max(...cleanReport.columns.map((column) => column.score / column.threshold))
    const weakestShift = Math.min(
      ...batchReport.columns
        .filter((column) => column.drifted)
        .map((column) => column.score / column.threshold),
    )
    expect(worstClean).toBeLessThan(0.6)
    expect(weakestShift).toBeGreaterThan(1.5)
  })
})
