// A stand-in for an MLflow 2.17 tracking server started with `--serve-artifacts`, written from
// shared/reference/mlflow.md: same routes, status codes and `{error_code, message}` bodies, string ids and
// version numbers, empty lists left out of answers as protobuf JSON does, and switches that inject the
// failures a real deployment produces (5xx on the Nth request, dropped connections, auth, slow registration).
// Artifacts and multipart parts are kept in a temp folder, so large uploads do not sit in memory.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'

export interface FakeMlflowOptions {
  /** Every MLflow route then needs `Authorization: Bearer <token>` (401 otherwise). */
  token?: string
  /** Every MLflow route then needs this basic-auth user (401 otherwise), as `mlflow server --app-name basic-auth`. */
  basic?: { username: string; password: string }
  /** Answer 403 "Permission denied" where this says so (after authentication). */
  forbid?: (request: { method: string; path: string; user: string | undefined }) => boolean
  /** Artifact root for new experiments: `mlflow-artifacts:` (the proxy, default) or e.g. `s3://bucket/prefix`. */
  artifactRoot?: string
  /** How many `model-versions/get` calls see PENDING_REGISTRATION before READY (default 1). */
  pendingGets?: number
  /** Registration ends in FAILED_REGISTRATION instead of READY. */
  failRegistration?: boolean
  /** false: `mpu/create` answers 501, as a server whose artifact store cannot presign parts. */
  multipart?: boolean
}

export interface Injection {
  method?: string
  /** Matched against the path (no query): a RegExp, or a substring. */
  path: RegExp | string
  /** Let this many matching requests through first (fail the Nth: skip N-1). */
  skip?: number
  /** How many matching requests fail after the skipped ones (default 1). */
  times?: number
  /** Default 500, with an HTML page like a crashed server's. */
  status?: number
  body?: string
  contentType?: string
  headers?: Record<string, string>
  /** Destroy the connection instead of answering: a network failure. */
  drop?: boolean
}

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  status: number
  authorization: string | undefined
  contentType: string | undefined
  bytes: number
}

export interface FakeMlflowServer {
  url: string
  requests: RecordedRequest[]
  inject(rule: Injection): void
  /** Local file holding the stored artifact at `<experiment_id>/<run_id>/artifacts/<path>`, if any. */
  artifactFile(path: string): Promise<string | undefined>
  /** Multipart uploads started and not completed or aborted. */
  openUploads(): number
  close(): Promise<void>
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

const bad = (message: string): ApiError => new ApiError(400, 'INVALID_PARAMETER_VALUE', message)
const missing = (message: string): ApiError => new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', message)
const exists = (message: string): ApiError => new ApiError(400, 'RESOURCE_ALREADY_EXISTS', message)

const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']
const STAGES = ['None', 'Staging', 'Production', 'Archived']
const MAX_BATCH_BYTES = 1_000_000

interface Experiment {
  experiment_id: string
  name: string
  artifact_location: string
  lifecycle_stage: string
  creation_time: number
  last_update_time: number
  tags: Map<string, string>
}

interface MetricPoint {
  key: string
  value: number | string
  timestamp: number
  step: number
}

interface RunRecord {
  info: {
    run_id: string
    run_uuid: string
    run_name: string
    experiment_id: string
    user_id: string
    status: string
    start_time: number
    end_time?: number
    artifact_uri: string
    lifecycle_stage: string
  }
  params: Map<string, string>
  tags: Map<string, string>
  metrics: Map<string, MetricPoint[]>
}

interface ModelRecord {
  name: string
  creation_timestamp: number
  last_updated_timestamp: number
  description?: string
  tags: Map<string, string>
  aliases: Map<string, string>
}

interface VersionRecord {
  name: string
  version: string
  creation_timestamp: number
  last_updated_timestamp: number
  current_stage: string
  description?: string
  source: string
  run_id?: string
  storage_location: string
  tags: Map<string, string>
  gets: number
}

interface Upload {
  path: string
  numParts: number
  dir: string
  etags: Map<number, string>
}

type Query = Record<string, string>
type Handler = (args: { body: Record<string, unknown>; query: Query; rest: string }) => unknown

export async function startFakeMlflowServer(options: FakeMlflowOptions = {}): Promise<FakeMlflowServer> {
  const workDir = await mkdtemp(join(tmpdir(), 'fake-mlflow-'))
  const artifactsDir = join(workDir, 'artifacts')
  const partsDir = join(workDir, 'parts')
  await mkdir(artifactsDir, { recursive: true })
  await mkdir(partsDir, { recursive: true })

  const pendingGets = options.pendingGets ?? 1
  const artifactRoot = (options.artifactRoot ?? 'mlflow-artifacts:').replace(/\/+$/, '')
  const requests: RecordedRequest[] = []
  const injections: (Injection & { seen: number; fired: number })[] = []
  const experiments = new Map<string, Experiment>()
  const runs = new Map<string, RunRecord>()
  const models = new Map<string, ModelRecord>()
  const versions = new Map<string, Map<number, VersionRecord>>()
  const uploads = new Map<string, Upload>()
  let nextExperimentId = 0
  let baseUrl = ''

  const now = (): number => Date.now()
  const experimentLocation = (id: string): string =>
    artifactRoot === 'mlflow-artifacts:' ? `mlflow-artifacts:/${id}` : `${artifactRoot}/${id}`

  const addExperiment = (name: string, tags: Map<string, string>): Experiment => {
    const id = String(nextExperimentId++)
    const time = now()
    const experiment: Experiment = {
      experiment_id: id,
      name,
      artifact_location: experimentLocation(id),
      lifecycle_stage: 'active',
      creation_time: time,
      last_update_time: time,
      tags,
    }
    experiments.set(id, experiment)
    return experiment
  }
  addExperiment('Default', new Map())

  // ---- helpers: reading requests the way the server's protobuf parsing does

  const str = (body: Record<string, unknown>, field: string, required = true): string | undefined => {
    const value = body[field]
    if (value === undefined || value === null || value === '') {
      if (required) throw bad(`Missing value for required parameter '${field}'.`)
      return undefined
    }
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw bad(`Invalid value ${JSON.stringify(value)} for parameter '${field}' supplied.`)
    }
    return String(value)
  }

