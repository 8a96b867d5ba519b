import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { StringDecoder } from 'node:string_decoder'
import { DataError } from './errors.js'
import type { Cell, RecordBatch, TableReader, TableRecord } from './types.js'

export const DEFAULT_NULL_VALUES: readonly string[] = ['', 'NA', 'N/A', 'null', 'NULL', 'NaN', 'nan', 'None']

/** Candidates for `delimiter: 'auto'`, in the order that wins a tie. */
export const SNIFFED_DELIMITERS: readonly string[] = [',', ';', '\t', '|']

export interface CsvOptions {
  /** One character, or 'auto' to pick the most frequent of , ; tab | in the header line. Default ','. */
  delimiter?: string
  /** Unquoted cells equal to one of these become null. A quoted cell is always a string ("NA" stays 'NA'). */
  nullValues?: readonly string[]
  /** Bytes per read. Only tests change it, to put chunk boundaries everywhere. */
  chunkSize?: number
}

const QUOTE = 34
const LF = 10
const CR = 13
// 64 KiB keeps each decoded chunk below V8's large-object threshold (128 KiB), so chunks die young in cheap
// scavenges; at 256 KiB every chunk lands in large-object space, freed only by full GCs, and peak RSS creeps up
// with the file size (read pass, 1M -> 5M rows: 141 -> 216 MiB, against 117 -> 132 MiB at 64 KiB, and faster).
const DEFAULT_CHUNK_SIZE = 64 * 1024
// Undecoded bytes held back waiting for a line feed, at most; beyond, they go to the parser as they are.
const MAX_TAIL_BYTES = 1024 * 1024
// A record this long is almost surely a quote that never closes; stop before the whole file sits in memory.
const MAX_RECORD_CHARS = 64 * 1024 * 1024

/**
 * Opens a CSV file: reads just enough to know the header, and returns a reader whose `records()` and
 * `batches()` stream the file from the start each time they are called (so a profile pass and a checks pass
 * can share one reader).
 */
export async function openCsv(file: string, options: CsvOptions = {}): Promise<TableReader> {
  const delimiter = options.delimiter ?? ','
  if (delimiter !== 'auto') checkDelimiter(delimiter)
  const nullValues = options.nullValues ?? DEFAULT_NULL_VALUES
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE
  const { size } = await stat(file)

  const head = new CsvParser(file, delimiter, nullValues, true)
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: chunkSize })
  try {
    for await (const chunk of stream) {
      head.feed(chunk as string, [])
      if (head.columns) break
    }
    if (!head.columns) head.end([])
  } finally {
    stream.destroy()
  }
  const columns = head.columns
  if (!columns) throw new DataError(`${file}: the file is empty; a header row is required`, { file })
  const resolvedDelimiter = head.delimiter

  let bytesRead = 0
  async function* batches(): AsyncGenerator<CsvBatch> {
    const parser = new CsvParser(file, resolvedDelimiter, nullValues)
    const input = createReadStream(file, { highWaterMark: chunkSize })
    const decoder = new StringDecoder('utf8')
    // Bytes after the last line feed, decoded with the next chunk: text cut only at line feeds decodes into one
    // flat string per chunk, where a string carried over and concatenated would make a rope that V8 reads
    // cell by cell more slowly. A line feed never occurs inside a multi-byte UTF-8 sequence.
    let tail: Buffer | undefined
    bytesRead = 0
    try {
      for await (const chunk of input) {
        bytesRead = input.bytesRead
        let bytes = tail ? Buffer.concat([tail, chunk as Buffer]) : (chunk as Buffer)
        let cut = bytes.lastIndexOf(LF) + 1
        // No line feed for a long stretch (one huge quoted field): hand the parser what there is, so its
        // record-length limit still applies; the decoder keeps a split character for the next write.
        if (cut === 0 && bytes.length >= MAX_TAIL_BYTES) cut = bytes.length
        tail = cut < bytes.length ? bytes.subarray(cut) : undefined
        if (cut === 0) continue
        if (cut < bytes.length) bytes = bytes.subarray(0, cut)
        const batch = parser.feedBatch(decoder.write(bytes))
        if (batch && batch.length > 0) yield batch
      }
      const rest = (tail ? decoder.write(tail) : '') + decoder.end()
      let batch = rest ? parser.feedBatch(rest) : undefined
      if (batch && batch.length > 0) yield batch
      batch = parser.endBatch()
      if (batch && batch.length > 0) yield batch
    } finally {
      input.destroy()
    }
  }

  return {
    file,
    format: 'csv',
    columns,
    totalBytes: size,
    bytesRead: () => bytesRead,
    batches,
    async *records(): AsyncGenerator<TableRecord> {
      for await (const batch of batches()) {
        for (let row = 0; row < batch.length; row++)
          yield { line: batch.lines[row]!, values: batch.values(row) }
      }
    },
  }
}

