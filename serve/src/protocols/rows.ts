import type { ModelSchema, RowValues } from '../model/model-schema.js'
import { describeValue, InputError } from './input-error.js'

/** Checks one cell against its column's kind; `where` says which row for the message. */
export function cellValue(
  schema: ModelSchema,
  column: number,
  value: unknown,
  where: string,
): number | string {
  const feature = schema.features[column]!
  if (feature.kind === 'numeric') {
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) {
        throw new InputError(`${where}: column '${feature.name}' must be a finite number, got ${value}`)
      }
      return value
    }
    // null is a missing value, imputed inside the graph as in training.
    if (value === null) return NaN
    throw new InputError(
      `${where}: column '${feature.name}' must be a number or null, got ${describeValue(value)}`,
    )
  }
  if (typeof value === 'string') return value
  if (value === null) return ''
  throw new InputError(
    `${where}: column '${feature.name}' must be a string or null, got ${describeValue(value)}`,
  )
}

function listNames(names: string[]): string {
  const shown = names.slice(0, 5).map((n) => `'${n}'`)
  return names.length > 5 ? `${shown.join(', ')} and ${names.length - 5} more` : shown.join(', ')
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `{"age": 63, "gender": "F", ...}`: every column present, no others. */
export function rowFromRecord(schema: ModelSchema, record: unknown, where: string): RowValues {
  if (!isPlainObject(record)) {
    throw new InputError(`${where} must be an object of column values, got ${describeValue(record)}`)
  }
  const { features } = schema
  const row: RowValues = new Array(features.length)
  let missing: string[] | undefined
  for (let i = 0; i < features.length; i++) {
    const value = record[features[i]!.name]
    if (value === undefined) (missing ??= []).push(features[i]!.name)
    else row[i] = cellValue(schema, i, value, where)
  }
  if (missing)
    throw new InputError(`${where} is missing column${missing.length > 1 ? 's' : ''} ${listNames(missing)}`)
  let keys = 0
  for (const _ in record) keys++
  if (keys !== features.length) {
    const extra = Object.keys(record).filter((k) => !schema.index.has(k))
    throw new InputError(
      `${where} has unknown column${extra.length > 1 ? 's' : ''} ${listNames(extra)}; the model takes ${listNames(features.map((f) => f.name))}`,
    )
  }
  return row
}

/** Row-major values of a nested [height][width][channels] picture, for tensor image models. */
function flattenPixels(values: unknown[], depth: number): unknown[] {
  if (depth === 0 || !values.some(Array.isArray)) return values
  const out: unknown[] = []
  for (const v of values) {
    if (Array.isArray(v)) for (const x of flattenPixels(v, depth - 1)) out.push(x)
    else out.push(v)
  }
  return out
}

/** `[63, "F", ...]`: values in the model's column order (for a tensor image model, also [height][width][channels]). */
export function rowFromArray(schema: ModelSchema, input: unknown[], where: string): RowValues {
  const values = schema.imageTensor ? flattenPixels(input, 2) : input
  const { features } = schema
  if (values.length !== features.length) {
    throw new InputError(
      `${where} has ${values.length} values; the model takes ${features.length} (${listNames(features.map((f) => f.name))})`,
    )
  }
  const row: RowValues = new Array(features.length)
  for (let i = 0; i < features.length; i++) row[i] = cellValue(schema, i, values[i], where)
  return row
}

export function checkRowCount(count: number, maxRows: number, what: string): void {
  if (count === 0) throw new InputError(`${what} holds no rows`)
  if (count > maxRows) {
    throw new InputError(`${what} holds ${count} rows; at most ${maxRows} are accepted per request`, 413)
  }
}

/** A list of records or of positional rows. */
export function rowsFromList(
  schema: ModelSchema,
  list: unknown[],
  maxRows: number,
  what: string,
): RowValues[] {
  checkRowCount(list.length, maxRows, what)
  const rows: RowValues[] = new Array(list.length)
  for (let r = 0; r < list.length; r++) {
    const item = list[r]
    rows[r] = Array.isArray(item)
      ? rowFromArray(schema, item, `${what}[${r}]`)
      : rowFromRecord(schema, item, `${what}[${r}]`)
  }
  return rows
}

/** `{"age": [63, 70], "gender": ["F", "M"]}`: one list per column, all the same length. */
export function rowsFromColumns(
  schema: ModelSchema,
  columns: Record<string, unknown>,
  maxRows: number,
  what: string,
): RowValues[] {
  const { features } = schema
  const missing = features.filter((f) => columns[f.name] === undefined).map((f) => f.name)
  if (missing.length > 0)
    throw new InputError(`${what} is missing column${missing.length > 1 ? 's' : ''} ${listNames(missing)}`)
  const extra = Object.keys(columns).filter((k) => !schema.index.has(k))
  if (extra.length > 0)
    throw new InputError(`${what} has unknown column${extra.length > 1 ? 's' : ''} ${listNames(extra)}`)
  const lists = features.map((f) => {
    const list = columns[f.name]
    if (!Array.isArray(list))
      throw new InputError(`${what}.${f.name} must be a list of values, got ${describeValue(list)}`)
    return list
  })
  const count = lists[0]!.length
  const uneven = lists.findIndex((l) => l.length !== count)
  if (uneven >= 0) {
    throw new InputError(
      `${what}.${features[uneven]!.name} has ${lists[uneven]!.length} values, ${features[0]!.name} has ${count}`,
    )
  }
  checkRowCount(count, maxRows, what)
  const rows: RowValues[] = new Array(count)
  for (let r = 0; r < count; r++) {
    const row: RowValues = new Array(features.length)
    for (let c = 0; c < features.length; c++) row[c] = cellValue(schema, c, lists[c]![r], `${what} row ${r}`)
    rows[r] = row
  }
  return rows
}

/** pandas `orient="split"`: `{"columns": [...], "data": [[...], ...]}` with the columns in any order. */
export function rowsFromSplit(
  schema: ModelSchema,
  split: unknown,
  maxRows: number,
  what: string,
): RowValues[] {
  if (!isPlainObject(split))
    throw new InputError(`${what} must be an object with columns and data, got ${describeValue(split)}`)
  const { columns, data } = split
  if (!Array.isArray(data))
    throw new InputError(`${what}.data must be a list of rows, got ${describeValue(data)}`)
  if (columns === undefined) return rowsFromList(schema, data, maxRows, `${what}.data`)
  if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string')) {
    throw new InputError(`${what}.columns must be a list of column names`)
  }
  const positions = columns.map((name) => schema.index.get(name) ?? -1)
  const unknown = columns.filter((_, i) => positions[i] === -1)
  if (unknown.length > 0)
    throw new InputError(
      `${what}.columns has unknown column${unknown.length > 1 ? 's' : ''} ${listNames(unknown)}`,
    )
  if (new Set(columns).size !== columns.length) throw new InputError(`${what}.columns names a column twice`)
  const missing = schema.features.filter((f) => !columns.includes(f.name)).map((f) => f.name)
  if (missing.length > 0) throw new InputError(`${what}.columns is missing ${listNames(missing)}`)
  checkRowCount(data.length, maxRows, `${what}.data`)
  const rows: RowValues[] = new Array(data.length)
  for (let r = 0; r < data.length; r++) {
    const item = data[r]
    const where = `${what}.data[${r}]`
    if (!Array.isArray(item))
      throw new InputError(`${where} must be a list of ${columns.length} values, got ${describeValue(item)}`)
    if (item.length !== columns.length)
      throw new InputError(`${where} has ${item.length} values for ${columns.length} columns`)
    const row: RowValues = new Array(columns.length)
    for (let c = 0; c < columns.length; c++)
      row[positions[c]!] = cellValue(schema, positions[c]!, item[c], where)
    rows[r] = row
  }
  return rows
}
