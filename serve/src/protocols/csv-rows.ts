import type { ModelSchema, RowValues } from '../model/model-schema.js'
import { checkRowCount } from './rows.js'
import { InputError } from './input-error.js'

/** RFC 4180 records: quoted fields may hold commas, quotes ("") and newlines. */
export function parseCsvRecords(text: string): string[][] {
  const records: string[][] = []
  let record: string[] = []
  let field = ''
  let quoted = false
  let i = 0
  const n = text.length
  while (i < n) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i += 2
          continue
        }
        quoted = false
      } else field += ch
      i++
      continue
    }
    if (ch === '"' && field === '') quoted = true
    else if (ch === ',') {
      record.push(field)
      field = ''
    } else if (ch === '\n' || ch === '\r') {
      record.push(field)
      field = ''
      if (!(record.length === 1 && record[0] === '')) records.push(record)
      record = []
      if (ch === '\r' && text[i + 1] === '\n') i++
    } else field += ch
    i++
  }
  if (quoted) throw new InputError('CSV body ends inside a quoted field')
  if (field !== '' || record.length > 0) {
    record.push(field)
    records.push(record)
  }
  return records
}

/** `text/csv` with a header row naming the model's columns (any order); an empty cell is a missing value. */
export function rowsFromCsv(schema: ModelSchema, text: string, maxRows: number): RowValues[] {
  const records = parseCsvRecords(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)
  if (records.length === 0) throw new InputError('CSV body is empty; send a header row and data rows')
  const header = records[0]!.map((h) => h.trim())
  const positions = header.map((name) => schema.index.get(name) ?? -1)
  const unknown = header.filter((_, i) => positions[i] === -1)
  if (unknown.length > 0)
    throw new InputError(`CSV header has unknown column(s) ${unknown.slice(0, 5).join(', ')}`)
  const missing = schema.features.filter((f) => !header.includes(f.name)).map((f) => f.name)
  if (missing.length > 0)
    throw new InputError(`CSV header is missing column(s) ${missing.slice(0, 5).join(', ')}`)
  if (new Set(header).size !== header.length) throw new InputError('CSV header names a column twice')
  checkRowCount(records.length - 1, maxRows, 'CSV body')
  const rows: RowValues[] = new Array(records.length - 1)
  for (let r = 1; r < records.length; r++) {
    const record = records[r]!
    if (record.length !== header.length) {
      throw new InputError(`CSV line ${r + 1} has ${record.length} fields; the header has ${header.length}`)
    }
    const row: RowValues = new Array(header.length)
    for (let c = 0; c < header.length; c++) {
      const column = positions[c]!
      const feature = schema.features[column]!
      const cell = record[c]!
      if (feature.kind === 'categorical') row[column] = cell
      else if (cell.trim() === '') row[column] = NaN
      else {
        const value = Number(cell)
        if (!Number.isFinite(value)) {
          throw new InputError(
            `CSV line ${r + 1}, column '${feature.name}': '${cell.slice(0, 40)}' is not a number`,
          )
        }
        row[column] = value
      }
    }
    rows[r - 1] = row
  }
  return rows
}