function checkDelimiter(delimiter: string): void {
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new DataError(
      `CSV delimiter must be one character other than a quote or a line break, or 'auto'; got ${JSON.stringify(delimiter)}`,
    )
  }
}

/** The candidate that occurs most often outside quotes in the header line; ',' when none occurs. */
export function sniffDelimiter(headerLine: string): string {
  const counts = new Map<string, number>()
  let quoted = false
  for (let i = 0; i < headerLine.length; i++) {
    const char = headerLine[i]!
    if (char === '"') quoted = !quoted
    else if (!quoted && SNIFFED_DELIMITERS.includes(char)) counts.set(char, (counts.get(char) ?? 0) + 1)
  }
  let best = ','
  let bestCount = 0
  for (const candidate of SNIFFED_DELIMITERS) {
    const count = counts.get(candidate) ?? 0
    if (count > bestCount) {
      best = candidate
      bestCount = count
    }
  }
  return best
}

/** `CsvBatch.starts` entry of a null cell. */
export const NULL_CELL = -1
/** `CsvBatch.starts` entry of a cell whose value is in `CsvBatch.strings` (a record that holds a quote). */
export const STRING_CELL = -2

/**
 * Records of one parsed stretch of text, as cell offsets into that text: a pass that reads numbers or hashes
 * cells can work on the characters where they lie, and a string is only made for a cell somebody asks for.
 * Cell `column` of record `row` is index `row * width + column` of `starts` and `ends`.
 */
export class CsvBatch implements RecordBatch {
  /** The text the offsets point into. */
  text = ''
  length = 0
  /** Start offset of each cell in `text`, or NULL_CELL, or STRING_CELL. */
  starts: Int32Array
  /** End offset (exclusive) of each cell that has a start. */
  ends: Int32Array
  lines: Float64Array
  /** Values of STRING_CELL cells, by cell index: quoted cells, unquoted, unescaped. */
  readonly strings = new Map<number, string>()

  constructor(readonly width: number) {
    this.lines = new Float64Array(256)
    this.starts = new Int32Array(256 * width)
    this.ends = new Int32Array(256 * width)
  }

  line(row: number): number {
    return this.lines[row]!
  }

  cell(row: number, column: number): Cell {
    const index = row * this.width + column
    const start = this.starts[index]!
    if (start >= 0) return this.text.slice(start, this.ends[index])
    return start === NULL_CELL ? null : this.strings.get(index)!
  }

  values(row: number): Cell[] {
    const values: Cell[] = []
    const text = this.text
    const starts = this.starts
    const ends = this.ends
    for (let index = row * this.width, last = index + this.width; index < last; index++) {
      const start = starts[index]!
      values.push(
        start >= 0 ? text.slice(start, ends[index]) : start === NULL_CELL ? null : this.strings.get(index)!,
      )
    }
    return values
  }

  reset(text: string): void {
    this.text = text
    this.length = 0
    if (this.strings.size > 0) this.strings.clear()
  }

  /** Room for one more record; its first cell index. */
  reserve(): number {
    const first = this.length * this.width
    if (this.length === this.lines.length) {
      const lines = new Float64Array(this.lines.length * 2)
      lines.set(this.lines)
      this.lines = lines
      const starts = new Int32Array(this.starts.length * 2)
      starts.set(this.starts)
      this.starts = starts
      const ends = new Int32Array(this.ends.length * 2)
      ends.set(this.ends)
      this.ends = ends
    }
    return first
  }
}

