import type { Cell, RecordBatch, TableReader, TableRecord } from './types.js'

// Large enough that per-batch overhead vanishes, small enough that a batch of wide records stays in cache.
const RECORDS_PER_BATCH = 512

/** A batch over records that already exist as arrays (JSONL, Parquet, or anything fed record by record). */
export class ArrayBatch implements RecordBatch {
  readonly records: TableRecord[] = []

  constructor(readonly width: number) {}

  get length(): number {
    return this.records.length
  }

  line(row: number): number {
    return this.records[row]!.line
  }

  cell(row: number, column: number): Cell {
    return this.records[row]!.values[column] ?? null
  }

  values(row: number): Cell[] {
    return this.records[row]!.values.slice()
  }
}

/** The reader's records a batch at a time: its own `batches()` when it has one, else `records()` grouped. */
export async function* readBatches(reader: TableReader): AsyncGenerator<RecordBatch> {
  if (reader.batches) {
    yield* reader.batches()
    return
  }
  const batch = new ArrayBatch(reader.columns.length)
  for await (const record of reader.records()) {
    batch.records.push(record)
    if (batch.records.length === RECORDS_PER_BATCH) {
      yield batch
      batch.records.length = 0
    }
  }
  if (batch.records.length > 0) yield batch
}
