import { randomBytes, randomUUID } from 'node:crypto'
import { appendFile, mkdir, readdir, readFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { basename, joinArtifactPath, normalizeArtifactPath } from './artifact-path.js'
import { downloadTree, uploadDirectory, type ArtifactRepository } from './artifact-repository.js'
import { artifactScheme, parseRunsUri, splitArtifactUri } from './artifact-uri.js'
import { alreadyExists, invalidParameter, MlflowError, notFound } from './errors.js'
import { usableExperiment } from './experiment-lifecycle.js'
import { FileRegistry } from './file-registry.js'
import { keyPath, readKeyFile, readKeyFiles, writeKeyFile } from './file-store-keys.js'
import { LocalArtifactRepository } from './local-artifacts.js'
import { exists, isMissing } from './fs-checks.js'
import { optionalNumber, readMetaYaml, writeMetaYaml } from './meta-yaml.js'
import { metricValueFromFile, metricValueToFile } from './metric-value.js'
import {
  checkExperimentId,
  checkKey,
  checkParamValue,
  checkRunId,
  EXPERIMENT_ID,
  RESERVED_FOLDERS,
  RUN_ID,
} from './name-rules.js'
import { createS3Client, S3ArtifactRepository, type S3Options } from './s3-artifacts.js'
import { compareBy, matchesFilter, parseFilter, parseOrderBy, type Searchable } from './search-filter.js'
import type { TrackingStore } from './tracking-store.js'
import { walkFiles } from './walk-files.js'
import type {
  CreateModelVersionInput,
  CreateRunInput,
  Experiment,
  FileInfo,
  LogBatchInput,
  Metric,
  ModelVersion,
  RegisteredModel,
  Run,
  RunInfo,
  RunStatus,
  SearchModelVersionsInput,
  SearchRunsInput,
  UpdateRunInput,
  WaitOptions,
} from './types.js'

/** How meta.yaml stores run status. */
export const RUN_STATUS_CODES: Record<RunStatus, number> = {
  RUNNING: 1,
  SCHEDULED: 2,
  FINISHED: 3,
  FAILED: 4,
  KILLED: 5,
}

const STATUS_BY_CODE = new Map(
  Object.entries(RUN_STATUS_CODES).map(([name, code]) => [code, name as RunStatus]),
)

export interface FileStoreOptions {
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number
  /** For artifact roots or model sources on s3://. */
  s3?: S3Options
}

/**
 * MLflow's on-disk tracking store (`./mlruns`), written so that `mlflow ui` and `mlflow server
 * --backend-store-uri ./mlruns` read it as their own. The embedded default when no server is configured.
 */
export class FileStore implements TrackingStore {
  readonly root: string
  private readonly now: () => number
  private readonly s3: S3Options
  private readonly registry: FileRegistry
  private readonly runExperiments = new Map<string, string>()

  private constructor(root: string, options: FileStoreOptions) {
    this.root = root
    this.now = options.now ?? Date.now
    this.s3 = { ...options.s3 }
    this.registry = new FileRegistry(join(root, 'models'), this.now, (runId) => this.getRun(runId))
  }

  /** Opens (creating when needed) a store; like MLflow, a new store starts with experiment 0 "Default". */
  static async open(root = 'mlruns', options: FileStoreOptions = {}): Promise<FileStore> {
    const store = new FileStore(resolve(root), options)
    await mkdir(join(store.root, '.trash'), { recursive: true })
    const defaultMeta = join(store.root, '0', 'meta.yaml')
    if (!(await exists(defaultMeta))) await store.writeExperiment('0', 'Default')
    return store
  }

  get location(): string {
    return this.root
  }

  // ---- experiments

  private async writeExperiment(experimentId: string, name: string): Promise<void> {
    const dir = join(this.root, experimentId)
    await mkdir(dir, { recursive: true })
    const time = this.now()
    await writeMetaYaml(join(dir, 'meta.yaml'), {
      artifact_location: pathToFileURL(dir).href,
      creation_time: time,
      experiment_id: experimentId,
      last_update_time: time,
      lifecycle_stage: 'active',
      name,
    })
  }

  private async experimentIds(): Promise<string[]> {
    const entries = await readdir(this.root, { withFileTypes: true })
    const ids: string[] = []
    for (const entry of entries) {
      if (!entry.isDirectory() || !EXPERIMENT_ID.test(entry.name) || RESERVED_FOLDERS.has(entry.name))
        continue
      if (await exists(join(this.root, entry.name, 'meta.yaml'))) ids.push(entry.name)
    }
    return ids
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    checkExperimentId(experimentId)
    const dir = join(this.root, experimentId)
    let meta: Record<string, unknown>
    try {
      meta = await readMetaYaml(join(dir, 'meta.yaml'))
    } catch (error) {
      if (isMissing(error))
        throw notFound(`Could not find experiment with ID ${experimentId} in ${this.root}.`)
      throw error
    }
    return {
      experimentId: String(meta['experiment_id'] ?? experimentId),
      name: String(meta['name'] ?? ''),
      artifactLocation: String(meta['artifact_location'] ?? pathToFileURL(dir).href),
      lifecycleStage: String(meta['lifecycle_stage'] ?? 'active'),
      creationTime: optionalNumber(meta['creation_time']),
      lastUpdateTime: optionalNumber(meta['last_update_time']),
      tags: await readKeyFiles(join(dir, 'tags')),
    }
  }

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    for (const id of await this.experimentIds()) {
      const experiment = await this.getExperiment(id)
      if (experiment.name === name) return experiment
    }
    return undefined
  }

  async getOrCreateExperiment(name: string, tags?: Record<string, string>): Promise<Experiment> {
    const existing = await this.getExperimentByName(name)
    if (existing !== undefined) return usableExperiment(existing)
    return this.createExperiment(name, tags)
  }

  async createExperiment(name: string, tags?: Record<string, string>): Promise<Experiment> {
    if (name.trim() === '') throw invalidParameter('Invalid experiment name: it may not be empty.')
    if ((await this.getExperimentByName(name)) !== undefined) {
      throw alreadyExists(`Experiment '${name}' already exists.`)
    }
    let experimentId: string
    do {
      // FileStore ids are large random integers, so two machines writing one store rarely collide.
      experimentId = (randomBytes(8).readBigUInt64BE() & 0x7fffffffffffffffn).toString()
    } while (await exists(join(this.root, experimentId)))
    await this.writeExperiment(experimentId, name)
    for (const [key, value] of Object.entries(tags ?? {}))
      await this.setExperimentTag(experimentId, key, value)
    return this.getExperiment(experimentId)
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    checkKey('tag', key)
    await this.getExperiment(experimentId)
    await writeKeyFile(join(this.root, experimentId, 'tags'), key, value)
  }

  // ---- runs

  private async runDir(runId: string): Promise<string> {
    checkRunId(runId)
    const cached = this.runExperiments.get(runId)
    if (cached !== undefined) return join(this.root, cached, runId)
    for (const experimentId of await this.experimentIds()) {
      if (await exists(join(this.root, experimentId, runId, 'meta.yaml'))) {
        this.runExperiments.set(runId, experimentId)
        return join(this.root, experimentId, runId)
      }
    }
    throw notFound(`Run '${runId}' not found in ${this.root}.`)
  }

  async createRun(input: CreateRunInput): Promise<Run> {
    const experiment = usableExperiment(await this.getExperiment(input.experimentId))
    const runId = randomUUID().replace(/-/g, '')
    const runName = input.runName ?? `run-${runId.slice(0, 8)}`
    const userId = input.userId ?? 'unknown'
    const tags = {
      ...input.tags,
      'mlflow.runName': runName,
      'mlflow.user': input.tags?.['mlflow.user'] ?? userId,
    }
    for (const key of Object.keys(tags)) checkKey('tag', key)
    const dir = join(this.root, experiment.experimentId, runId)
    for (const sub of ['metrics', 'params', 'tags', 'artifacts'])
      await mkdir(join(dir, sub), { recursive: true })
    await writeMetaYaml(join(dir, 'meta.yaml'), {
      artifact_uri: `${experiment.artifactLocation.replace(/\/+$/, '')}/${runId}/artifacts`,
      end_time: null,
      experiment_id: experiment.experimentId,
      lifecycle_stage: 'active',
      run_id: runId,
      run_name: runName,
      run_uuid: runId,
      start_time: input.startTime ?? this.now(),
      status: RUN_STATUS_CODES.RUNNING,
      user_id: userId,
    })
    this.runExperiments.set(runId, experiment.experimentId)
    for (const [key, value] of Object.entries(tags)) await writeKeyFile(join(dir, 'tags'), key, value)
    return this.getRun(runId)
  }

  private async readRunInfo(dir: string): Promise<RunInfo> {
    const meta = await readMetaYaml(join(dir, 'meta.yaml'))
    const statusCode = Number(meta['status'])
    return {
      runId: String(meta['run_id'] ?? meta['run_uuid'] ?? basename(dir)),
      runName: String(meta['run_name'] ?? ''),
      experimentId: String(meta['experiment_id'] ?? ''),
      userId: String(meta['user_id'] ?? ''),
      status: STATUS_BY_CODE.get(statusCode) ?? 'RUNNING',
      startTime: Number(meta['start_time'] ?? 0),
      endTime: optionalNumber(meta['end_time']),
      artifactUri: String(meta['artifact_uri'] ?? pathToFileURL(join(dir, 'artifacts')).href),
      lifecycleStage: String(meta['lifecycle_stage'] ?? 'active'),
    }
  }

  async updateRun(runId: string, input: UpdateRunInput): Promise<RunInfo> {
    const dir = await this.runDir(runId)
    const metaPath = join(dir, 'meta.yaml')
    const meta = await readMetaYaml(metaPath)
    const code = RUN_STATUS_CODES[input.status]
    if (code === undefined) throw invalidParameter(`Invalid run status '${input.status}'.`)
    meta['status'] = code
    meta['end_time'] = input.endTime ?? (input.status === 'RUNNING' ? (meta['end_time'] ?? null) : this.now())
    if (input.runName !== undefined) {
      meta['run_name'] = input.runName
      await writeKeyFile(join(dir, 'tags'), 'mlflow.runName', input.runName)
    }
    await writeMetaYaml(metaPath, meta)
    return this.readRunInfo(dir)
  }

  async getRun(runId: string): Promise<Run> {
    const dir = await this.runDir(runId)
    return this.readRun(dir)
  }

  private async readRun(dir: string): Promise<Run> {
    const metrics: Record<string, Metric> = {}
    for (const key of await walkFiles(join(dir, 'metrics'))) {
      const history = await readMetricFile(join(dir, 'metrics'), key)
      const latest = latestMetric(history)
      if (latest !== undefined) metrics[key] = latest
    }
    return {
      info: await this.readRunInfo(dir),
      data: {
        metrics,
        params: await readKeyFiles(join(dir, 'params')),
        tags: await readKeyFiles(join(dir, 'tags')),
      },
    }
  }

  async searchRuns(input: SearchRunsInput): Promise<Run[]> {
    const clauses = parseFilter(input.filter)
    const order = parseOrderBy(input.orderBy)
    const found: { run: Run; view: Searchable }[] = []
    for (const experimentId of input.experimentIds) {
      checkExperimentId(experimentId)
      const expDir = join(this.root, experimentId)
      let entries
      try {
        entries = await readdir(expDir, { withFileTypes: true })
      } catch (error) {
        if (isMissing(error))
          throw notFound(`Could not find experiment with ID ${experimentId} in ${this.root}.`)
        throw error
      }
      for (const entry of entries) {
        if (!entry.isDirectory() || !RUN_ID.test(entry.name) || RESERVED_FOLDERS.has(entry.name)) continue
        if (!(await exists(join(expDir, entry.name, 'meta.yaml')))) continue
        const run = await this.readRun(join(expDir, entry.name))
        if (run.info.lifecycleStage !== 'active') continue
        const view = searchableRun(run)
        if (matchesFilter(view, clauses)) found.push({ run, view })
      }
    }
    const defaultOrder = parseOrderBy(['attributes.start_time DESC', 'attributes.run_id ASC'])
    found.sort((a, b) => compareBy([...order, ...defaultOrder], a.view, b.view))
    return found.slice(0, input.maxResults ?? 1000).map((f) => f.run)
  }

  async logBatch(runId: string, batch: LogBatchInput): Promise<void> {
    const dir = await this.runDir(runId)
    await this.checkActive(dir, runId)
    const params = batch.params ?? []
    const tags = batch.tags ?? []
    const metrics = batch.metrics ?? []
    // Validate everything first, so a bad entry does not leave half a batch behind.
    for (const { key, value } of params) {
      checkKey('param', key)
      checkParamValue(key, value)
    }
    for (const { key } of tags) checkKey('tag', key)
    for (const { key, value } of metrics) {
      checkKey('metric', key)
      if (typeof value !== 'number') throw invalidParameter(`Metric '${key}' has a non-numeric value.`)
    }
    const logged = new Map<string, string>()
    for (const { key, value } of params) {
      const previous = logged.get(key) ?? (await readKeyFile(join(dir, 'params'), key))
      if (previous !== undefined && previous !== value) {
        // The server's wording, so users see one message whichever store they use.
        throw invalidParameter(
          `Changing param values is not allowed. Param with key='${key}' was already logged with ` +
            `value='${previous}' for run ID='${runId}'. Attempted logging new value '${value}'.`,
        )
      }
      logged.set(key, value)
    }
    for (const [key, value] of logged) await writeKeyFile(join(dir, 'params'), key, value)
    for (const { key, value } of tags) await writeKeyFile(join(dir, 'tags'), key, value)
    const timestamp = this.now()
    const lines = new Map<string, string>()
    for (const metric of metrics) {
      const line = `${Math.trunc(metric.timestamp ?? timestamp)} ${metricValueToFile(metric.value)} ${Math.trunc(metric.step ?? 0)}\n`
      lines.set(metric.key, (lines.get(metric.key) ?? '') + line)
    }
    for (const [key, text] of lines) {
      const path = keyPath(join(dir, 'metrics'), key)
      await mkdir(dirname(path), { recursive: true })
      await appendFile(path, text)
    }
  }

  private async checkActive(dir: string, runId: string): Promise<void> {
    const info = await this.readRunInfo(dir)
    if (info.lifecycleStage !== 'active') {
      throw invalidParameter(
        `The run ${runId} must be in the 'active' state. Current state is ${info.lifecycleStage}.`,
      )
    }
  }

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    checkKey('metric', key)
    const dir = await this.runDir(runId)
    return readMetricFile(join(dir, 'metrics'), key)
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    checkKey('tag', key)
    const dir = await this.runDir(runId)
    await this.checkActive(dir, runId)
    await writeKeyFile(join(dir, 'tags'), key, value)
    if (key === 'mlflow.runName') {
      const meta = await readMetaYaml(join(dir, 'meta.yaml'))
      meta['run_name'] = value
      await writeMetaYaml(join(dir, 'meta.yaml'), meta)
    }
  }

  // ---- artifacts

  private repositoryFor(rootUri: string): ArtifactRepository {
    switch (artifactScheme(rootUri)) {
      case 'file':
        return new LocalArtifactRepository(rootUri)
      case 's3':
        this.s3.client ??= createS3Client(this.s3)
        return new S3ArtifactRepository(rootUri, this.s3)
      default:
        throw new MlflowError(
          `Artifact location ${rootUri} needs an MLflow server to reach it: set MLFLOW_TRACKING_URI to the ` +
            'server that stores it.',
          { errorCode: 'INVALID_CONFIGURATION' },
        )
    }
  }

  private async runRepository(runId: string): Promise<ArtifactRepository> {
    const info = await this.readRunInfo(await this.runDir(runId))
    return this.repositoryFor(info.artifactUri)
  }

  async uploadArtifact(runId: string, localFile: string, artifactPath?: string): Promise<void> {
    const repo = await this.runRepository(runId)
    const name = localFile.split(/[\\/]/).pop() ?? localFile
    await repo.uploadFile(localFile, joinArtifactPath(artifactPath, name))
  }

  async uploadArtifacts(runId: string, localDir: string, artifactPath?: string): Promise<void> {
    const repo = await this.runRepository(runId)
    await uploadDirectory(repo, localDir, normalizeArtifactPath(artifactPath))
  }

  async listArtifacts(runId: string, path?: string): Promise<FileInfo[]> {
    const repo = await this.runRepository(runId)
    return repo.list(normalizeArtifactPath(path))
  }

  async downloadArtifacts(runId: string, path: string, destDir: string): Promise<string> {
    const repo = await this.runRepository(runId)
    return downloadTree(repo, normalizeArtifactPath(path), destDir)
  }

  async downloadArtifactUri(uri: string, destDir: string): Promise<string> {
    if (artifactScheme(uri) === 'runs') {
      const { runId, path } = parseRunsUri(uri)
      return this.downloadArtifacts(runId, path, destDir)
    }
    const { root, path } = splitArtifactUri(uri)
    return downloadTree(this.repositoryFor(root), path, destDir)
  }

  // ---- registry (mlruns/models)

  getRegisteredModel(name: string): Promise<RegisteredModel> {
    return this.registry.getRegisteredModel(name)
  }

  getOrCreateRegisteredModel(name: string, description?: string): Promise<RegisteredModel> {
    return this.registry.getOrCreateRegisteredModel(name, description)
  }

  setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    return this.registry.setRegisteredModelTag(name, key, value)
  }

  /** Local registration copies nothing, so the version is READY at once. */
  createModelVersion(input: CreateModelVersionInput, _wait?: WaitOptions): Promise<ModelVersion> {
    return this.registry.createModelVersion(input)
  }

  async waitForModelVersion(name: string, version: string, _wait?: WaitOptions): Promise<ModelVersion> {
    return this.registry.getModelVersion(name, version)
  }

  getModelVersion(name: string, version: string): Promise<ModelVersion> {
    return this.registry.getModelVersion(name, version)
  }

  searchModelVersions(input: SearchModelVersionsInput): Promise<ModelVersion[]> {
    return this.registry.searchModelVersions(input)
  }

  setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    return this.registry.setModelVersionTag(name, version, key, value)
  }

  getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    return this.registry.getModelVersionDownloadUri(name, version)
  }

  setAlias(name: string, alias: string, version: string): Promise<void> {
    return this.registry.setAlias(name, alias, version)
  }

  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return this.registry.getModelVersionByAlias(name, alias)
  }

  deleteAlias(name: string, alias: string): Promise<void> {
    return this.registry.deleteAlias(name, alias)
  }

  transitionModelVersionStage(
    name: string,
    version: string,
    stage: string,
    archiveExistingVersions = false,
  ): Promise<ModelVersion> {
    return this.registry.transitionModelVersionStage(name, version, stage, archiveExistingVersions)
  }

  getLatestVersions(name: string, stages?: string[]): Promise<ModelVersion[]> {
    return this.registry.getLatestVersions(name, stages)
  }
}