/**
 * Incremental RFC 4180 parser fed decoded text chunks. The first record becomes `columns`; later records go
 * into a `CsvBatch` as cell offsets. Lines without a quote (the common case) take a fast path: one indexOf for
 * the line end, one scan for the delimiters; only lines holding a quote are parsed character by character
 * into strings.
 */
export class CsvParser {
  columns: string[] | undefined
  delimiter: string
  private delimiterCode: number
  private readonly nullTokens: readonly string[]
  private readonly longestNull: number
  private readonly emptyIsNull: boolean
  private readonly nullFirstChars = new Uint8Array(128)
  private batch: CsvBatch | undefined
  private buffer = ''
  private waiting: string[] = []
  private waitingLength = 0
  // After an incomplete record, wait until this many characters are buffered: retrying on every small chunk
  // would rescan a long quoted field once per chunk.
  private resumeAt = 0
  private line = 1
  private started = false
  // Lines consumed by the last record taken through the slow path.
  private recordLines = 0

  /** `headerOnly` stops after the header, so opening a file never fails on a bad record further down. */
  constructor(
    readonly file: string,
    delimiter: string,
    nullValues: readonly string[],
    private readonly headerOnly = false,
  ) {
    this.delimiter = delimiter
    this.delimiterCode = delimiter === 'auto' ? -1 : delimiter.charCodeAt(0)
    this.nullTokens = [...new Set(nullValues)].filter((token) => token.length > 0)
    this.longestNull = nullValues.reduce((longest, token) => Math.max(longest, token.length), 0)
    this.emptyIsNull = nullValues.includes('')
    for (const token of this.nullTokens)
      if (token.charCodeAt(0) < 128) this.nullFirstChars[token.charCodeAt(0)] = 1
  }

  /** Parses what it can of the text so far and pushes the complete records to `out`. */
  feed(chunk: string, out: TableRecord[]): void {
    pushRecords(this.feedBatch(chunk), out)
  }

  /** The last records, at the end of the input. */
  end(out: TableRecord[]): void {
    pushRecords(this.endBatch(), out)
  }

