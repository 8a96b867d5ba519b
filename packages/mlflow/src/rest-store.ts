import { joinArtifactPath, normalizeArtifactPath } from './artifact-path.js'
import { downloadTree, uploadDirectory, type ArtifactRepository } from './artifact-repository.js'
import { artifactScheme, parseRunsUri, splitArtifactUri } from './artifact-uri.js'
import {
  hasErrorCode,
  invalidParameter,
  MlflowError,
  RESOURCE_ALREADY_EXISTS,
  RESOURCE_DOES_NOT_EXIST,
} from './errors.js'
import { usableExperiment } from './experiment-lifecycle.js'
import { LocalArtifactRepository } from './local-artifacts.js'
import { LOG_BATCH_LIMITS, splitLogBatch, type LogBatchLimits } from './log-batch.js'
import { waitUntilReady, type PollOptions } from './model-version-wait.js'
import { ProxyArtifactRepository, type MultipartOptions } from './proxy-artifacts.js'
import { RestClient, type RestClientOptions } from './rest-client.js'
import {
  experimentFromWire,
  fileInfoFromWire,
  metricFromWire,
  modelVersionFromWire,
  registeredModelFromWire,
  runFromWire,
  runInfoFromWire,
  tagsToWire,
} from './rest-wire.js'
import { DEFAULT_RETRY_POLICY } from './retry.js'
import { createS3Client, S3ArtifactRepository, type S3Options } from './s3-artifacts.js'
import type { TrackingStore } from './tracking-store.js'
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
  SearchModelVersionsInput,
  SearchRunsInput,
  UpdateRunInput,
  WaitOptions,
} from './types.js'

export interface RestStoreOptions extends RestClientOptions {
  /** For runs whose artifact root is s3://. */
  s3?: S3Options | undefined
  multipart?: Partial<MultipartOptions> | undefined
  logBatchLimits?: LogBatchLimits | undefined
  /** Waiting for a new model version to become READY. */
  poll?: Partial<PollOptions> | undefined
}

const PAGE_SIZE = 1000

/** The TrackingStore of an MLflow tracking server, over its REST API. */
export class RestStore implements TrackingStore {
  readonly client: RestClient
  private readonly options: RestStoreOptions
  private readonly artifactRoots = new Map<string, string>()
  private s3: S3Options | undefined

  constructor(options: RestStoreOptions) {
    this.client = new RestClient(options)
    this.options = options
  }

  get location(): string {
    return this.client.trackingUri
  }

  // ---- experiments

