import { createWriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { once } from 'node:events'
import { join } from 'node:path'
import { createRandom, type Random } from './random.js'
import { COLUMNS, readmissionCsvLines } from './readmission.js'

/**
 * The drift example: a clean current split and a production batch where exactly five columns move and nothing
 * else does. The generator's own `drift` flag also moves columns computed from age (blood pressure, creatinine,
 * the target), so the batch is shifted here, after generation, column by column: every other cell is the clean
 * generator's output, and a drift check must flag these five columns and no others.
 */
export const DRIFT_SHIFTED_COLUMNS = [
  'age',
  'glucose',
  'length_of_stay',
  'num_medications',
  'admission_type',
] as const

export const DRIFT_SEED = 20261130
export const DRIFT_EXAMPLE_FILES = [
  { name: 'drift-current.csv', rows: 5000, seed: DRIFT_SEED, idOffset: 200_000, shifted: false },
  { name: 'drift-batch.csv', rows: 5000, seed: DRIFT_SEED + 1, idOffset: 300_000, shifted: true },
] as const

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x))
const at = (name: string): number => COLUMNS.indexOf(name)

/** Moves the five columns of one clean row, the way a new hospital site would: older, sicker, more elective. */
export function shiftRow(cells: string[], random: Random): string[] {
  const out = [...cells]
  out[at('age')] = String(clamp(Number(cells[at('age')]) + 8, 18, 100))
  out[at('glucose')] = clamp(Number(cells[at('glucose')]) * 1.25, 45, 500).toFixed(1)
  out[at('length_of_stay')] = String(Number(cells[at('length_of_stay')]) + random.poisson(1.6))
  out[at('num_medications')] = String(clamp(Number(cells[at('num_medications')]) + 4, 1, 80))
  out[at('admission_type')] = random.pick(['Emergency', 'Urgent', 'Elective', 'Trauma'], [33, 14, 48, 5])
  return out
}

export function* driftCsvLines(file: (typeof DRIFT_EXAMPLE_FILES)[number]): Generator<string> {
  // A separate stream for the shifts, so the untouched columns are byte for byte the clean generator's.
  const shiftRandom = createRandom(file.seed ^ 0x5eed)
  let header = true
  for (const line of readmissionCsvLines({ rows: file.rows, seed: file.seed, idOffset: file.idOffset })) {
    if (header || !file.shifted) yield line
    else yield shiftRow(line.trimEnd().split(','), shiftRandom).join(',') + '\n'
    header = false
  }
}

export async function writeDriftExamples(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true })
  const written: string[] = []
  for (const file of DRIFT_EXAMPLE_FILES) {
    const path = join(dir, file.name)
    const out = createWriteStream(path)
    out.end([...driftCsvLines(file)].join(''))
    await once(out, 'finish')
    written.push(path)
  }
  return written
}
