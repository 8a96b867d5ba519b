import {
  columnTableFromRows,
  detectDrift,
  parseReferenceProfile,
  type DriftReport,
  type ReferenceProfile,
} from '@mlops/data'
import type { ServeConfig } from '../config.js'
import type { LoadedModel } from '../model/load-model.js'
import type { ModelHook } from '../model/model-service.js'
import type { RowValues } from '../model/model-schema.js'
import type { Logger } from './json-log.js'
import type { Metrics } from './metrics.js'

/** The most recent `size` rows, kept by reference (requests already allocated them): a push is O(1). */
export class RowWindow {
  private readonly rows: Array<RowValues | undefined>
  private next = 0
  private count = 0
  /** Rows ever pushed, so the timer can skip a computation when nothing arrived. */
  total = 0

  constructor(readonly size: number) {
    this.rows = new Array(size)
  }

  push(batch: readonly RowValues[]): void {
    for (const row of batch) {
      this.rows[this.next] = row
      this.next = (this.next + 1) % this.size
      if (this.count < this.size) this.count++
      this.total++
    }
  }

  get length(): number {
    return this.count
  }

  /** Oldest first. */
  snapshot(): RowValues[] {
    const out: RowValues[] = []
    const start = this.count < this.size ? 0 : this.next
    for (let i = 0; i < this.count; i++) out.push(this.rows[(start + i) % this.size]!)
    return out
  }
}

/** The window as records and the reference's drift report over the model's columns. */
export function windowDrift(
  reference: ReferenceProfile,
  features: ReadonlyArray<{ name: string }>,
  rows: readonly RowValues[],
): DriftReport {
  const records = rows.map((row) => {
    const record: Record<string, unknown> = {}
    for (let c = 0; c < features.length; c++) {
      const value = row[c]
      record[features[c]!.name] = typeof value === 'number' && Number.isNaN(value) ? null : value
    }
    return record
  })
  const known = new Set(reference.columns.map((c) => c.name))
  const columns = features.map((f) => f.name).filter((name) => known.has(name))
  return detectDrift(reference, columnTableFromRows(records, reference), { columns })
}

/**
 * Live drift for a model whose bundle has reference.json: requests only push rows into a ring buffer; a timer
 * (DRIFT_INTERVAL_MS) computes the report and sets the model_*drift* gauges. Bundles without a reference, or
 * DRIFT_WINDOW=0, expose no drift series.
 */
export function attachLiveDrift(
  model: LoadedModel,
  metrics: Metrics,
  config: Pick<ServeConfig, 'driftWindow' | 'driftIntervalMs'>,
  log: Logger,
): ModelHook | undefined {
  if (config.driftWindow === 0 || model.reference === undefined) return undefined
  let reference: ReferenceProfile
  try {
    reference = parseReferenceProfile(model.reference, `${model.dir}/reference.json`)
  } catch (error) {
    log.warn('reference.json unreadable: no live drift for this model', { error: (error as Error).message })
    return undefined
  }
  const labels = { model: model.name, version: model.version }
  const window = new RowWindow(config.driftWindow)
  const set = new Set<string>()
  let computedAt = 0
  const compute = (): void => {
    if (window.total === computedAt) return
    computedAt = window.total
    try {
      const report = windowDrift(reference, model.schema.features, window.snapshot())
      metrics.driftWindowRows.set(labels, window.length)
      metrics.driftShare.set(labels, report.driftedShare)
      metrics.datasetDrift.set(labels, report.datasetDrift ? 1 : 0)
      for (const column of report.columns) {
        const scoreLabels = { ...labels, feature: column.column, method: column.method }
        // 'not enough data' has no meaningful score: leave the series out rather than publish a fake 0.
        if (column.status === 'not enough data' || !Number.isFinite(column.score)) continue
        metrics.driftScore.set(scoreLabels, column.score)
        metrics.driftThreshold.set(scoreLabels, column.threshold)
        metrics.featureDrifted.set({ ...labels, feature: column.column }, column.drifted ? 1 : 0)
        set.add(JSON.stringify(scoreLabels))
      }
    } catch (error) {
      log.warn('live drift computation failed', { error: (error as Error).message })
    }
  }
  metrics.driftWindowRows.set(labels, 0)
  const timer = setInterval(compute, config.driftIntervalMs)
  timer.unref()
  return {
    observe: (rows) => window.push(rows),
    stop: () => {
      clearInterval(timer)
      for (const key of set) {
        const scoreLabels = JSON.parse(key) as {
          model: string
          version: string
          feature: string
          method: string
        }
        metrics.driftScore.remove(scoreLabels)
        metrics.driftThreshold.remove(scoreLabels)
        metrics.featureDrifted.remove({ ...labels, feature: scoreLabels.feature })
      }
      metrics.driftShare.remove(labels)
      metrics.datasetDrift.remove(labels)
      metrics.driftWindowRows.remove(labels)
    },
  }
}
