// The REST API's snake_case JSON -> our types. Fields we do not know are ignored (newer servers add
// some), int64 values may arrive as numbers or strings, and missing optional fields stay undefined.
import { metricValueFromWire } from './metric-value.js'
import type {
  Experiment,
  FileInfo,
  Metric,
  ModelVersion,
  ModelVersionStatus,
  RegisteredModel,
  Run,
  RunInfo,
  RunStatus,
} from './types.js'

type Wire = Record<string, unknown>

function obj(value: unknown): Wire {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Wire) : {}
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number') return String(value)
  return undefined
}

function int(value: unknown): number | undefined {
  if (typeof value === 'number') return value
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value)
    return Number.isFinite(n) ? n : undefined
  }
  return undefined
}

export function keyValuesFromWire(value: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  for (const item of list(value)) {
    const { key, value: v } = obj(item)
    if (typeof key === 'string') out[key] = str(v) ?? ''
  }
  return out
}

export function experimentFromWire(raw: unknown): Experiment {
  const e = obj(raw)
  return {
    experimentId: str(e['experiment_id']) ?? '',
    name: str(e['name']) ?? '',
    artifactLocation: str(e['artifact_location']) ?? '',
    lifecycleStage: str(e['lifecycle_stage']) ?? 'active',
    creationTime: int(e['creation_time']),
    lastUpdateTime: int(e['last_update_time']),
    tags: keyValuesFromWire(e['tags']),
  }
}

export function runInfoFromWire(raw: unknown): RunInfo {
  const r = obj(raw)
  const runId = str(r['run_id']) ?? str(r['run_uuid']) ?? ''
  return {
    runId,
    runName: str(r['run_name']) ?? '',
    experimentId: str(r['experiment_id']) ?? '',
    userId: str(r['user_id']) ?? '',
    status: (str(r['status']) ?? 'RUNNING') as RunStatus,
    startTime: int(r['start_time']) ?? 0,
    endTime: int(r['end_time']),
    artifactUri: str(r['artifact_uri']) ?? '',
    lifecycleStage: str(r['lifecycle_stage']) ?? 'active',
  }
}

export function metricFromWire(raw: unknown): Metric {
  const m = obj(raw)
  return {
    key: str(m['key']) ?? '',
    value: metricValueFromWire(m['value']),
    timestamp: int(m['timestamp']) ?? 0,
    step: int(m['step']) ?? 0,
  }
}

export function runFromWire(raw: unknown): Run {
  const r = obj(raw)
  const data = obj(r['data'])
  const metrics: Record<string, Metric> = {}
  for (const item of list(data['metrics'])) {
    const metric = metricFromWire(item)
    metrics[metric.key] = metric
  }
  return {
    info: runInfoFromWire(r['info']),
    data: { metrics, params: keyValuesFromWire(data['params']), tags: keyValuesFromWire(data['tags']) },
  }
}

export function fileInfoFromWire(raw: unknown): FileInfo {
  const f = obj(raw)
  return { path: str(f['path']) ?? '', isDir: f['is_dir'] === true, fileSize: int(f['file_size']) }
}

export function registeredModelFromWire(raw: unknown): RegisteredModel {
  const m = obj(raw)
  const aliases: Record<string, string> = {}
  for (const item of list(m['aliases'])) {
    const a = obj(item)
    const alias = str(a['alias'])
    const version = str(a['version'])
    if (alias !== undefined && version !== undefined) aliases[alias] = version
  }
  return {
    name: str(m['name']) ?? '',
    creationTimestamp: int(m['creation_timestamp']),
    lastUpdatedTimestamp: int(m['last_updated_timestamp']),
    description: str(m['description']),
    tags: keyValuesFromWire(m['tags']),
    aliases,
  }
}

export function modelVersionFromWire(raw: unknown): ModelVersion {
  const v = obj(raw)
  const runId = str(v['run_id'])
  return {
    name: str(v['name']) ?? '',
    version: str(v['version']) ?? '',
    creationTimestamp: int(v['creation_timestamp']),
    lastUpdatedTimestamp: int(v['last_updated_timestamp']),
    currentStage: str(v['current_stage']) ?? 'None',
    description: str(v['description']),
    source: str(v['source']) ?? '',
    runId: runId === '' ? undefined : runId,
    // Old servers leave status out once a version is ready.
    status: (str(v['status']) ?? 'READY') as ModelVersionStatus,
    statusMessage: str(v['status_message']),
    tags: keyValuesFromWire(v['tags']),
    aliases: list(v['aliases']).filter((a): a is string => typeof a === 'string'),
  }
}

export function tagsToWire(tags: Record<string, string> | undefined): { key: string; value: string }[] {
  return Object.entries(tags ?? {}).map(([key, value]) => ({ key, value }))
}
