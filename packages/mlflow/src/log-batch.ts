import { metricValueToWire } from './metric-value.js'
import type { KeyValue, LogBatchInput } from './types.js'

/** What one `runs/log-batch` request may hold (MLflow's documented limits). */
export interface LogBatchLimits {
  metrics: number
  params: number
  tags: number
  entries: number
  /** Serialized request body, in bytes. */
  bytes: number
}

export const LOG_BATCH_LIMITS: LogBatchLimits = {
  metrics: 1000,
  params: 100,
  tags: 100,
  entries: 1000,
  bytes: 1_000_000,
}

export interface WireMetric {
  key: string
  value: number | string
  timestamp: number
  step: number
}

export interface WireBatch {
  metrics: WireMetric[]
  params: KeyValue[]
  tags: KeyValue[]
}

/**
 * Fills requests greedily, params first (a refused param change then fails before any metric of that
 * request is written), then tags, then metrics in the caller's order so curves stay ordered by step.
 * Every request stays within all limits at once; a single entry larger than the byte limit goes alone
 * and the server decides.
 */
export function splitLogBatch(
  runId: string,
  batch: LogBatchInput,
  limits: LogBatchLimits = LOG_BATCH_LIMITS,
  now: () => number = Date.now,
): WireBatch[] {
  const timestamp = now()
  const metrics: WireMetric[] = (batch.metrics ?? []).map((m) => ({
    key: m.key,
    value: metricValueToWire(m.value),
    timestamp: m.timestamp ?? timestamp,
    step: m.step ?? 0,
  }))
  const entries: { kind: keyof WireBatch; item: WireMetric | KeyValue }[] = [
    ...(batch.params ?? []).map((item) => ({ kind: 'params' as const, item })),
    ...(batch.tags ?? []).map((item) => ({ kind: 'tags' as const, item })),
    ...metrics.map((item) => ({ kind: 'metrics' as const, item })),
  ]

  const envelope = byteLength({ run_id: runId, metrics: [], params: [], tags: [] })
  const out: WireBatch[] = []
  let current: WireBatch = { metrics: [], params: [], tags: [] }
  let count = 0
  let bytes = envelope
  for (const { kind, item } of entries) {
    // +1 for the comma between array items.
    const size = byteLength(item) + 1
    const full =
      count > 0 &&
      (count + 1 > limits.entries || current[kind].length + 1 > limits[kind] || bytes + size > limits.bytes)
    if (full) {
      out.push(current)
      current = { metrics: [], params: [], tags: [] }
      count = 0
      bytes = envelope
    }
    ;(current[kind] as (WireMetric | KeyValue)[]).push(item)
    count++
    bytes += size
  }
  if (count > 0) out.push(current)
  return out
}

function byteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value))
}
