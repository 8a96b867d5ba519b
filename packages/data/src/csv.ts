import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { DataError } from './errors.js'
import type { Cell, TableReader, TableRecord } from './types.js'

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
// A record this long is almost surely a quote that never closes; stop before the whole file sits in memory.
const MAX_RECORD_CHARS = 64 * 1024 * 1024

/**
 * Opens a CSV file: reads just enough to know the header, and returns a reader whose `records()` streams the
 * file from the start each time it is called (so a profile pass and a checks pass can share one reader).
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
  return {
    file,
    format: 'csv',
    columns,
    totalBytes: size,
    bytesRead: () => bytesRead,
    async *records(): AsyncGenerator<TableRecord> {
      const parser = new CsvParser(file, resolvedDelimiter, nullValues)
      const batch: TableRecord[] = []
      const input = createReadStream(file, { encoding: 'utf8', highWaterMark: chunkSize })
      bytesRead = 0
      try {
        for await (const chunk of input) {
          bytesRead = input.bytesRead
          parser.feed(chunk as string, batch)
          for (let i = 0; i < batch.length; i++) yield batch[i]!
          batch.length = 0
        }
        parser.end(batch)
        for (let i = 0; i < batch.length; i++) yield batch[i]!
      } finally {
        input.destroy()
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

/**
 * Incremental RFC 4180 parser fed decoded text chunks. The first record becomes `columns`; later records
 * are pushed to the caller's batch. Lines without a quote (the common case) take a fast path: one
 * indexOf for the line end and a native split; only lines holding a quote are scanned character by character.
 */
export class CsvParser {
  columns: string[] | undefined
  delimiter: string
  private delimiterCode: number
  private readonly nullSet: ReadonlySet<string>
  private readonly longestNull: number
  private readonly emptyIsNull: boolean
  private readonly nullFirstChars = new Uint8Array(128)
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
    this.nullSet = new Set(nullValues)
    this.longestNull = nullValues.reduce((longest, token) => Math.max(longest, token.length), 0)
    this.emptyIsNull = this.nullSet.has('')
    for (const token of nullValues)
      if (token.length > 0 && token.charCodeAt(0) < 128) this.nullFirstChars[token.charCodeAt(0)] = 1
  }

  feed(chunk: string, out: TableRecord[]): void {
    if (!this.started) {
      if (chunk.length === 0) return
      this.started = true
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1)
    }
    this.waiting.push(chunk)
    this.waitingLength += chunk.length
    if (this.buffer.length + this.waitingLength < this.resumeAt) return
    this.takeWaiting()
    this.parse(out, false)
  }

  end(out: TableRecord[]): void {
    this.takeWaiting()
    this.parse(out, true)
  }

  private takeWaiting(): void {
    if (this.waiting.length === 0) return
    this.buffer += this.waiting.length === 1 ? this.waiting[0]! : this.waiting.join('')
    this.waiting = []
    this.waitingLength = 0
  }

  private parse(out: TableRecord[], final: boolean): void {
    const s = this.buffer
    const n = s.length
    if (this.delimiterCode < 0) {
      const lineEnd = s.indexOf('\n')
      if (lineEnd < 0 && !final) return this.incomplete(this.line)
      this.delimiter = sniffDelimiter(s.slice(0, lineEnd < 0 ? n : lineEnd))
      this.delimiterCode = this.delimiter.charCodeAt(0)
    }
    const delimiter = this.delimiter
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
        if (end > p) this.emit(s.slice(p, end).split(delimiter), line, out, true)
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
        this.emit(values, line, out, false)
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
      const field = s.slice(i, end)
      values.push(mapNulls && this.isNull(field) ? null : field)
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

  /** `mapNulls` is false for slow-path records, whose unquoted cells were mapped already and quoted ones must not be. */
  /** Hashing every cell for a Set lookup is slow; the length and first character rule out almost every cell. */
  private isNull(value: string): boolean {
    if (value.length > this.longestNull) return false
    if (value.length === 0) return this.emptyIsNull
    const first = value.charCodeAt(0)
    return (first >= 128 || this.nullFirstChars[first] === 1) && this.nullSet.has(value)
  }

  private emit(values: Cell[], line: number, out: TableRecord[], mapNulls: boolean): void {
    const columns = this.columns
    if (!columns) {
      this.columns = this.checkHeader(values, line)
      return
    }
    if (values.length !== columns.length) {
      throw new DataError(`${this.file}:${line}: expected ${columns.length} fields, found ${values.length}`, {
        file: this.file,
        line,
      })
    }
    if (!mapNulls) {
      out.push({ line, values })
      return
    }
    for (let i = 0; i < values.length; i++) {
      if (this.isNull(values[i] as string)) values[i] = null
    }
    out.push({ line, values })
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

function countNewlines(s: string, from: number, to: number): number {
  let count = 0
  for (let i = from; i < to; i++) if (s.charCodeAt(i) === LF) count++
  return count
}
