import { readBatches } from './batch.js'
import { didYouMean } from './closest-match.js'
import { DataError } from './errors.js'
import { cellKind, toNumber } from './infer.js'
import { openTable, type OpenTableOptions } from './open-table.js'

export type ColumnKind = 'numeric' | 'categorical'

/** One column of a whole table as plain values: numbers for a numeric column, strings otherwise, null for empty. */
export interface TableColumn {
  name: string
  kind: ColumnKind
  values: Array<number | string | null>
}

export interface ReadColumnsOptions extends OpenTableOptions {
  /** Read only these columns (in this order); an unknown name is an error. Default: every column. */
  columns?: readonly string[]
  /** Force a kind, e.g. a numeric code that is really a category. */
  kinds?: Readonly<Record<string, ColumnKind>>
  /**
   * Share of non-null cells that must be numbers for a column to count as numeric when a few are not. Above it,
   * the odd cells are typos in a numeric column and an error names the first one (silently treating the
   * whole column as text would change the model). Default 0.99.
   */
  numericShare?: number
  onProgress?: (rows: number) => void
}

export interface ColumnTable {
  files: string[]
  rows: number
  columns: TableColumn[]
}

interface Pending {
  name: string
  index: number
  cells: Array<string | number | boolean | null>
  numbers: number
  nonNull: number
  firstText: { value: string; line: number; file: string } | undefined
}

/**
 * Reads whole tables into memory, column by column, for training and evaluation (the data must fit in memory
 * there anyway). A column whose non-null cells are all numbers is numeric; one that is mostly numbers with a
 * few words is an error naming the file, line and column of the first word; anything else is categorical.
 */
export async function readColumns(
  files: readonly string[],
  options: ReadColumnsOptions = {},
): Promise<ColumnTable> {
  if (files.length === 0) throw new DataError('no dataset files given')
  const numericShare = options.numericShare ?? 0.99
  let header: string[] | undefined
  let pending: Pending[] = []
  let rows = 0
  for (const file of files) {
    const reader = await openTable(file, options)
    if (header === undefined) {
      header = reader.columns
      const wanted = options.columns ?? header
      for (const name of [...wanted, ...Object.keys(options.kinds ?? {})]) {
        if (!header.includes(name)) {
          throw new DataError(`column '${name}' is not in ${file}${didYouMean(name, header)}`, {
            file,
            column: name,
          })
        }
      }
      pending = wanted.map((name) => ({
        name,
        index: header!.indexOf(name),
        cells: [],
        numbers: 0,
        nonNull: 0,
        firstText: undefined,
      }))
    } else if (reader.columns.join('\u0000') !== header.join('\u0000')) {
      throw new DataError(`${file} does not have the same columns as ${files[0]}`, { file, line: 1 })
    }
    for await (const batch of readBatches(reader)) {
      for (const column of pending) {
        for (let row = 0; row < batch.length; row++) {
          const cell = batch.cell(row, column.index)
          column.cells.push(cell)
          const kind = cellKind(cell)
          if (kind === 'null') continue
          column.nonNull++
          if (kind === 'integer' || kind === 'number') column.numbers++
          else column.firstText ??= { value: String(cell), line: batch.line(row), file }
        }
      }
      rows += batch.length
      options.onProgress?.(rows)
    }
  }
  return {
    files: [...files],
    rows,
    columns: pending.map((column) => finishColumn(column, options, numericShare)),
  }
}

function finishColumn(column: Pending, options: ReadColumnsOptions, numericShare: number): TableColumn {
  const forced = options.kinds?.[column.name]
  const allNumbers = column.nonNull > 0 && column.numbers === column.nonNull
  const mostlyNumbers = column.nonNull > 0 && column.numbers / column.nonNull >= numericShare
  const kind: ColumnKind = forced ?? (allNumbers ? 'numeric' : 'categorical')
  if (kind === 'numeric' && !allNumbers && column.firstText) {
    const { value, line, file } = column.firstText
    throw new DataError(
      `${file}:${line}: column '${column.name}' is declared numeric but holds ${JSON.stringify(value)}`,
      { file, line, column: column.name },
    )
  }
  if (kind === 'categorical' && !forced && mostlyNumbers && column.firstText) {
    const { value, line, file } = column.firstText
    throw new DataError(
      `${file}:${line}: column '${column.name}' looks numeric (${column.numbers} of ${column.nonNull} values are numbers) but holds ${JSON.stringify(value)}; fix the value, or declare the column categorical`,
      { file, line, column: column.name },
    )
  }
  const values =
    kind === 'numeric'
      ? column.cells.map((cell) => (cell === null ? null : (toNumber(cell) ?? null)))
      : column.cells.map((cell) => (cell === null ? null : String(cell)))
  return { name: column.name, kind, values }
}