  const int = (value: unknown, field: string): number | undefined => {
    if (value === undefined || value === null) return undefined
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
    if (typeof n !== 'number' || !Number.isInteger(n)) {
      throw bad(`Invalid value ${JSON.stringify(value)} for parameter '${field}' supplied.`)
    }
    return n
  }

  const tagList = (value: unknown, field: string): Map<string, string> => {
    const out = new Map<string, string>()
    if (value === undefined || value === null) return out
    if (!Array.isArray(value))
      throw bad(`Invalid value ${JSON.stringify(value)} for parameter '${field}' supplied.`)
    for (const [i, item] of value.entries()) {
      const t = (item ?? {}) as Record<string, unknown>
      if (typeof t['key'] !== 'string' || t['key'] === '') {
        throw bad(`Missing value for required parameter '${field}[${i}].key'.`)
      }
      out.set(t['key'], t['value'] === undefined || t['value'] === null ? '' : String(t['value']))
    }
    return out
  }

  const checkKeyName = (kind: string, key: string): void => {
    if (
      !/^[/\w.\- :]*$/.test(key) ||
      key.startsWith('/') ||
      key.split('/').some((p) => p === '..' || p === '')
    ) {
      throw bad(`Invalid ${kind} name: '${key}'.`)
    }
  }

  const metricValue = (value: unknown, field: string): number | string => {
    if (typeof value === 'number' && Number.isFinite(value)) return value
    if (typeof value === 'string' && ['NaN', 'Infinity', '-Infinity'].includes(value)) return value
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
      return Number(value)
    if (value === undefined || value === null) throw bad(`Missing value for required parameter '${field}'.`)
    throw bad(`Invalid value ${JSON.stringify(value)} for parameter '${field}' supplied.`)
  }

  const safePath = (raw: string): string => {
    const parts = raw.split('/').filter((p) => p !== '')
    if (parts.some((p) => p === '..' || p.includes('\\')) || raw.startsWith('/')) throw bad('Invalid path')
    return parts.join('/')
  }

  const getRun = (runId: string | undefined): RunRecord => {
    const run = runId === undefined ? undefined : runs.get(runId)
    if (run === undefined) throw missing(`Run with id=${runId} not found`)
    return run
  }

  const activeRun = (runId: string | undefined): RunRecord => {
    const run = getRun(runId)
    if (run.info.lifecycle_stage !== 'active') {
      throw bad(
        `The run ${runId} must be in the 'active' state. Current state is ${run.info.lifecycle_stage}.`,
      )
    }
    return run
  }

  const getModel = (name: string | undefined): ModelRecord => {
    const model = name === undefined ? undefined : models.get(name)
    if (model === undefined) throw missing(`Registered Model with name=${name} not found`)
    return model
  }

  const getVersion = (name: string | undefined, version: string | undefined): VersionRecord => {
    getModel(name)
    const n = Number(version)
    if (version === undefined || !/^\d+$/.test(version))
      throw bad(`Model version must be an integer, got '${version}'`)
    const record = versions.get(name!)?.get(n)
    if (record === undefined) throw missing(`Model Version (name=${name}, version=${n}) not found`)
    return record
  }

  const kv = (map: Map<string, string>): { key: string; value: string }[] =>
    [...map].map(([key, value]) => ({ key, value }))

  const runJson = (run: RunRecord): unknown => ({
    info: run.info,
    data: {
      metrics: [...run.metrics.values()].map((points) => latest(points)),
      params: kv(run.params),
      tags: kv(run.tags),
    },
    inputs: {},
  })

  const versionStatus = (record: VersionRecord): string =>
    pendingGets > 0 && record.gets <= pendingGets
      ? 'PENDING_REGISTRATION'
      : options.failRegistration
        ? 'FAILED_REGISTRATION'
        : 'READY'

  const versionJson = (record: VersionRecord): unknown => {
    const aliases = [...(models.get(record.name)?.aliases ?? new Map<string, string>())]
      .filter(([, v]) => v === record.version)
      .map(([a]) => a)
    const status = versionStatus(record)
    return {
      name: record.name,
      version: record.version,
      creation_timestamp: record.creation_timestamp,
      last_updated_timestamp: record.last_updated_timestamp,
      current_stage: record.current_stage,
      description: record.description,
      source: record.source,
      run_id: record.run_id,
      status,
      status_message: status === 'FAILED_REGISTRATION' ? 'Source could not be copied' : undefined,
      tags: kv(record.tags),
      aliases,
    }
  }