  /**
   * Like `feed`, but returns the complete records as a batch (undefined before the header is known). The batch
   * is reused: it is valid until the next call.
   */
  feedBatch(chunk: string): CsvBatch | undefined {
    this.batch?.reset('')
    if (!this.started) {
      if (chunk.length === 0) return this.batch
      this.started = true
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1)
    }
    this.waiting.push(chunk)
    this.waitingLength += chunk.length
    if (this.buffer.length + this.waitingLength < this.resumeAt) return this.batch
    this.takeWaiting()
    this.parse(false)
    return this.batch
  }

  endBatch(): CsvBatch | undefined {
    this.batch?.reset('')
    this.takeWaiting()
    this.parse(true)
    return this.batch
  }

  private takeWaiting(): void {
    if (this.waiting.length === 0) return
    this.buffer += this.waiting.length === 1 ? this.waiting[0]! : this.waiting.join('')
    this.waiting = []
    this.waitingLength = 0
  }

  private parse(final: boolean): void {
    const s = this.buffer
    const n = s.length
    if (this.delimiterCode < 0) {
      const lineEnd = s.indexOf('\n')
      if (lineEnd < 0 && !final) return this.incomplete(this.line)
      this.delimiter = sniffDelimiter(s.slice(0, lineEnd < 0 ? n : lineEnd))
      this.delimiterCode = this.delimiter.charCodeAt(0)
    }
    this.batch?.reset(s)
    let p = 0
    let line = this.line
    let nextQuote = s.indexOf('"')
    let complete = true
    while (p < n) {
      let lineEnd = s.indexOf('\n', p)
      if (nextQuote >= 0 && nextQuote < p) nextQuote = s.indexOf('"', p)
      if (nextQuote < 0 || (lineEnd >= 0 && nextQuote > lineEnd)) {
        if (lineEnd < 0) {
          if (!final) {
            complete = false
            break
          }
          lineEnd = n
        }
        let end = lineEnd
        if (end > p && s.charCodeAt(end - 1) === CR) end--
        // Blank lines carry no record (a one-column file's missing value is written as an empty quoted "").
        if (end > p) {
          if (this.batch) this.addLine(s, p, end, line)
          else {
            this.setHeader(s.slice(p, end).split(this.delimiter), line)
            this.batch!.reset(s)
          }
        }
        line++
        p = lineEnd + 1
        if (this.headerOnly && this.columns) break
      } else {
        const values: Cell[] = []
        const next = this.parseSlow(s, p, line, final, values)
        if (next < 0) {
          complete = false
          break
        }
        if (this.batch) this.addValues(values, line)
        else {
          this.setHeader(values, line)
          this.batch!.reset(s)
        }
        line += this.recordLines
        p = next
        if (this.headerOnly && this.columns) break
      }
    }
    this.line = line
    this.buffer = p >= n ? '' : s.slice(p)
    if (complete) this.resumeAt = 0
    else this.incomplete(line)
  }

  private incomplete(line: number): void {
    if (this.buffer.length > MAX_RECORD_CHARS) {
      throw new DataError(
        `${this.file}:${line}: a record longer than ${MAX_RECORD_CHARS / 1024 / 1024} Mi characters starts here; is a quote left open?`,
        { file: this.file, line },
      )
    }
    this.resumeAt = Math.max(this.buffer.length * 2, 1)
  }

  /** Records the cells of the quote-free line s[p, end) as offsets. */
  private addLine(s: string, p: number, end: number, line: number): void {
    const batch = this.batch!
    const width = batch.width
    const first = batch.reserve()
    const starts = batch.starts
    const ends = batch.ends
    const last = first + width
    let cell = first
    let from = p
    const delimiter = this.delimiterCode
    for (let i = p; i < end; i++) {
      if (s.charCodeAt(i) !== delimiter) continue
      if (cell < last) {
        starts[cell] = from
        ends[cell] = i
      }
      cell++
      from = i + 1
    }
    if (cell < last) {
      starts[cell] = from
      ends[cell] = end
    }
    cell++
    if (cell !== last) this.fieldCountError(cell - first, line)
    const longestNull = this.longestNull
    const nullFirstChars = this.nullFirstChars
    for (cell = first; cell < last; cell++) {
      const start = starts[cell]!
      const length = ends[cell]! - start
      if (length > longestNull) continue
      if (length > 0) {
        const c = s.charCodeAt(start)
        if (c < 128 && nullFirstChars[c] === 0) continue
      }
      if (this.isNull(s, start, start + length)) starts[cell] = NULL_CELL
    }
    batch.lines[batch.length++] = line
  }

  /** Records the cells of a record the slow path parsed (its unquoted null tokens already null). */
  private addValues(values: Cell[], line: number): void {
    const batch = this.batch!
    if (values.length !== batch.width) this.fieldCountError(values.length, line)
    const first = batch.reserve()
    for (let i = 0; i < values.length; i++) {
      const value = values[i]!
      if (value === null) batch.starts[first + i] = NULL_CELL
      else {
        batch.starts[first + i] = STRING_CELL
        batch.strings.set(first + i, value as string)
      }
    }
    batch.lines[batch.length++] = line
  }

  private fieldCountError(found: number, line: number): never {
    throw new DataError(`${this.file}:${line}: expected ${this.columns!.length} fields, found ${found}`, {
      file: this.file,
      line,
    })
  }

  /**
   * Parses the record at `p` character by character, pushing its cells into `values`. Returns the index after
   * the record and sets `recordLines`, or -1 when the buffer ends before the record does.
   */
  private parseSlow(s: string, p: number, line: number, final: boolean, values: Cell[]): number {
    const n = s.length
    const delimiter = this.delimiterCode
    // Header names are never null tokens: a column may well be called 'NA'.
    const mapNulls = this.columns !== undefined
    let i = p
    let lines = 0
    for (;;) {
      if (i < n && s.charCodeAt(i) === QUOTE) {
        const openLine = line + lines
        let value = ''
        let from = i + 1
        for (;;) {
          const close = s.indexOf('"', from)
          if (close < 0) {
            if (!final) return -1
            throw new DataError(
              `${this.file}:${openLine}: quoted field ${values.length + 1} opened here is never closed (unterminated quote at end of file)`,
              { file: this.file, line: openLine },
            )
          }
          lines += countNewlines(s, from, close)
          // The character after the quote decides between "" (an escaped quote) and the end of the field.
          if (close + 1 >= n && !final) return -1
          if (s.charCodeAt(close + 1) === QUOTE) {
            value += s.slice(from, close + 1)
            from = close + 2
            continue
          }
          value += s.slice(from, close)
          i = close + 1
          break
        }
        values.push(value)
        if (i >= n) break
        const c = s.charCodeAt(i)
        if (c === delimiter) {
          i++
          continue
        }
        if (c === LF) {
          i++
          lines++
          break
        }
        if (c === CR) {
          if (i + 1 >= n) {
            if (!final) return -1
            i++
            break
          }
          if (s.charCodeAt(i + 1) === LF) {
            i += 2
            lines++
            break
          }
        }
        throw new DataError(
          `${this.file}:${line + lines}: unexpected character after the closing quote of field ${values.length}; a quote inside a quoted field must be doubled ("")`,
          { file: this.file, line: line + lines },
        )
      }
      let j = i
      while (j < n) {
        const c = s.charCodeAt(j)
        if (c === delimiter || c === LF) break
        if (c === QUOTE) {
          throw new DataError(
            `${this.file}:${line + lines}: stray quote in unquoted field ${values.length + 1}; quote the whole field and double the quote ("")`,
            { file: this.file, line: line + lines },
          )
        }
        j++
      }
      if (j >= n && !final) return -1
      let end = j
      if (end > i && s.charCodeAt(end - 1) === CR && (j >= n || s.charCodeAt(j) === LF)) end--
      values.push(mapNulls && this.isNull(s, i, end) ? null : s.slice(i, end))
      if (j >= n) {
        i = j
        break
      }
      i = j + 1
      if (s.charCodeAt(j) === LF) {
        lines++
        break
      }
    }
    this.recordLines = lines
    return i
  }

  /**
   * Whether s[start, end) is a null token. Comparing every cell against a set is slow; the length and the
   * first character rule out almost every cell before any token is compared.
   */
  private isNull(s: string, start: number, end: number): boolean {
    const length = end - start
    if (length === 0) return this.emptyIsNull
    if (length > this.longestNull) return false
    const first = s.charCodeAt(start)
    if (first < 128 && this.nullFirstChars[first] === 0) return false
    for (const token of this.nullTokens)
      if (token.length === length && s.startsWith(token, start)) return true
    return false
  }

  private setHeader(values: Cell[], line: number): void {
    this.columns = this.checkHeader(values, line)
    this.batch = new CsvBatch(this.columns.length)
  }

  private checkHeader(values: Cell[], line: number): string[] {
    const names = values.map((value) => (value === null ? '' : String(value)))
    const seen = new Map<string, number>()
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!
      if (name.trim() === '') {
        throw new DataError(
          `${this.file}:${line}: column ${i + 1} of the header has no name; every column needs one`,
          {
            file: this.file,
            line,
          },
        )
      }
      const first = seen.get(name)
      if (first !== undefined) {
        throw new DataError(
          `${this.file}:${line}: column name '${name}' appears twice in the header (columns ${first + 1} and ${i + 1})`,
          { file: this.file, line, column: name },
        )
      }
      seen.set(name, i)
    }
    return names
  }
}

function pushRecords(batch: CsvBatch | undefined, out: TableRecord[]): void {
  if (!batch) return
  for (let row = 0; row < batch.length; row++)
    out.push({ line: batch.lines[row]!, values: batch.values(row) })
}

function countNewlines(s: string, from: number, to: number): number {
  let count = 0
  for (let i = from; i < to; i++) if (s.charCodeAt(i) === LF) count++
  return count
}
