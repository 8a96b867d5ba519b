import { mkdir, open, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import type { ModelSchema, RowValues } from '../model/model-schema.js'
import type { BatchSlice } from '../model/micro-batcher.js'

/** One request's worth of rows, kept as references until the writer turns them into lines. */
export interface LoggedRequest {
  ts: number
  requestId: string
  model: { name: string; version: string }
  schema: ModelSchema
  rows: readonly RowValues[]
  slice: BatchSlice
  latencyMs: number
}

export interface PredictionLogOptions {
  dir: string
  /** Share of requests logged, 0..1. */
  sample: number
  /** A file is closed and a new one started when the next write would pass this size. */
  maxBytes: number
  /** Rows waiting to be written beyond which new requests are dropped (counted), never awaited. */
  maxPendingRows?: number
  flushIntervalMs?: number
  random?: () => number
  onWritten?: (lines: number) => void
  onDropped?: (lines: number) => void
  onError?: (error: Error) => void
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0')

export function predictionLogFileName(date: Date, sequence: number): string {
  const d = `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}`
  const t = `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`
  return `predictions-${d}-${t}-${sequence}.jsonl`
}

/** The JSONL line drift-check reads, one per predicted row. */
export function predictionLines(entry: LoggedRequest): string {
  const { schema, rows, slice } = entry
  const { labels, probabilities, classes } = slice.output
  const ts = new Date(entry.ts).toISOString()
  let text = ''
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!
    const inputs: Record<string, number | string | null | number[]> = {}
    // A picture's pixels are no use to drift-check and would make every line kilobytes long: keep its shape.
    if (schema.imageTensor)
      inputs.image_shape = [schema.image!.height, schema.image!.width, schema.image!.channels]
    else
      for (let c = 0; c < schema.features.length; c++) {
        const value = row[c]!
        // Missing values were NaN / '' for the graph; the log keeps them as null, as the client sent them.
        inputs[schema.features[c]!.name] =
          typeof value === 'number' ? (Number.isNaN(value) ? null : value) : value === '' ? null : value
      }
    const at = slice.offset + i
    const probs: Record<string, number> = {}
    for (let k = 0; k < classes; k++) probs[schema.labels[k] ?? String(k)] = probabilities[at * classes + k]!
    text +=
      JSON.stringify({
        ts,
        request_id: entry.requestId,
        model: entry.model,
        inputs,
        outputs: { prediction: labels[at], probabilities: probs },
        latency_ms: Math.round(entry.latencyMs * 1000) / 1000,
      }) + '\n'
  }
  return text
}

/**
 * Sampled, size-rotated JSONL writer. record() only queues references; lines are built and written on a timer,
 * one write at a time, so a slow or failing disk drops log lines (counted) instead of slowing or failing a
 * request.
 */
export class PredictionLog {
  private queue: LoggedRequest[] = []
  private queuedRows = 0
  private file: { handle: FileHandle; bytes: number } | undefined
  private sequence = 0
  private writing: Promise<void> | undefined
  private timer: NodeJS.Timeout
  private readonly maxPendingRows: number
  private readonly random: () => number
  private failed = false

  constructor(private readonly options: PredictionLogOptions) {
    this.maxPendingRows = options.maxPendingRows ?? 50_000
    this.random = options.random ?? Math.random
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 250)
    this.timer.unref()
  }

  record(entry: LoggedRequest): void {
    if (this.options.sample < 1 && this.random() >= this.options.sample) return
    if (this.queuedRows + entry.rows.length > this.maxPendingRows) {
      this.options.onDropped?.(entry.rows.length)
      return
    }
    this.queue.push(entry)
    this.queuedRows += entry.rows.length
  }

  /** Writes everything queued so far (also used by shutdown). */
  flush(): Promise<void> {
    if (this.writing) return this.writing.then(() => (this.queue.length > 0 ? this.flush() : undefined))
    if (this.queue.length === 0) return Promise.resolve()
    const batch = this.queue
    const rows = this.queuedRows
    this.queue = []
    this.queuedRows = 0
    this.writing = this.write(batch, rows).finally(() => {
      this.writing = undefined
    })
    return this.writing
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    await this.flush()
    await this.file?.handle.close()
    this.file = undefined
  }

  private async write(batch: LoggedRequest[], rows: number): Promise<void> {
    try {
      // Rotation happens between requests, so a file passes maxBytes only when one request alone does.
      let pending = ''
      let pendingBytes = 0
      for (const entry of batch) {
        const text = predictionLines(entry)
        const bytes = Buffer.byteLength(text)
        const used = (this.file?.bytes ?? 0) + pendingBytes
        if (used > 0 && used + bytes > this.options.maxBytes) {
          await this.append(pending, pendingBytes)
          pending = ''
          pendingBytes = 0
          await this.file?.handle.close()
          this.file = undefined
        }
        pending += text
        pendingBytes += bytes
      }
      await this.append(pending, pendingBytes)
      this.failed = false
      this.options.onWritten?.(rows)
    } catch (error) {
      this.options.onDropped?.(rows)
      // Report a broken disk once per failure streak, not once per flush.
      if (!this.failed) this.options.onError?.(error as Error)
      this.failed = true
      await this.file?.handle.close().catch(() => undefined)
      this.file = undefined
    }
  }

  private async append(text: string, bytes: number): Promise<void> {
    if (bytes === 0) return
    this.file ??= await this.openNext()
    await this.file.handle.write(text)
    this.file.bytes += bytes
  }

  private async openNext(): Promise<{ handle: FileHandle; bytes: number }> {
    await mkdir(this.options.dir, { recursive: true })
    for (;;) {
      const name = predictionLogFileName(new Date(), this.sequence++)
      try {
        // 'wx': never append to a file another replica or an earlier run started.
        return { handle: await open(join(this.options.dir, name), 'wx'), bytes: 0 }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
    }
  }
}
