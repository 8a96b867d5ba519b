import type { ServeConfig } from '../config.js'
import type { Logger } from '../observability/json-log.js'
import type { Metrics } from '../observability/metrics.js'
import type { LoadedModel } from './load-model.js'
import { MicroBatcher, type BatchSlice } from './micro-batcher.js'
import type { RowValues } from './model-schema.js'

/** The model that answers a request, with its batcher; a reload swaps the whole pair. */
export interface ActiveModel {
  model: LoadedModel
  batcher: MicroBatcher
  /** Sees the rows of every answered request (the live drift window); cheap, never throws. */
  hook: ModelHook | undefined
}

export interface ModelHook {
  observe(rows: readonly RowValues[]): void
  /** The model was replaced or the server stops. */
  stop(): void
}

export class NotReadyError extends Error {
  constructor() {
    super('the model is not ready yet (loading or warming up); retry shortly')
    this.name = 'NotReadyError'
  }
}

/**
 * Owns the served model: readiness, the micro-batcher, the model metrics and hot reload. A reload loads and
 * warms the new model while the old one keeps answering, switches new requests to it, then releases the old
 * session once its queued and running batches are done, so no request is dropped.
 */
export class ModelService {
  private active: ActiveModel | undefined
  private reloading: Promise<LoadedModel> | undefined
  /** Loaded and warmed up: inference is answered. */
  ready = false
  /** Shutting down: readiness probes fail so traffic moves away, while requests that still come are answered. */
  draining = false

  constructor(
    private readonly config: ServeConfig,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly load: () => Promise<LoadedModel>,
    private readonly attach?: (model: LoadedModel) => ModelHook | undefined,
  ) {}

  get current(): LoadedModel | undefined {
    return this.active?.model
  }

  async start(): Promise<LoadedModel> {
    const model = await this.load()
    this.activate(model)
    return model
  }

  private activate(model: LoadedModel): void {
    const labels = { model: model.name, version: model.version }
    const { metrics } = this
    const inferenceDuration = metrics.inferenceDuration.labels(labels)
    const batchSize = metrics.batchSize.labels(labels)
    const ok = metrics.inferences.labels({ ...labels, status: 'ok' })
    const failed = metrics.inferences.labels({ ...labels, status: 'error' })
    const perClass = new Map(
      model.schema.labels.map((c) => [c, metrics.predictions.labels({ ...labels, class: c })]),
    )
    const batcher = new MicroBatcher({
      maxSize: this.config.batchMaxSize,
      maxWaitMs: this.config.batchMaxWaitMs,
      run: async (rows) => {
        const end = inferenceDuration.startTimer()
        try {
          const output = await model.infer(rows)
          end()
          ok.inc()
          batchSize.observe(rows.length)
          for (const label of output.labels) perClass.get(label)?.inc()
          return output
        } catch (error) {
          end()
          failed.inc()
          throw error
        }
      },
    })
    const previous = this.active
    this.active = { model, batcher, hook: this.attach?.(model) }
    metrics.info.set({ ...labels, digest: model.digest }, 1)
    metrics.ready.set(labels, 1)
    if (previous && (previous.model.version !== model.version || previous.model.name !== model.name)) {
      const old = { model: previous.model.name, version: previous.model.version }
      metrics.info.remove({ ...old, digest: previous.model.digest })
      metrics.ready.remove(old)
    } else if (previous && previous.model.digest !== model.digest) {
      metrics.info.remove({ ...labels, digest: previous.model.digest })
    }
    this.ready = true
  }

  /** Queues rows for the current model; the caller gets the model that answered with the result. */
  async predict(rows: readonly RowValues[]): Promise<{ model: LoadedModel; slice: BatchSlice }> {
    const active = this.active
    if (!this.ready || !active) throw new NotReadyError()
    const slice = await active.batcher.submit(rows)
    active.hook?.observe(rows)
    return { model: active.model, slice }
  }

  /** Loads MODEL_URI again (a models:/name@alias URI picks up the alias' new version) and swaps it in. */
  reload(): Promise<LoadedModel> {
    this.reloading ??= (async () => {
      try {
        const next = await this.load()
        const previous = this.active
        this.activate(next)
        this.log.info('model reloaded', {
          model: next.name,
          version: next.version,
          digest: next.digest,
          previous: previous?.model.version,
        })
        if (previous) {
          previous.hook?.stop()
          await previous.batcher.drained()
          await previous.model.release()
        }
        return next
      } finally {
        this.reloading = undefined
      }
    })()
    return this.reloading
  }

  get readyForTraffic(): boolean {
    return this.ready && !this.draining
  }

  /** Readiness probes fail from now on; inference keeps answering until the server stops listening. */
  startDraining(): void {
    this.draining = true
    const model = this.active?.model
    if (model) this.metrics.ready.set({ model: model.name, version: model.version }, 0)
  }

  async close(): Promise<void> {
    const active = this.active
    if (!active) return
    active.hook?.stop()
    await active.batcher.drained()
    await active.model.release()
    this.active = undefined
  }
}
