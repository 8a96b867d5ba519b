import { parseArgs } from 'node:util'
import { resolve, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeReadmissionCsv } from './readmission.js'
import { writeDriftExamples } from './drift.js'

/**
 * The embedded example: `generate.ts` with no flags writes examples/readmission/data/{reference,current,drifted}.csv
 * (the split the demo and the tests use); `--rows N --out FILE` writes one file of any size (benchmarks).
 */
export const EXAMPLE_SEED = 20261122
export const EXAMPLE_DIR = resolve(fileURLToPath(import.meta.url), '../../readmission/data')
export const EXAMPLE_FILES = [
  { name: 'reference.csv', rows: 70_000, seed: EXAMPLE_SEED, idOffset: 0, drift: false },
  { name: 'current.csv', rows: 30_000, seed: EXAMPLE_SEED + 1, idOffset: 70_000, drift: false },
  { name: 'drifted.csv', rows: 20_000, seed: EXAMPLE_SEED + 2, idOffset: 100_000, drift: true },
] as const

export async function generateExamples(dir = EXAMPLE_DIR): Promise<string[]> {
  const written: string[] = []
  for (const file of EXAMPLE_FILES) {
    const path = join(dir, file.name)
    await writeReadmissionCsv(path, file)
    written.push(path)
  }
  // The drift example (drift-current.csv, drift-batch.csv): see drift.ts.
  written.push(...(await writeDriftExamples(dir)))
  return written
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string', default: String(EXAMPLE_SEED) },
      drift: { type: 'boolean', default: false },
      dir: { type: 'string' },
    },
  })
  if (values.rows !== undefined || values.out !== undefined) {
    const rows = Number(values.rows)
    if (!values.out || !Number.isInteger(rows) || rows < 0)
      throw new Error('usage: generate.ts --rows N --out FILE [--seed S] [--drift]')
    await writeReadmissionCsv(resolve(values.out), { rows, seed: Number(values.seed), drift: values.drift })
    console.log(`wrote ${rows.toLocaleString('en-US')} rows to ${values.out}`)
    return
  }
  for (const path of await generateExamples(values.dir ? resolve(values.dir) : EXAMPLE_DIR))
    console.log(`wrote ${path}`)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exitCode = 1
  })
}
