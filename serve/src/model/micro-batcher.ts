import type { RowValues } from './model-schema.js'
import type { BatchOutput } from './load-model.js'

/** Where one request's rows sit in the batch they were run in (no copy per request). */
export interface BatchSlice {
  output: BatchOutput
  offset: number
  count: number
}

interface Pending {
  rows: readonly RowValues[]
  resolve: (slice: BatchSlice) => void
  reject: (error: unknown) => void
}

export interface MicroBatcherOptions {
  maxSize: number
  /** How long the first queued request may wait for others; 0 = only those that arrived in the same tick. */
  maxWaitMs: number
  run: (rows: RowValues[]) => Promise<BatchOutput>
}

/**
 * Merges concurrent requests into one session.run: a batch leaves when it holds maxSize rows or when its first
 * request has waited maxWaitMs. onnxruntime-node runs on the main thread, so while a batch runs the next one
 * fills from the sockets, and batches grow with the load without a longer wait.
 */
export class MicroBatcher {
  private queue: Pending[] = []
  private queuedRows = 0
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined
  private inFlight = 0
  private idleWaiters: Array<() => void> = []

  constructor(private readonly options: MicroBatcherOptions) {}

  /** Rows queued or running: a reload waits for this to reach 0 before releasing the old session. */
  get pending(): number {
    return this.queuedRows + this.inFlight
  }

  submit(rows: readonly RowValues[]): Promise<BatchSlice> {
    return new Promise<BatchSlice>((resolve, reject) => {
      const item: Pending = { rows, resolve, reject }
      const { maxSize } = this.options
      if (rows.length >= maxSize) {
        // Already a full batch: run it on its own rather than splitting or delaying it.
        void this.execute([item])
        return
      }
      if (this.queuedRows + rows.length > maxSize) this.flush()
      this.queue.push(item)
      this.queuedRows += rows.length
      if (this.queuedRows >= maxSize) this.flush()
      else if (this.timer === undefined) {
        this.timer =
          this.options.maxWaitMs > 0
            ? setTimeout(() => this.flush(), this.options.maxWaitMs)
            : setImmediate(() => this.flush())
      }
    })
  }

  /** Resolves once nothing is queued or running. */
  drained(): Promise<void> {
    if (this.pending === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer as NodeJS.Timeout)
      clearImmediate(this.timer as NodeJS.Immediate)
      this.timer = undefined
    }
    if (this.queue.length === 0) return
    const batch = this.queue
    this.queue = []
    this.queuedRows = 0
    void this.execute(batch)
  }

  private async execute(batch: Pending[]): Promise<void> {
    let rows: RowValues[]
    if (batch.length === 1) rows = batch[0]!.rows as RowValues[]
    else {
      rows = []
      for (const item of batch) for (const row of item.rows) rows.push(row)
    }
    this.inFlight += rows.length
    try {
      const output = await this.options.run(rows)
      let offset = 0
      for (const item of batch) {
        item.resolve({ output, offset, count: item.rows.length })
        offset += item.rows.length
      }
    } catch (error) {
      for (const item of batch) item.reject(error)
    } finally {
      this.inFlight -= rows.length
      if (this.pending === 0 && this.idleWaiters.length > 0) {
        const waiters = this.idleWaiters
        this.idleWaiters = []
        for (const wake of waiters) wake()
      }
    }
  }
}
