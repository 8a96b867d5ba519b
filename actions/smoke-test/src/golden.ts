import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

/** One golden request: a row to POST and, optionally, what must come back. */
export interface GoldenCase {
  name: string
  input: unknown
  expected?: {
    prediction?: string
    /** Class -> probability; each compared within `tolerance`. */
    probabilities?: Record<string, number>
  }
  tolerance: number
}

export class GoldenFileError extends Error {
  readonly file: string
  constructor(file: string, message: string) {
    super(`${file}: ${message}`)
    this.name = 'GoldenFileError'
    this.file = file
  }
}

const DEFAULT_TOLERANCE = 1e-4

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/**
 * A golden file is JSON: `{"tolerance": 0.001, "cases": [{"name", "input", "expected": {"prediction",
 * "probabilities"}, "tolerance"}]}` or just the array of cases. Every mistake names the case and field.
 */
export function parseGoldenFile(text: string, file: string): GoldenCase[] {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (error) {
    throw new GoldenFileError(file, `not valid JSON (${(error as Error).message})`)
  }
  const defaultTolerance =
    isObject(doc) && typeof doc.tolerance === 'number' ? doc.tolerance : DEFAULT_TOLERANCE
  const cases = Array.isArray(doc) ? doc : isObject(doc) ? doc.cases : undefined
  if (!Array.isArray(cases) || cases.length === 0) {
    throw new GoldenFileError(file, 'expected a non-empty "cases" array (or a top-level array of cases)')
  }
  return cases.map((raw, i) => {
    const where = `cases[${i}]`
    if (!isObject(raw)) throw new GoldenFileError(file, `${where} must be an object with "input"`)
    if (!('input' in raw)) throw new GoldenFileError(file, `${where} has no "input"`)
    const name = typeof raw.name === 'string' && raw.name !== '' ? raw.name : `case ${i + 1}`
    const tolerance = raw.tolerance ?? defaultTolerance
    if (typeof tolerance !== 'number' || !(tolerance >= 0)) {
      throw new GoldenFileError(
        file,
        `${where}.tolerance must be a number >= 0, got ${JSON.stringify(tolerance)}`,
      )
    }
    let expected: GoldenCase['expected']
    if (raw.expected !== undefined) {
      if (!isObject(raw.expected)) throw new GoldenFileError(file, `${where}.expected must be an object`)
      const { prediction, probabilities } = raw.expected
      if (prediction !== undefined && typeof prediction !== 'string') {
        throw new GoldenFileError(file, `${where}.expected.prediction must be a string (the class label)`)
      }
      if (probabilities !== undefined) {
        if (!isObject(probabilities) || !Object.values(probabilities).every((p) => typeof p === 'number')) {
          throw new GoldenFileError(file, `${where}.expected.probabilities must map class labels to numbers`)
        }
      }
      expected = {
        ...(prediction !== undefined ? { prediction } : {}),
        ...(probabilities !== undefined ? { probabilities: probabilities as Record<string, number> } : {}),
      }
    }
    return { name, input: raw.input, tolerance, ...(expected ? { expected } : {}) }
  })
}

export async function readGoldenFile(file: string): Promise<GoldenCase[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new GoldenFileError(file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  return parseGoldenFile(text, file)
}

interface BundleFeature {
  name: string
  kind: 'numeric' | 'categorical'
  mean?: number
  categories?: string[]
}

/**
 * A typical row built from a model bundle's feature schema (bundle.json): the training mean of each numeric
 * column, the first category of each categorical one. It checks the response shape, not the prediction.
 */
export async function payloadFromBundle(bundleDir: string): Promise<GoldenCase> {
  const file = join(bundleDir, 'bundle.json')
  let info: { features?: BundleFeature[] }
  try {
    info = JSON.parse(await readFile(file, 'utf8')) as { features?: BundleFeature[] }
  } catch (error) {
    throw new GoldenFileError(file, `cannot be read as JSON (${(error as Error).message})`)
  }
  if (!Array.isArray(info.features) || info.features.length === 0) {
    throw new GoldenFileError(file, 'has no "features" list: is this a model bundle written by train?')
  }
  const row: Record<string, number | string> = {}
  for (const f of info.features) {
    row[f.name] = f.kind === 'numeric' ? Number((f.mean ?? 0).toPrecision(6)) : (f.categories?.[0] ?? '')
  }
  return { name: 'typical row from bundle.json', input: row, tolerance: DEFAULT_TOLERANCE }
}