/** One point per line, "<timestamp_ms> <value> <step>"; files from old MLflow versions lack the step. */
export async function readMetricFile(metricsDir: string, key: string): Promise<Metric[]> {
  let text: string
  try {
    text = await readFile(keyPath(metricsDir, key), 'utf8')
  } catch (error) {
    if (isMissing(error)) return []
    throw error
  }
  const points: Metric[] = []
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/)
    if (fields.length < 2 || fields[0] === '') continue
    points.push({
      key,
      timestamp: Number(fields[0]),
      value: metricValueFromFile(fields[1]!),
      step: fields[2] === undefined ? 0 : Number(fields[2]),
    })
  }
  return points
}

/** MLflow's "latest": highest step, then latest timestamp; among equals the last logged. */
function latestMetric(points: Metric[]): Metric | undefined {
  let best: Metric | undefined
  for (const point of points) {
    if (
      best === undefined ||
      point.step > best.step ||
      (point.step === best.step && point.timestamp >= best.timestamp)
    ) {
      best = point
    }
  }
  return best
}

function searchableRun(run: Run): Searchable {
  const attributes: Record<string, string | number | undefined> = {
    run_id: run.info.runId,
    run_name: run.info.runName,
    status: run.info.status,
    user_id: run.info.userId,
    start_time: run.info.startTime,
    end_time: run.info.endTime,
    artifact_uri: run.info.artifactUri,
    lifecycle_stage: run.info.lifecycleStage,
  }
  return {
    attribute: (key) => attributes[key === 'run name' ? 'run_name' : key],
    metric: (key) => run.data.metrics[key]?.value,
    param: (key) => run.data.params[key],
    tag: (key) => run.data.tags[key],
  }
}
