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

/**
 * What the pipeline needs from MLflow, whether it talks to a tracking server (RestStore) or writes the
 * local `mlruns/` folder that `mlflow ui` reads (FileStore). Both report problems as MlflowError with the
 * server's status and error code, so callers handle them once.
 */
export interface TrackingStore {
  /** Human-facing location: the server URL or the mlruns folder. */
  readonly location: string

  getExperiment(experimentId: string): Promise<Experiment>
  /** undefined when no experiment has that name. */
  getExperimentByName(name: string): Promise<Experiment | undefined>
  /** Reuses the experiment of that name, creating it when missing (safe against a concurrent create). */
  getOrCreateExperiment(name: string, tags?: Record<string, string>): Promise<Experiment>
  setExperimentTag(experimentId: string, key: string, value: string): Promise<void>

  createRun(input: CreateRunInput): Promise<Run>
  updateRun(runId: string, input: UpdateRunInput): Promise<RunInfo>
  getRun(runId: string): Promise<Run>
  /** Follows pages until maxResults runs (default 1000) or the end. */
  searchRuns(input: SearchRunsInput): Promise<Run[]>
  /** Any size: split into requests within the server's limits. */
  logBatch(runId: string, batch: LogBatchInput): Promise<void>
  /** Every point of one metric, in logging order. */
  getMetricHistory(runId: string, key: string): Promise<Metric[]>
  setTag(runId: string, key: string, value: string): Promise<void>

  /** Uploads one file to `<artifactPath>/<basename>` under the run's artifact root. */
  uploadArtifact(runId: string, localFile: string, artifactPath?: string): Promise<void>
  /** Uploads the contents of a directory to `<artifactPath>/` under the run's artifact root. */
  uploadArtifacts(runId: string, localDir: string, artifactPath?: string): Promise<void>
  /** Direct children of `path` (the root when omitted); paths are relative to the artifact root. */
  listArtifacts(runId: string, path?: string): Promise<FileInfo[]>
  /**
   * Downloads a run's artifact: a directory's contents land in destDir, a single file at
   * destDir/<basename>. Returns the local path of what was downloaded.
   */
  downloadArtifacts(runId: string, path: string, destDir: string): Promise<string>
  /** Same as downloadArtifacts for an artifact URI (mlflow-artifacts:/, s3://, file://). */
  downloadArtifactUri(uri: string, destDir: string): Promise<string>

  getRegisteredModel(name: string): Promise<RegisteredModel>
  getOrCreateRegisteredModel(name: string, description?: string): Promise<RegisteredModel>
  setRegisteredModelTag(name: string, key: string, value: string): Promise<void>
  /** Creates a version and waits until it is READY (FAILED_REGISTRATION or the deadline is an error). */
  createModelVersion(input: CreateModelVersionInput, wait?: WaitOptions): Promise<ModelVersion>
  waitForModelVersion(name: string, version: string, wait?: WaitOptions): Promise<ModelVersion>
  getModelVersion(name: string, version: string): Promise<ModelVersion>
  searchModelVersions(input: SearchModelVersionsInput): Promise<ModelVersion[]>
  setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void>
  /** Where the version's files are (what `model-versions/get-download-uri` answers). */
  getModelVersionDownloadUri(name: string, version: string): Promise<string>

  setAlias(name: string, alias: string, version: string): Promise<void>
  /** An unknown alias is an MlflowError with status 400 INVALID_PARAMETER_VALUE, as the server answers. */
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion>
  deleteAlias(name: string, alias: string): Promise<void>

  /** Stage fallback for servers older than aliases (deprecated since MLflow 2.9). */
  transitionModelVersionStage(
    name: string,
    version: string,
    stage: string,
    archiveExistingVersions?: boolean,
  ): Promise<ModelVersion>
  /** Latest version per stage; all stages when `stages` is omitted. */
  getLatestVersions(name: string, stages?: string[]): Promise<ModelVersion[]>
}
