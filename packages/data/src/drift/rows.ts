import type { ColumnTable, TableColumn } from '../columns.js'
import { DataError } from '../errors.js'
import { toNumber } from '../infer.js'
import type { ReferenceProfile } from './profile-types.js'

/**
 * Rows held in memory (the server's recent requests, a prediction log) as a ColumnTable for detectDrift. With a
 * reference profile, its columns decide the columns and their types (a numeric string like "63" becomes 63, a
 * number in a categorical column its text); without one, a column whose values are all numbers is numeric.
 * `where(row)` names the source of a row in errors (default "row N", 1-based).
 */
export function columnTableFromRows(
  rows: Array<Record<string, unknown>>,
  reference?: ReferenceProfile,
  where: (row: number) => { file?: string; line?: number } = () => ({}),
): ColumnTable {
  const names = reference ? reference.columns.map((column) => column.name) : namesInOrder(rows)
  const types = new Map(reference?.columns.map((column) => [column.name, column.valueType]))
  const columns: TableColumn[] = names.map((name) => {
    const raw = rows.map((row) => emptyToNull(row[name]))
    const numeric = types.has(name)
      ? types.get(name) === 'number'
      : raw.some((v) => v !== null) && raw.every((v) => v === null || typeof v === 'number')
    const values = raw.map((value, index) => {
      if (value === null) return null
      if (!numeric) return typeof value === 'object' ? JSON.stringify(value) : String(value)
      const number =
        typeof value === 'boolean'
          ? Number(value)
          : typeof value === 'object'
            ? undefined
            : toNumber(value as string | number)
      if (number === undefined) {
        const at = where(index)
        const place = at.file ? `${at.file}:${at.line}` : `row ${index + 1}`
        throw new DataError(
          `${place}: column '${name}' is numeric in the reference but holds ${JSON.stringify(value)}`,
          {
            ...at,
            column: name,
          },
        )
      }
      return number
    })
    return { name, kind: numeric ? 'numeric' : 'categorical', values }
  })
  return { files: [], rows: rows.length, columns }
}

function emptyToNull(value: unknown): unknown {
  if (value === undefined || value === null || value === '') return null
  if (typeof value === 'number' && Number.isNaN(value)) return null
  return value
}

function namesInOrder(rows: Array<Record<string, unknown>>): string[] {
  const names = new Set<string>()
  for (const row of rows) for (const key of Object.keys(row)) names.add(key)
  return [...names]
}
