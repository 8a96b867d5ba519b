/** One cell as a reader yields it: CSV gives strings (null for a null token), JSONL/Parquet give typed values. */
export type Cell = string | number | boolean | null

/** The type a column is inferred to have after a full pass: the narrowest kind every non-null value fits. */
export type ColumnType = 'integer' | 'number' | 'boolean' | 'datetime' | 'string' | 'empty'

export type TableFormat = 'csv' | 'jsonl' | 'parquet'

/** One record and where it starts in its file, so a failed check can point at a line. */
export interface TableRecord {
  /** 1-based line where the record starts (CSV, JSONL); 1-based row number for Parquet. */
  line: number
  /** One cell per column of `TableReader.columns`, in that order. */
  values: Cell[]
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
}
