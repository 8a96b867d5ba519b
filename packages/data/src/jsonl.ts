import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { DataError } from './errors.js'
import type { Cell, TableReader, TableRecord } from './types.js'

export interface JsonlOptions {
  /** Non-blank lines read at open time to learn the columns. Default 1000. */
  sampleLines?: number
  /** Bytes per read. Only tests change it, to put chunk boundaries everywhere. */
  chunkSize?: number
}

const DEFAULT_SAMPLE_LINES = 1000
// Below V8's large-object threshold, so chunks die young (see csv.ts).
const DEFAULT_CHUNK_SIZE = 64 * 1024

/**
 * Opens a JSON Lines file. The columns are the keys of the first `sampleLines` objects in order of first
 * appearance; a key first seen after that is an error rather than a silently dropped column.
 * `records()` streams the file from the start each time it is called.
 */
export async function openJsonl(file: string, options: JsonlOptions = {}): Promise<TableReader> {
  const sampleLines = options.sampleLines ?? DEFAULT_SAMPLE_LINES
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE
  const { size } = await stat(file)

  const keys = new Set<string>()
  let sampled = 0
  for await (const batch of jsonLines(file, chunkSize, () => undefined)) {
    for (const { line, text } of batch) {
      for (const key of Object.keys(parseObject(file, line, text))) keys.add(key)
      if (++sampled >= sampleLines) break
    }
    if (sampled >= sampleLines) break
  }
  const columns = [...keys]
  const index = new Map(columns.map((name, i) => [name, i]))

  let bytesRead = 0
  return {
    file,
    format: 'jsonl',
    columns,
    totalBytes: size,
    bytesRead: () => bytesRead,
    async *records(): AsyncGenerator<TableRecord> {
      bytesRead = 0
      for await (const batch of jsonLines(file, chunkSize, (bytes) => (bytesRead = bytes))) {
        for (const { line, text } of batch) {
          const object = parseObject(file, line, text)
          const values: Cell[] = new Array<Cell>(columns.length).fill(null)
          for (const key in object) {
            const at = index.get(key)
            if (at === undefined) {
              throw new DataError(
                `${file}:${line}: key '${key}' does not appear in the first ${sampleLines} lines, so it is not a column; ` +
                  `add it (even as null) to an early line`,
                { file, line, column: key },
              )
            }
            values[at] = toCell(object[key])
          }
          yield { line, values }
        }
      }
    },
  }
}

interface NumberedLine {
  line: number
  text: string
}

/** Non-blank lines of the file with their 1-based line numbers, one batch per read chunk. */
async function* jsonLines(
  file: string,
  chunkSize: number,
  onBytes: (bytesRead: number) => void,
): AsyncGenerator<NumberedLine[]> {
  const input = createReadStream(file, { encoding: 'utf8', highWaterMark: chunkSize })
  let rest = ''
  let line = 1
  let started = false
  try {
    for await (const chunk of input) {
      onBytes(input.bytesRead)
      let text = chunk as string
      if (!started && text.length > 0) {
        started = true
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
      }
      const s = rest + text
      const batch: NumberedLine[] = []
      let p = 0
      // `rest` holds no newline, so the search can start after it (a long line spanning many chunks stays linear).
      for (let end = s.indexOf('\n', rest.length); end >= 0; end = s.indexOf('\n', p)) {
        if (!isBlank(s, p, end)) batch.push({ line, text: s.slice(p, end) })
        line++
        p = end + 1
      }
      rest = s.slice(p)
      if (batch.length > 0) yield batch
    }
    if (!isBlank(rest, 0, rest.length)) yield [{ line, text: rest }]
  } finally {
    input.destroy()
  }
}

function isBlank(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i)
    if (c !== 32 && c !== 9 && c !== 13) return false
  }
  return true
}

function parseObject(file: string, line: number, text: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new DataError(`${file}:${line}: invalid JSON: ${reason}`, { file, line }, { cause: error })
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const found = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`
    throw new DataError(`${file}:${line}: expected one JSON object per line, found ${found}`, { file, line })
  }
  return value as Record<string, unknown>
}

/** Nested objects and arrays become their JSON text: a profile or a check sees one comparable value per cell. */
function toCell(value: unknown): Cell {
  if (value === null || value === undefined) return null
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value
  return JSON.stringify(value)
}
