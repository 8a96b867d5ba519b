import { DataError } from '../errors.js'
import { REFERENCE_PROFILE_SCHEMA, type ReferenceColumn, type ReferenceProfile } from './profile-types.js'

const KINDS = new Set(['numeric', 'categorical', 'binary'])

/** Reads reference.json, checking every field the drift tests rely on; errors name the source and the field. */
export function parseReferenceProfile(text: string, source: string): ReferenceProfile {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new DataError(`${source}: not valid JSON (${(error as Error).message})`, { file: source })
  }
  const fail = (field: string, problem: string): never => {
    throw new DataError(`${source}: ${field} ${problem}`, { file: source })
  }
  if (!isObject(data)) return fail('the document', 'must be a JSON object')
  if (data.schema !== REFERENCE_PROFILE_SCHEMA)
    fail('schema', `must be '${REFERENCE_PROFILE_SCHEMA}', got ${JSON.stringify(data.schema)}`)
  if (!isCount(data.rows)) fail('rows', 'must be a whole number >= 0')
  if (!Array.isArray(data.columns)) return fail('columns', 'must be an array')
  const names = new Set<string>()
  const columns = data.columns.map((raw: unknown, i: number): ReferenceColumn => {
    const at = `columns[${i}]`
    if (!isObject(raw)) return fail(at, 'must be an object')
    if (typeof raw.name !== 'string' || raw.name === '') fail(`${at}.name`, 'must be a non-empty string')
    const name = raw.name as string
    const where = `${at} ('${name}')`
    if (names.has(name)) fail(where, 'appears twice')
    names.add(name)
    if (!KINDS.has(raw.kind as string)) fail(`${where}.kind`, `must be numeric, categorical or binary`)
    if (raw.valueType !== 'number' && raw.valueType !== 'string')
      fail(`${where}.valueType`, `must be number or string`)
    for (const field of ['count', 'missing', 'unique'] as const)
      if (!isCount(raw[field])) fail(`${where}.${field}`, 'must be a whole number >= 0')
    if (typeof raw.exact !== 'boolean') fail(`${where}.exact`, 'must be true or false')
    if (!Array.isArray(raw.values) || !Array.isArray(raw.weights) || raw.values.length !== raw.weights.length)
      fail(`${where}.values/weights`, 'must be arrays of the same length')
    const values = raw.values as unknown[]
    const weights = raw.weights as unknown[]
    if (!weights.every((w) => typeof w === 'number' && Number.isFinite(w) && w >= 0))
      fail(`${where}.weights`, 'must hold numbers >= 0')
    if (raw.valueType === 'number') {
      if (
        !values.every(
          (v, k) => typeof v === 'number' && Number.isFinite(v) && (k === 0 || v > (values[k - 1] as number)),
        )
      )
        fail(`${where}.values`, 'must hold finite numbers in increasing order')
      if ((raw.count as number) > 0)
        for (const field of ['mean', 'std', 'min', 'max'] as const)
          if (typeof raw[field] !== 'number' || !Number.isFinite(raw[field]))
            fail(`${where}.${field}`, 'must be a number')
    } else if (!values.every((v) => typeof v === 'string')) fail(`${where}.values`, 'must hold strings')
    return raw as unknown as ReferenceColumn
  })
  return { schema: REFERENCE_PROFILE_SCHEMA, rows: data.rows as number, columns }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0
}