  async getExperiment(experimentId: string): Promise<Experiment> {
    const answer = await this.client.call(
      'GET',
      'experiments/get',
      { experiment_id: experimentId },
      { action: `get experiment '${experimentId}'`, subject: `experiment '${experimentId}'` },
    )
    return experimentFromWire(answer['experiment'])
  }

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    try {
      const answer = await this.client.call(
        'GET',
        'experiments/get-by-name',
        { experiment_name: name },
        { action: `look up experiment '${name}'`, subject: `experiment '${name}'` },
      )
      return experimentFromWire(answer['experiment'])
    } catch (error) {
      if (hasErrorCode(error, RESOURCE_DOES_NOT_EXIST)) return undefined
      throw error
    }
  }

  async getOrCreateExperiment(name: string, tags?: Record<string, string>): Promise<Experiment> {
    const existing = await this.getExperimentByName(name)
    if (existing !== undefined) return usableExperiment(existing)
    let experimentId: string
    try {
      const answer = await this.client.call(
        'POST',
        'experiments/create',
        { name, tags: tagsToWire(tags) },
        { action: `create experiment '${name}'` },
      )
      experimentId = String(answer['experiment_id'])
    } catch (error) {
      // Someone (a parallel job, a retried request) created it meanwhile: use theirs.
      if (!hasErrorCode(error, RESOURCE_ALREADY_EXISTS)) throw error
      const raced = await this.getExperimentByName(name)
      if (raced === undefined) throw error
      return usableExperiment(raced)
    }
    return this.getExperiment(experimentId)
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    await this.client.call(
      'POST',
      'experiments/set-experiment-tag',
      { experiment_id: experimentId, key, value },
      { action: `tag experiment '${experimentId}'`, subject: `experiment '${experimentId}'` },
    )
  }

  // ---- runs

  async createRun(input: CreateRunInput): Promise<Run> {
    // 'unknown' is what MLflow's own client records when it cannot tell who is running.
    const userId = input.userId ?? 'unknown'
    const tags = { ...input.tags }
    tags['mlflow.user'] ??= userId
    const answer = await this.client.call(
      'POST',
      'runs/create',
      {
        experiment_id: input.experimentId,
        run_name: input.runName,
        start_time: input.startTime ?? Date.now(),
        // The server does not derive user_id from the mlflow.user tag: both are sent.
        user_id: userId,
        tags: tagsToWire(tags),
      },
      {
        action: `create a run in experiment '${input.experimentId}'`,
        subject: `experiment '${input.experimentId}'`,
      },
    )
    const run = runFromWire(answer['run'])
    this.artifactRoots.set(run.info.runId, run.info.artifactUri)
    return run
  }

  async updateRun(runId: string, input: UpdateRunInput): Promise<RunInfo> {
    const answer = await this.client.call(
      'POST',
      'runs/update',
      {
        run_id: runId,
        // Servers before 1.x's run_id rename still read run_uuid.
        run_uuid: runId,
        status: input.status,
        end_time: input.endTime ?? (input.status === 'RUNNING' ? undefined : Date.now()),
        run_name: input.runName,
      },
      { action: `update run '${runId}'`, subject: `run '${runId}'` },
    )
    return runInfoFromWire(answer['run_info'])
  }

  async getRun(runId: string): Promise<Run> {
    const answer = await this.client.call(
      'GET',
      'runs/get',
      { run_id: runId },
      { action: `get run '${runId}'`, subject: `run '${runId}'` },
    )
    const run = runFromWire(answer['run'])
    this.artifactRoots.set(run.info.runId, run.info.artifactUri)
    return run
  }

  async searchRuns(input: SearchRunsInput): Promise<Run[]> {
    const wanted = input.maxResults ?? PAGE_SIZE
    const runs: Run[] = []
    let pageToken: string | undefined
    do {
      const answer = await this.client.call(
        'POST',
        'runs/search',
        {
          experiment_ids: input.experimentIds,
          filter: input.filter,
          order_by: input.orderBy,
          max_results: Math.min(PAGE_SIZE, wanted - runs.length),
          page_token: pageToken,
        },
        { action: `search runs in experiments ${input.experimentIds.join(', ')}` },
      )
      for (const raw of asList(answer['runs'])) runs.push(runFromWire(raw))
      pageToken = nonEmpty(answer['next_page_token'])
    } while (pageToken !== undefined && runs.length < wanted)
    return runs.slice(0, wanted)
  }

  async logBatch(runId: string, batch: LogBatchInput): Promise<void> {
    const requests = splitLogBatch(runId, batch, this.options.logBatchLimits ?? LOG_BATCH_LIMITS)
    for (const [index, request] of requests.entries()) {
      await this.client.call(
        'POST',
        'runs/log-batch',
        { run_id: runId, ...request },
        {
          action:
            requests.length === 1
              ? `log metrics, params and tags to run '${runId}'`
              : `log batch ${index + 1} of ${requests.length} to run '${runId}'`,
          subject: `run '${runId}'`,
        },
      )
    }
  }

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    const metrics: Metric[] = []
    let pageToken: string | undefined
    do {
      const answer = await this.client.call(
        'GET',
        'metrics/get-history',
        { run_id: runId, metric_key: key, page_token: pageToken },
        { action: `get the history of metric '${key}' of run '${runId}'`, subject: `run '${runId}'` },
      )
      for (const raw of asList(answer['metrics'])) metrics.push(metricFromWire(raw))
      pageToken = nonEmpty(answer['next_page_token'])
    } while (pageToken !== undefined)
    return metrics
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.client.call(
      'POST',
      'runs/set-tag',
      { run_id: runId, run_uuid: runId, key, value },
      { action: `tag run '${runId}'`, subject: `run '${runId}'` },
    )
  }

  // ---- artifacts

  /** The transport for an artifact root: the server's proxy, S3 directly, or a local folder. */
  repositoryFor(rootUri: string): ArtifactRepository {
    switch (artifactScheme(rootUri)) {
      case 'mlflow-artifacts':
        return new ProxyArtifactRepository(this.client, rootUri, this.multipartOptions())
      case 's3':
        return new S3ArtifactRepository(rootUri, this.s3Options())
      case 'file':
        return new LocalArtifactRepository(rootUri)
      default:
        throw new MlflowError(
          `Artifact location ${rootUri} is not supported here: use a server that serves artifacts ` +
            '(mlflow server --serve-artifacts), an s3:// artifact root, or a local folder.',
          { errorCode: 'INVALID_CONFIGURATION' },
        )
    }
  }

  /** One S3 client per store, made on first use: most runs never touch S3. */
  private s3Options(): S3Options {
    this.s3 ??= {
      ...this.options.s3,
      client: this.options.s3?.client ?? createS3Client(this.options.s3 ?? {}),
    }
    return this.s3
  }

  private multipartOptions(): Partial<MultipartOptions> {
    return this.options.multipart ?? {}
  }

  private async runRepository(runId: string): Promise<ArtifactRepository> {
    let root = this.artifactRoots.get(runId)
    if (root === undefined) root = (await this.getRun(runId)).info.artifactUri
    return this.repositoryFor(root)
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
    const files: FileInfo[] = []
    let pageToken: string | undefined
    const dir = normalizeArtifactPath(path)
    do {
      const answer = await this.client.call(
        'GET',
        'artifacts/list',
        { run_id: runId, path: dir === '' ? undefined : dir, page_token: pageToken },
        { action: `list artifacts of run '${runId}'`, subject: `run '${runId}'` },
      )
      for (const raw of asList(answer['files'])) files.push(fileInfoFromWire(raw))
      pageToken = nonEmpty(answer['next_page_token'])
    } while (pageToken !== undefined)
    return files
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

  // ---- registry

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    const answer = await this.client.call(
      'GET',
      'registered-models/get',
      { name },
      { action: `get registered model '${name}'`, subject: `registered model '${name}'` },
    )
    return registeredModelFromWire(answer['registered_model'])
  }

  async getOrCreateRegisteredModel(name: string, description?: string): Promise<RegisteredModel> {
    try {
      return await this.getRegisteredModel(name)
    } catch (error) {
      if (!hasErrorCode(error, RESOURCE_DOES_NOT_EXIST)) throw error
    }
    try {
      const answer = await this.client.call(
        'POST',
        'registered-models/create',
        { name, description },
        { action: `create registered model '${name}'` },
      )
      return registeredModelFromWire(answer['registered_model'])
    } catch (error) {
      if (hasErrorCode(error, RESOURCE_ALREADY_EXISTS)) return this.getRegisteredModel(name)
      throw error
    }
  }

  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    await this.client.call(
      'POST',
      'registered-models/set-tag',
      { name, key, value },
      { action: `tag registered model '${name}'`, subject: `registered model '${name}'` },
    )
  }

  async createModelVersion(input: CreateModelVersionInput, wait?: WaitOptions): Promise<ModelVersion> {
    if (input.source.split(/[\\/]/).includes('..')) {
      throw invalidParameter(`Invalid model version source '${input.source}': it may not contain '..'.`)
    }
    const answer = await this.client.call(
      'POST',
      'model-versions/create',
      {
        name: input.name,
        source: input.source,
        run_id: input.runId,
        description: input.description,
        tags: tagsToWire(input.tags),
      },
      {
        action: `register a version of model '${input.name}' from ${input.source}`,
        subject: `registered model '${input.name}' or run '${input.runId ?? ''}'`,
      },
    )
    const created = modelVersionFromWire(answer['model_version'])
    return this.wait(created.name, created.version, created, wait)
  }

  async waitForModelVersion(name: string, version: string, wait?: WaitOptions): Promise<ModelVersion> {
    return this.wait(name, version, undefined, wait)
  }

  private wait(
    name: string,
    version: string,
    first: ModelVersion | undefined,
    wait: WaitOptions | undefined,
  ): Promise<ModelVersion> {
    const poll = this.options.poll ?? {}
    return waitUntilReady(() => this.getModelVersion(name, version), first, {
      timeoutMs: wait?.timeoutMs ?? poll.timeoutMs ?? 300_000,
      intervalMs: poll.intervalMs ?? 500,
      maxIntervalMs: poll.maxIntervalMs ?? 5_000,
      sleep: poll.sleep ?? this.options.retry?.sleep ?? DEFAULT_RETRY_POLICY.sleep,
      now: poll.now ?? Date.now,
    })
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    const answer = await this.client.call(
      'GET',
      'model-versions/get',
      { name, version },
      {
        action: `get version ${version} of model '${name}'`,
        subject: `version ${version} of model '${name}'`,
      },
    )
    return modelVersionFromWire(answer['model_version'])
  }

  async searchModelVersions(input: SearchModelVersionsInput): Promise<ModelVersion[]> {
    const wanted = input.maxResults ?? 10_000
    const versions: ModelVersion[] = []
    let pageToken: string | undefined
    do {
      const answer = await this.client.call(
        'GET',
        'model-versions/search',
        {
          filter: input.filter,
          max_results: Math.min(PAGE_SIZE, wanted - versions.length),
          page_token: pageToken,
        },
        { action: `search model versions${input.filter ? ` matching ${input.filter}` : ''}` },
      )
      for (const raw of asList(answer['model_versions'])) versions.push(modelVersionFromWire(raw))
      pageToken = nonEmpty(answer['next_page_token'])
    } while (pageToken !== undefined && versions.length < wanted)
    return versions.slice(0, wanted)
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.client.call(
      'POST',
      'model-versions/set-tag',
      { name, version, key, value },
      {
        action: `tag version ${version} of model '${name}'`,
        subject: `version ${version} of model '${name}'`,
      },
    )
  }

  async getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    const answer = await this.client.call(
      'GET',
      'model-versions/get-download-uri',
      { name, version },
      {
        action: `get where version ${version} of model '${name}' is stored`,
        subject: `version ${version} of model '${name}'`,
      },
    )
    return String(answer['artifact_uri'] ?? '')
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.client.call(
      'POST',
      'registered-models/alias',
      { name, alias, version },
      {
        action: `point alias '${alias}' of model '${name}' at version ${version}`,
        subject: `version ${version} of model '${name}'`,
      },
    )
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    const answer = await this.client.call(
      'GET',
      'registered-models/alias',
      { name, alias },
      { action: `resolve alias '${alias}' of model '${name}'`, subject: `registered model '${name}'` },
    )
    return modelVersionFromWire(answer['model_version'])
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.client.call(
      'DELETE',
      'registered-models/alias',
      { name, alias },
      { action: `delete alias '${alias}' of model '${name}'`, subject: `registered model '${name}'` },
    )
  }

  async transitionModelVersionStage(
    name: string,
    version: string,
    stage: string,
    archiveExistingVersions = false,
  ): Promise<ModelVersion> {
    const answer = await this.client.call(
      'POST',
      'model-versions/transition-stage',
      { name, version, stage, archive_existing_versions: archiveExistingVersions },
      {
        action: `move version ${version} of model '${name}' to stage ${stage}`,
        subject: `version ${version} of model '${name}'`,
      },
    )
    return modelVersionFromWire(answer['model_version'])
  }

  async getLatestVersions(name: string, stages?: string[]): Promise<ModelVersion[]> {
    const answer = await this.client.call(
      'POST',
      'registered-models/get-latest-versions',
      { name, stages },
      { action: `get the latest versions of model '${name}'`, subject: `registered model '${name}'` },
    )
    return asList(answer['model_versions']).map(modelVersionFromWire)
  }
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}
