import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet'
import type { AsyncBuffer, FileMetaData } from 'hyparquet'
// pandas writes snappy (built into hyparquet); polars writes zstd and Spark often gzip: those need these codecs.
import { compressors } from 'hyparquet-compressors'
import { DataError } from './errors.js'
import type { Cell, TableReader, TableRecord } from './types.js'

/**
 * Opens a Parquet file and reads its footer. `records()` decodes one row group at a time, so memory is
 * bounded by the largest row group, not the file; `line` is the 1-based row number.
 */
export async function openParquet(file: string): Promise<TableReader> {
  const buffer = await asyncBufferFromFile(file)
  let metadata: FileMetaData
  let columns: string[]
  try {
    metadata = await parquetMetadataAsync(buffer)
    columns = parquetSchema(metadata).children.map((child) => child.element.name)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new DataError(`${file}: not a readable Parquet file (${reason})`, { file }, { cause: error })
  }
  const groups = metadata.row_groups.map((group) => ({
    rows: Number(group.num_rows),
    bytes: Number(group.total_compressed_size ?? group.total_byte_size),
  }))

  let bytesRead = 0
  return {
    file,
    format: 'parquet',
    columns,
    totalBytes: buffer.byteLength,
    bytesRead: () => bytesRead,
    async *records(): AsyncGenerator<TableRecord> {
      bytesRead = 0
      let rowStart = 0
      for (const group of groups) {
        const rows = await readRowGroup(file, buffer, metadata, rowStart, rowStart + group.rows)
        bytesRead = Math.min(buffer.byteLength, bytesRead + group.bytes)
        for (let i = 0; i < rows.length; i++) {
          const row = rows[i]!
          const values: Cell[] = new Array<Cell>(row.length)
          for (let j = 0; j < row.length; j++) values[j] = toCell(row[j])
          // Drop the decoded row as soon as it is converted: only the group's columnar data stays alive.
          rows[i] = EMPTY_ROW
          yield { line: rowStart + i + 1, values }
        }
        rowStart += group.rows
      }
      bytesRead = buffer.byteLength
    },
  }
}

const EMPTY_ROW: unknown[] = []

async function readRowGroup(
  file: string,
  buffer: AsyncBuffer,
  metadata: FileMetaData,
  rowStart: number,
  rowEnd: number,
): Promise<unknown[][]> {
  let rows: unknown[][] = []
  try {
    await parquetRead({
      file: buffer,
      metadata,
      compressors,
      rowStart,
      rowEnd,
      onComplete: (decoded) => {
        rows = decoded
      },
    })
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new DataError(
      `${file}: cannot decode rows ${rowStart + 1}-${rowEnd}: ${reason}`,
      { file, line: rowStart + 1 },
      {
        cause: error,
      },
    )
  }
  return rows
}

/** Parquet values as the cells the rest of the package understands. */
export function toCell(value: unknown): Cell {
  if (value === null || value === undefined) return null
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      // A float NaN is a missing value, as the 'NaN' null token is in CSV.
      return Number.isNaN(value) ? null : value
    case 'bigint':
      // INT64 columns decode to BigInt. Cells are plain numbers, so values beyond 2^53 lose their last digits;
      // counts, ids and timestamps in practice stay well below that.
      return Number(value)
    default:
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString()
      if (value instanceof Uint8Array) return Buffer.from(value).toString('base64')
      return JSON.stringify(value, (_key, nested: unknown) =>
        typeof nested === 'bigint' ? Number(nested) : nested,
      )
  }
}