  const modelJson = (model: ModelRecord): unknown => ({
    name: model.name,
    creation_timestamp: model.creation_timestamp,
    last_updated_timestamp: model.last_updated_timestamp,
    description: model.description,
    tags: kv(model.tags),
    aliases: [...model.aliases].map(([alias, version]) => ({ alias, version })),
  })

  const checkAlias = (alias: string): void => {
    if (!/^[\w-]+$/.test(alias)) {
      throw bad(
        `Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`,
      )
    }
    if (alias.toLowerCase() === 'latest') throw bad(`'latest' alias name (case insensitive) is reserved.`)
    if (/^v\d+$/i.test(alias)) throw bad(`Version alias name '${alias}' is reserved.`)
  }

  // ---- JSON routes under /api/2.0/mlflow/

  const routes: Record<string, Handler> = {
    'POST experiments/create': ({ body }) => {
      const name = str(body, 'name')!
      for (const e of experiments.values())
        if (e.name === name) throw exists(`Experiment '${name}' already exists.`)
      return { experiment_id: addExperiment(name, tagList(body['tags'], 'tags')).experiment_id }
    },
    'GET experiments/get': ({ query }) => {
      const id = str(query, 'experiment_id')!
      const e = experiments.get(id)
      if (e === undefined) throw missing(`No Experiment with id=${id} exists`)
      return { experiment: { ...e, tags: kv(e.tags) } }
    },
    'GET experiments/get-by-name': ({ query }) => {
      const name = str(query, 'experiment_name')!
      for (const e of experiments.values())
        if (e.name === name) return { experiment: { ...e, tags: kv(e.tags) } }
      throw missing(`Could not find experiment with name '${name}'`)
    },
    'POST experiments/search': () => ({
      experiments: [...experiments.values()].map((e) => ({ ...e, tags: kv(e.tags) })),
    }),
    'POST experiments/set-experiment-tag': ({ body }) => {
      const id = str(body, 'experiment_id')!
      const e = experiments.get(id)
      if (e === undefined) throw missing(`No Experiment with id=${id} exists`)
      e.tags.set(str(body, 'key')!, str(body, 'value', false) ?? '')
      return {}
    },

    'POST runs/create': ({ body }) => {
      const experimentId = str(body, 'experiment_id')!
      const experiment = experiments.get(experimentId)
      if (experiment === undefined) throw missing(`No Experiment with id=${experimentId} exists`)
      if (experiment.lifecycle_stage !== 'active')
        throw bad(`The experiment ${experimentId} must be in the 'active' state.`)
      const runId = randomUUID().replace(/-/g, '')
      const tags = tagList(body['tags'], 'tags')
      const runName = str(body, 'run_name', false) ?? tags.get('mlflow.runName') ?? `run-${runId.slice(0, 6)}`
      tags.set('mlflow.runName', runName)
      const run: RunRecord = {
        info: {
          run_id: runId,
          run_uuid: runId,
          run_name: runName,
          experiment_id: experimentId,
          // Not derived from the mlflow.user tag: only what the client sends.
          user_id: str(body, 'user_id', false) ?? '',
          status: 'RUNNING',
          start_time: int(body['start_time'], 'start_time') ?? now(),
          artifact_uri: `${experiment.artifact_location}/${runId}/artifacts`,
          lifecycle_stage: 'active',
        },
        params: new Map(),
        tags,
        metrics: new Map(),
      }
      runs.set(runId, run)
      return { run: runJson(run) }
    },
    'POST runs/update': ({ body }) => {
      const run = activeRun(str(body, 'run_id', false) ?? str(body, 'run_uuid'))
      const status = str(body, 'status', false)
      if (status !== undefined) {
        if (!RUN_STATUSES.includes(status))
          throw bad(`Invalid value ${status} for parameter 'status' supplied.`)
        run.info.status = status
      }
      const endTime = int(body['end_time'], 'end_time')
      if (endTime !== undefined) run.info.end_time = endTime
      const runName = str(body, 'run_name', false)
      if (runName !== undefined) {
        run.info.run_name = runName
        run.tags.set('mlflow.runName', runName)
      }
      return { run_info: run.info }
    },
    'GET runs/get': ({ query }) => ({
      run: runJson(getRun(str(query, 'run_id', false) ?? str(query, 'run_uuid'))),
    }),
    'POST runs/search': ({ body }) => {
      const ids = body['experiment_ids']
      if (!Array.isArray(ids) || ids.length === 0)
        throw bad("Missing value for required parameter 'experiment_ids'.")
      const maxResults = int(body['max_results'], 'max_results') ?? 1000
      if (maxResults < 1 || maxResults > 50_000)
        throw bad(`Invalid value ${maxResults} for parameter 'max_results'.`)
      const filter = parseSimpleFilter(typeof body['filter'] === 'string' ? body['filter'] : '')
      const matching = [...runs.values()]
        .filter((r) => ids.map(String).includes(r.info.experiment_id) && r.info.lifecycle_stage === 'active')
        .filter((r) =>
          filter.every(({ entity, key, op, value }) => {
            const actual =
              entity === 'tags'
                ? r.tags.get(key)
                : entity === 'params'
                  ? r.params.get(key)
                  : entity === 'metrics'
                    ? numeric(latest(r.metrics.get(key) ?? [])?.value)
                    : (r.info as unknown as Record<string, string | number | undefined>)[key]
            return actual !== undefined && compare(actual, op, value)
          }),
        )
        .sort((a, b) => b.info.start_time - a.info.start_time || (a.info.run_id < b.info.run_id ? -1 : 1))
      const offset = pageOffset(body['page_token'])
      const page = matching.slice(offset, offset + maxResults)
      return {
        runs: page.map(runJson),
        next_page_token: offset + maxResults < matching.length ? pageToken(offset + maxResults) : undefined,
      }
    },
    'POST runs/log-batch': ({ body }) => {
      const run = activeRun(str(body, 'run_id'))
      const metrics = Array.isArray(body['metrics']) ? (body['metrics'] as Record<string, unknown>[]) : []
      const params = Array.isArray(body['params']) ? (body['params'] as Record<string, unknown>[]) : []
      const tags = Array.isArray(body['tags']) ? (body['tags'] as Record<string, unknown>[]) : []
      for (const [kind, list, limit] of [
        ['metrics', metrics, 1000],
        ['params', params, 100],
        ['tags', tags, 100],
      ] as const) {
        if (list.length > limit) {
          throw bad(
            `A batch logging request can contain at most ${limit} ${kind}. Got ${list.length} ${kind}. ` +
              'Please split up metrics, params, and tags across multiple requests and try again.',
          )
        }
      }
      const total = metrics.length + params.length + tags.length
      if (total > 1000) {
        throw bad(
          `A batch logging request can contain at most 1000 total metrics, params, and tags. Got ${total}. ` +
            'Please split up metrics, params, and tags across multiple requests and try again.',
        )
      }
      const points = metrics.map((m, i) => {
        const key = str(m, 'key')
        if (key === undefined) throw bad(`Missing value for required parameter 'metrics[${i}].key'.`)
        checkKeyName('metric', key)
        if (m['timestamp'] === undefined || m['timestamp'] === null) {
          throw bad(`Missing value for required parameter 'metrics[${i}].timestamp'.`)
        }
        return {
          key,
          value: metricValue(m['value'], `metrics[${i}].value`),
          timestamp: int(m['timestamp'], `metrics[${i}].timestamp`)!,
          step: int(m['step'], `metrics[${i}].step`) ?? 0,
        }
      })
      const newParams = new Map<string, string>()
      for (const [i, p] of params.entries()) {
        const key = str(p, 'key')
        if (key === undefined) throw bad(`Missing value for required parameter 'params[${i}].key'.`)
        checkKeyName('param', key)
        const value = p['value'] === undefined || p['value'] === null ? '' : String(p['value'])
        const old = newParams.get(key) ?? run.params.get(key)
        if (old !== undefined && old !== value) {
          throw bad(
            `Changing param values is not allowed. Param with key='${key}' was already logged with ` +
              `value='${old}' for run ID='${run.info.run_id}'. Attempted logging new value '${value}'.`,
          )
        }
        newParams.set(key, value)
      }
      const newTags = tagList(tags, 'tags')
      for (const key of newTags.keys()) checkKeyName('tag', key)
      for (const [k, v] of newParams) run.params.set(k, v)
      for (const [k, v] of newTags) run.tags.set(k, v)
      for (const point of points) {
        const history = run.metrics.get(point.key) ?? []
        history.push(point)
        run.metrics.set(point.key, history)
      }
      return {}
    },
    'POST runs/set-tag': ({ body }) => {
      const run = activeRun(str(body, 'run_id', false) ?? str(body, 'run_uuid'))
      const key = str(body, 'key')!
      checkKeyName('tag', key)
      run.tags.set(key, str(body, 'value', false) ?? '')
      return {}
    },
    'GET metrics/get-history': ({ query }) => {
      const run = getRun(str(query, 'run_id', false) ?? str(query, 'run_uuid'))
      return { metrics: run.metrics.get(str(query, 'metric_key')!) ?? [] }
    },
    'GET artifacts/list': async ({ query }) => {
      const run = getRun(str(query, 'run_id', false) ?? str(query, 'run_uuid'))
      const path = safePath(query['path'] ?? '')
      const root = run.info.artifact_uri
      if (!root.startsWith('mlflow-artifacts:')) return { root_uri: root }
      const base = safePath(root.replace(/^mlflow-artifacts:\/*/, ''))
      const files = await listStored(base, path)
      return { root_uri: root, files }
    },

    'POST registered-models/create': ({ body }) => {
      const name = str(body, 'name')!
      if (models.has(name)) throw exists(`Registered Model (name=${name}) already exists.`)
      const time = now()
      const model: ModelRecord = {
        name,
        creation_timestamp: time,
        last_updated_timestamp: time,
        description: str(body, 'description', false),
        tags: tagList(body['tags'], 'tags'),
        aliases: new Map(),
      }
      models.set(name, model)
      versions.set(name, new Map())
      return { registered_model: modelJson(model) }
    },
    'GET registered-models/get': ({ query }) => ({
      registered_model: modelJson(getModel(str(query, 'name'))),
    }),
    'POST registered-models/set-tag': ({ body }) => {
      const model = getModel(str(body, 'name'))
      model.tags.set(str(body, 'key')!, str(body, 'value', false) ?? '')
      return {}
    },
    'POST registered-models/alias': ({ body }) => {
      const name = str(body, 'name')!
      const alias = str(body, 'alias')!
      checkAlias(alias)
      const record = getVersion(name, str(body, 'version'))
      getModel(name).aliases.set(alias, record.version)
      return {}
    },
    'GET registered-models/alias': ({ query }) => {
      const name = str(query, 'name')!
      const alias = str(query, 'alias')!
      const version = getModel(name).aliases.get(alias)
      // The real server answers 400, not 404, for an alias that is not set.
      if (version === undefined) throw bad(`Registered model alias ${alias} not found.`)
      return { model_version: versionJson(getVersion(name, version)) }
    },
    'DELETE registered-models/alias': ({ body, query }) => {
      const source = Object.keys(body).length > 0 ? body : query
      const model = getModel(str(source, 'name'))
      model.aliases.delete(str(source, 'alias')!)
      return {}
    },
    'POST registered-models/get-latest-versions': ({ body }) => latestVersions(body),
    'GET registered-models/get-latest-versions': ({ query }) => latestVersions(query),

    'POST model-versions/create': ({ body }) => {
      const name = str(body, 'name')!
      const model = getModel(name)
      const source = str(body, 'source')!
      const runId = str(body, 'run_id', false)
      if (source.split(/[\\/]/).includes('..')) throw bad(`Invalid model version source: '${source}'.`)
      let storage = source
      if (source.startsWith('runs:/')) {
        const match = /^runs:\/+([^/]+)\/?(.*)$/.exec(source)
        const run = getRun(match?.[1])
        storage = match?.[2] ? `${run.info.artifact_uri}/${match[2]}` : run.info.artifact_uri
      } else if (source.startsWith('models:/')) {
        const match = /^models:\/+([^/]+)\/(\d+)$/.exec(source)
        if (match === null) throw bad(`Invalid model version source: '${source}'.`)
        storage = getVersion(match[1], match[2]).storage_location
      } else if (
        !/^(mlflow-artifacts|s3|gs|wasbs|hdfs|dbfs|https?):/i.test(source) ||
        /^file:/i.test(source)
      ) {
        // Local paths are only accepted inside the run's local artifact root; this server has none.
        throw bad(
          `Invalid model version source: '${source}'. To use a local path as a model version source, the run_id ` +
            'request parameter has to be specified and the local path has to be contained within the artifact ' +
            'directory of the run specified by the run_id.',
        )
      }
      if (runId !== undefined) getRun(runId)
      const numbers = versions.get(name)!
      const n = Math.max(0, ...numbers.keys()) + 1
      const time = now()
      const record: VersionRecord = {
        name,
        version: String(n),
        creation_timestamp: time,
        last_updated_timestamp: time,
        current_stage: 'None',
        description: str(body, 'description', false),
        source,
        run_id: runId,
        storage_location: storage,
        tags: tagList(body['tags'], 'tags'),
        gets: 0,
      }
      numbers.set(n, record)
      model.last_updated_timestamp = time
      return { model_version: versionJson(record) }
    },
    'GET model-versions/get': ({ query }) => {
      const record = getVersion(str(query, 'name'), str(query, 'version'))
      record.gets++
      return { model_version: versionJson(record) }
    },
    'GET model-versions/search': ({ query }) => {
      const filter = parseSimpleFilter(query['filter'] ?? '')
      const maxResults = int(query['max_results'], 'max_results') ?? 10_000
      const all = [...versions.values()]
        .flatMap((m) => [...m.values()])
        .filter((v) =>
          filter.every(({ entity, key, op, value }) => {
            const actual =
              entity === 'tags'
                ? v.tags.get(key)
                : key === 'name'
                  ? v.name
                  : key === 'run_id'
                    ? v.run_id
                    : key === 'source_path'
                      ? v.source
                      : key === 'version_number'
                        ? Number(v.version)
                        : undefined
            return actual !== undefined && compare(actual, op, value)
          }),
        )
        .sort((a, b) =>
          a.name === b.name ? Number(b.version) - Number(a.version) : a.name < b.name ? -1 : 1,
        )
      const offset = pageOffset(query['page_token'])
      return {
        model_versions: all.slice(offset, offset + maxResults).map(versionJson),
        next_page_token: offset + maxResults < all.length ? pageToken(offset + maxResults) : undefined,
      }
    },
    'POST model-versions/set-tag': ({ body }) => {
      const record = getVersion(str(body, 'name'), str(body, 'version'))
      record.tags.set(str(body, 'key')!, str(body, 'value', false) ?? '')
      return {}
    },
    'GET model-versions/get-download-uri': ({ query }) => ({
      artifact_uri: getVersion(str(query, 'name'), str(query, 'version')).storage_location,
    }),
    'POST model-versions/transition-stage': ({ body }) => {
      const record = getVersion(str(body, 'name'), str(body, 'version'))
      const stage = STAGES.find((s) => s.toLowerCase() === String(body['stage'] ?? '').toLowerCase())
      if (stage === undefined) throw bad(`Invalid Model Version stage: ${String(body['stage'])}.`)
      const time = now()
      if (body['archive_existing_versions'] === true && (stage === 'Staging' || stage === 'Production')) {
        for (const other of versions.get(record.name)!.values()) {
          if (other !== record && other.current_stage === stage) {
            other.current_stage = 'Archived'
            other.last_updated_timestamp = time
          }
        }
      }
      record.current_stage = stage
      record.last_updated_timestamp = time
      return { model_version: versionJson(record) }
    },
  }

  function latestVersions(source: Record<string, unknown>): unknown {
    const model = getModel(str(source, 'name'))
    const rawStages = source['stages']
    const wanted =
      rawStages === undefined ? undefined : (Array.isArray(rawStages) ? rawStages : [rawStages]).map(String)
    const best = new Map<string, VersionRecord>()
    for (const v of versions.get(model.name)!.values()) {
      if (
        wanted !== undefined &&
        wanted.length > 0 &&
        !wanted.some((s) => s.toLowerCase() === v.current_stage.toLowerCase())
      ) {
        continue
      }
      const current = best.get(v.current_stage)
      if (current === undefined || Number(v.version) > Number(current.version)) best.set(v.current_stage, v)
    }
    return { model_versions: [...best.values()].map(versionJson) }
  }

  // ---- artifacts through the proxy

  const storedPath = (path: string): string => join(artifactsDir, ...path.split('/'))

  async function listStored(base: string, path: string): Promise<unknown[]> {
    const dir = storedPath([base, path].filter((p) => p !== '').join('/'))
    let entries
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch {
      return []
    }
    const out = []
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const rel = [path, entry.name].filter((p) => p !== '').join('/')
      if (entry.isDirectory()) out.push({ path: rel, is_dir: true })
      else out.push({ path: rel, is_dir: false, file_size: (await stat(join(dir, entry.name))).size })
    }
    return out
  }

  async function receiveToFile(
    request: IncomingMessage,
    file: string,
  ): Promise<{ bytes: number; md5: string }> {
    await mkdir(dirname(file), { recursive: true })
    let bytes = 0
    const hash = createHash('md5')
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length
      hash.update(chunk)
    })
    await pipeline(request, createWriteStream(file))
    return { bytes, md5: hash.digest('hex') }
  }

  // ---- plumbing

  const sendJson = (response: ServerResponse, status: number, payload: unknown): void => {
    const text = JSON.stringify(payload, (_key, value: unknown) =>
      // protobuf JSON leaves out unset fields and empty lists
      value === undefined || (Array.isArray(value) && value.length === 0) ? undefined : value,
    )
    response.writeHead(status, { 'Content-Type': 'application/json' })
    response.end(text)
  }

  const sendError = (response: ServerResponse, error: ApiError): void =>
    sendJson(response, error.status, { error_code: error.code, message: error.message })

  const readBody = async (request: IncomingMessage): Promise<Buffer> => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks)
  }

  const userOf = (authorization: string | undefined): { ok: boolean; user: string | undefined } => {
    if (options.token === undefined && options.basic === undefined) return { ok: true, user: undefined }
    if (options.token !== undefined && authorization === `Bearer ${options.token}`)
      return { ok: true, user: 'token' }
    if (options.basic !== undefined && authorization?.startsWith('Basic ')) {
      const [user, ...rest] = Buffer.from(authorization.slice(6), 'base64').toString().split(':')
      if (user === options.basic.username && rest.join(':') === options.basic.password)
        return { ok: true, user }
    }
    return { ok: false, user: undefined }
  }

  async function handle(
    request: IncomingMessage,
    response: ServerResponse,
    record: RecordedRequest,
  ): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake')
    const path = url.pathname
    const method = request.method ?? 'GET'

    for (const rule of injections) {
      if (rule.method !== undefined && rule.method !== method) continue
      if (typeof rule.path === 'string' ? !path.includes(rule.path) : !rule.path.test(path)) continue
      rule.seen++
      if (rule.seen <= (rule.skip ?? 0) || rule.fired >= (rule.times ?? 1)) continue
      rule.fired++
      // Drain what the client sends so it sees our answer, not a reset, unless a reset is the point.
      if (rule.drop) {
        request.socket.destroy()
        return
      }
      await readBody(request)
      response.writeHead(rule.status ?? 500, {
        'Content-Type': rule.contentType ?? 'text/html',
        ...rule.headers,
      })
      response.end(
        rule.body ??
          '<!doctype html><html><title>500 Internal Server Error</title><h1>Internal Server Error</h1></html>',
      )
      return
    }

    if (method === 'GET' && path === '/health') {
      response.writeHead(200, { 'Content-Type': 'text/plain' })
      response.end('OK')
      return
    }
    if (method === 'GET' && path === '/version') {
      response.writeHead(200, { 'Content-Type': 'text/plain' })
      response.end('2.17.2')
      return
    }

    const presigned = /^\/presigned\/([\w-]+)\/(\d+)$/.exec(path)
    if (presigned !== null && method === 'PUT') {
      // Storage behind a presigned URL: its own auth is the signature; a second mechanism is refused.
      if (request.headers.authorization !== undefined || url.searchParams.get('X-Amz-Signature') === null) {
        await readBody(request)
        response.writeHead(400, { 'Content-Type': 'application/xml' })
        response.end(
          '<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>',
        )
        return
      }
      const upload = uploads.get(presigned[1]!)
      const partNumber = Number(presigned[2])
      if (upload === undefined || partNumber < 1 || partNumber > upload.numParts) {
        await readBody(request)
        response.writeHead(404, { 'Content-Type': 'application/xml' })
        response.end('<Error><Code>NoSuchUpload</Code></Error>')
        return
      }
      const file = join(upload.dir, String(partNumber))
      const received = await receiveToFile(request, file)
      record.bytes = received.bytes
      const etag = `"${received.md5}"`
      upload.etags.set(partNumber, etag)
      response.writeHead(200, { ETag: etag })
      response.end()
      return
    }

    const auth = userOf(request.headers.authorization)
    if (!auth.ok) {
      await readBody(request)
      response.writeHead(401, { 'Content-Type': 'text/plain', 'WWW-Authenticate': 'Basic realm="mlflow"' })
      response.end('You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html')
      return
    }
    if (options.forbid?.({ method, path, user: auth.user })) {
      await readBody(request)
      response.writeHead(403, { 'Content-Type': 'text/plain' })
      response.end('Permission denied')
      return
    }

    // URL parsing would quietly resolve `..`; the server sees the path as sent and refuses it.
    const rawPath = (request.url ?? '/').split('?')[0]!
    if (
      rawPath.startsWith('/api/2.0/mlflow-artifacts/') &&
      rawPath.split('/').some((p) => safeDecode(p) === '..')
    ) {
      throw bad('Invalid path')
    }

    const isJsonPost =
      method === 'POST' || (method === 'DELETE' && request.headers['content-length'] !== undefined)
    const contentType = request.headers['content-type'] ?? ''

    const artifactPrefix = '/api/2.0/mlflow-artifacts/artifacts'
    if (path === artifactPrefix && method === 'GET') {
      const dir = safePath(decodeURIComponent(url.searchParams.get('path') ?? ''))
      const listed = (await listStored('', dir)) as { path: string }[]
      // This route names children by basename.
      sendJson(response, 200, { files: listed.map((f) => ({ ...f, path: f.path.split('/').pop() })) })
      return
    }
    if (path.startsWith(`${artifactPrefix}/`)) {
      const artifactPath = safePath(decodeSegments(path.slice(artifactPrefix.length + 1)))
      const file = storedPath(artifactPath)
      if (method === 'PUT') {
        record.bytes = (await receiveToFile(request, file)).bytes
        sendJson(response, 200, {})
        return
      }
      if (method === 'GET') {
        const info = await stat(file).catch(() => undefined)
        if (info === undefined || !info.isFile()) throw missing(`Artifact '${artifactPath}' not found`)
        response.writeHead(200, {
          'Content-Type': 'application/octet-stream',
          'Content-Length': String(info.size),
        })
        await pipeline(createReadStream(file), response)
        return
      }
    }

    const mpu = /^\/api\/2\.0\/mlflow-artifacts\/mpu\/(create|complete|abort)\/(.+)$/.exec(path)
    if (mpu !== null && method === 'POST') {
      const raw = await readBody(request)
      if (!contentType.startsWith('application/json')) throw contentTypeError()
      const body = parseJson(raw)
      const artifactPath = safePath(decodeSegments(mpu[2]!))
      if (mpu[1] === 'create') {
        if (options.multipart === false) {
          throw new ApiError(
            501,
            'NOT_IMPLEMENTED',
            'Multipart upload is not supported for the current artifact repository',
          )
        }
        const numParts = int(body['num_parts'], 'num_parts')
        if (numParts === undefined || numParts < 1)
          throw bad("Missing value for required parameter 'num_parts'.")
        const uploadId = randomUUID()
        const dir = join(partsDir, uploadId)
        await mkdir(dir, { recursive: true })
        uploads.set(uploadId, { path: artifactPath, numParts, dir, etags: new Map() })
        const signature = randomBytes(8).toString('hex')
        sendJson(response, 200, {
          upload_id: uploadId,
          credentials: Array.from({ length: numParts }, (_, i) => ({
            part_number: i + 1,
            url: `${baseUrl}/presigned/${uploadId}/${i + 1}?X-Amz-Signature=${signature}`,
          })),
        })
        return
      }
      const uploadId = str(body, 'upload_id')!
      const upload = uploads.get(uploadId)
      if (upload === undefined || upload.path !== artifactPath) throw missing(`Upload ${uploadId} not found`)
      if (mpu[1] === 'abort') {
        uploads.delete(uploadId)
        await rm(upload.dir, { recursive: true, force: true })
        sendJson(response, 200, {})
        return
      }
      const parts = Array.isArray(body['parts']) ? (body['parts'] as Record<string, unknown>[]) : []
      const numbers = parts.map((p) => Number(p['part_number']))
      const complete = numbers.length === upload.numParts && numbers.every((n, i) => n === i + 1)
      if (!complete) throw bad(`Upload ${uploadId} needs parts 1..${upload.numParts} in order.`)
      for (const p of parts) {
        if (upload.etags.get(Number(p['part_number'])) !== p['etag']) {
          throw bad(`ETag of part ${String(p['part_number'])} does not match what was stored.`)
        }
      }
      const target = storedPath(artifactPath)
      await mkdir(dirname(target), { recursive: true })
      const out = createWriteStream(target)
      for (let n = 1; n <= upload.numParts; n++) {
        for await (const chunk of createReadStream(join(upload.dir, String(n)))) {
          if (!out.write(chunk)) await once(out, 'drain')
        }
      }
      await new Promise<void>((resolve, reject) =>
        out.end((error?: Error | null) => (error ? reject(error) : resolve())),
      )
      uploads.delete(uploadId)
      await rm(upload.dir, { recursive: true, force: true })
      sendJson(response, 200, {})
      return
    }

    const api = /^\/api\/2\.0\/mlflow\/(.+)$/.exec(path)
    const handler = api === null ? undefined : routes[`${method} ${api[1]}`]
    if (handler === undefined) {
      await readBody(request)
      response.writeHead(404, { 'Content-Type': 'text/html' })
      response.end('<!doctype html><title>404 Not Found</title><h1>Not Found</h1>')
      return
    }
    const raw = await readBody(request)
    record.bytes = raw.length
    let body: Record<string, unknown> = {}
    if (isJsonPost) {
      if (!contentType.startsWith('application/json')) throw contentTypeError()
      if (api![1] === 'runs/log-batch' && raw.length > MAX_BATCH_BYTES) {
        throw bad(
          `Batched logging API requests must be at most ${MAX_BATCH_BYTES} bytes, got ${raw.length} bytes.`,
        )
      }
      body = parseJson(raw)
    }
    const query: Query = Object.fromEntries(url.searchParams)
    sendJson(response, 200, await handler({ body, query, rest: api![1]! }))
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://fake')
    const record: RecordedRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      authorization: request.headers.authorization,
      contentType: request.headers['content-type'],
      bytes: 0,
    }
    requests.push(record)
    response.on('finish', () => (record.status = response.statusCode))
    handle(request, response, record).catch(async (error: unknown) => {
      if (response.headersSent) {
        response.destroy()
        return
      }
      if (!request.readableEnded) await readBody(request).catch(() => undefined)
      if (error instanceof ApiError) sendError(response, error)
      else if (error instanceof InvalidJson) {
        // What Flask shows for a body it cannot parse: an HTML page, not MLflow JSON.
        response.writeHead(500, { 'Content-Type': 'text/html' })
        response.end(
          '<!doctype html><html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1><p>The server encountered an internal error.</p></body></html>',
        )
      } else sendError(response, new ApiError(500, 'INTERNAL_ERROR', String(error)))
    })
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url: baseUrl,
    requests,
    inject: (rule) => injections.push({ ...rule, seen: 0, fired: 0 }),
    artifactFile: async (path) => {
      const file = storedPath(
        path
          .split('/')
          .filter((p) => p !== '')
          .join('/'),
      )
      return (await stat(file).catch(() => undefined))?.isFile() ? file : undefined
    },
    openUploads: () => uploads.size,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await rm(workDir, { recursive: true, force: true })
    },
  }
}

class InvalidJson extends Error {}

function contentTypeError(): ApiError {
  return bad("Bad Request. Content-Type must be 'application/json' for this request.")
}

function parseJson(raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) return {}
  try {
    const parsed: unknown = JSON.parse(raw.toString('utf8'))
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidJson()
    return parsed as Record<string, unknown>
  } catch {
    throw new InvalidJson()
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

function decodeSegments(path: string): string {
  return path
    .split('/')
    .map((p) => decodeURIComponent(p))
    .join('/')
}

function latest(points: MetricPoint[]): MetricPoint | undefined {
  let best: MetricPoint | undefined
  for (const p of points) {
    if (best === undefined || p.step > best.step || (p.step === best.step && p.timestamp >= best.timestamp))
      best = p
  }
  return best
}

function numeric(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined
  return typeof value === 'number'
    ? value
    : value === 'NaN'
      ? NaN
      : value === 'Infinity'
        ? Infinity
        : -Infinity
}

interface SimpleClause {
  entity: 'tags' | 'params' | 'metrics' | 'attributes'
  key: string
  op: string
  value: string | number
}

/** Enough of the search grammar for the client's queries: `<entity>.<key> <op> <value>` joined by AND. */
function parseSimpleFilter(filter: string): SimpleClause[] {
  if (filter.trim() === '') return []
  return filter.split(/\s+and\s+/i).map((part) => {
    const match =
      /^\s*(?:(tags|tag|params|param|metrics|metric|attributes|attribute|attr)\.)?(`[^`]+`|"[^"]+"|[\w.:/-]+)\s*(=|!=|>=|<=|>|<|LIKE)\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|-?[\d.]+)\s*$/i.exec(
        part,
      )
    if (match === null) throw bad(`Invalid filter '${filter}'`)
    const rawEntity = (match[1] ?? 'attributes').toLowerCase()
    const entity = rawEntity.startsWith('tag')
      ? 'tags'
      : rawEntity.startsWith('param')
        ? 'params'
        : rawEntity.startsWith('metric')
          ? 'metrics'
          : 'attributes'
    const rawKey = match[2]!
    const key = /^[`"]/.test(rawKey) ? rawKey.slice(1, -1) : rawKey
    const rawValue = match[4]!
    const value = /^['"]/.test(rawValue) ? rawValue.slice(1, -1) : Number(rawValue)
    return { entity, key, op: match[3]!.toUpperCase(), value }
  })
}

function compare(actual: string | number, op: string, expected: string | number): boolean {
  if (op === 'LIKE') {
    const pattern = String(expected)
      .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      .replace(/%/g, '.*')
      .replace(/_/g, '.')
    return new RegExp(`^${pattern}$`).test(String(actual))
  }
  const [a, b] = typeof expected === 'number' ? [Number(actual), expected] : [String(actual), expected]
  switch (op) {
    case '=':
      return a === b
    case '!=':
      return a !== b
    case '>':
      return a > b
    case '>=':
      return a >= b
    case '<':
      return a < b
    case '<=':
      return a <= b
  }
  return false
}

function pageOffset(token: unknown): number {
  if (typeof token !== 'string' || token === '') return 0
  const n = Number(Buffer.from(token, 'base64').toString())
  if (!Number.isInteger(n) || n < 0) throw bad('Invalid page token')
  return n
}

function pageToken(offset: number): string {
  return Buffer.from(String(offset)).toString('base64')
}
