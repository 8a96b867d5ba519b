/** One cell as a reader yields it: CSV gives strings (null for a null token), JSONL/Parquet give typed values. */
export type Cell = string | number | boolean | null

/** The type a column is inferred to have after a full pass: the narrowest kind every non-null value fits. */
export type ColumnType = 'integer' | 'number' | 'boolean' | 'datetime' | 'string' | 'empty'

export type TableFormat = 'csv' | 'jsonl' | 'parquet'

/** One record and where it starts in its file, so a failed check can point at a line. */
export interface TableRecord {
  /** 1-based line where the record starts (CSV, JSONL); 1-based row number for Parquet. */
  line: number
  /**
   * One cell per column of `TableReader.columns`, in that order. A fresh array for every record: callers may
   * keep it (tests collect whole files this way), so no reader reuses it.
   */
  values: Cell[]
}

/**
 * Consecutive records read together, for passes that look at every cell: the CSV reader hands out its parse
 * buffer and cell offsets, so a profile can read a number straight from the text without a string per cell.
 *
 * Lifetime contract: a batch, and anything it returns except `values(row)` arrays and the strings in them, is
 * valid only until the iterator that produced it moves on. The reader reuses the batch object and its buffers
 * for the next records, so a consumer that wants to keep anything copies it (or calls `values`) first.
 */
export interface RecordBatch {
  /** Records in this batch. */
  readonly length: number
  /** Cells per record: the reader's column count. */
  readonly width: number
  /** Like `TableRecord.line`, for record `row` (0-based within the batch). */
  line(row: number): number
  /** One cell, as `values(row)[column]` would hold it, without building the whole record. */
  cell(row: number, column: number): Cell
  /** A fresh array of the record's cells, equal to the `values` of the same record from `records()`. */
  values(row: number): Cell[]
}

export interface TableReader {
  file: string
  format: TableFormat
  columns: string[]
  /** Size of the file in bytes, for progress. */
  totalBytes: number
  /** Bytes consumed so far, for progress. */
  bytesRead(): number
  records(): AsyncIterable<TableRecord>
  /**
   * The same records as `records()`, a batch at a time (see `RecordBatch` for how long one stays valid).
   * Optional: `readBatches` (batch.ts) groups `records()` for readers without it.
   */
  batches?(): AsyncIterable<RecordBatch>
}
