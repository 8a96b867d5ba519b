/** Run lifecycle states, as the REST API names them. */
export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED'

export type ModelVersionStatus = 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY'

/** Deprecated registry stages (MLflow < 2.9 style); aliases replace them. */
export type ModelStage = 'None' | 'Staging' | 'Production' | 'Archived'

export interface Experiment {
  experimentId: string
  name: string
  artifactLocation: string
  lifecycleStage: string
  creationTime: number | undefined
  lastUpdateTime: number | undefined
  tags: Record<string, string>
}

export interface RunInfo {
  runId: string
  runName: string
  experimentId: string
  userId: string
  status: RunStatus
  startTime: number
  endTime: number | undefined
  /** Where the run's artifacts live: mlflow-artifacts:/, s3://, file://. */
  artifactUri: string
  lifecycleStage: string
}

export interface Metric {
  key: string
  value: number
  timestamp: number
  step: number
}

export interface RunData {
  /** The latest point of each metric (highest step, then timestamp). */
  metrics: Record<string, Metric>
  params: Record<string, string>
  tags: Record<string, string>
}

export interface Run {
  info: RunInfo
  data: RunData
}

export interface KeyValue {
  key: string
  value: string
}

export interface MetricInput {
  key: string
  value: number
  /** Milliseconds since the epoch; the server refuses a metric without one, so now() fills it in. */
  timestamp?: number
  step?: number
}

export interface LogBatchInput {
  metrics?: MetricInput[]
  params?: KeyValue[]
  tags?: KeyValue[]
}

export interface FileInfo {
  /** Relative to the run's artifact root, with `/` separators. */
  path: string
  isDir: boolean
  fileSize: number | undefined
}

export interface RegisteredModel {
  name: string
  creationTimestamp: number | undefined
  lastUpdatedTimestamp: number | undefined
  description: string | undefined
  tags: Record<string, string>
  /** alias -> version */
  aliases: Record<string, string>
}

export interface ModelVersion {
  name: string
  /** A string on the wire and here: "3", never 3. */
  version: string
  creationTimestamp: number | undefined
  lastUpdatedTimestamp: number | undefined
  currentStage: string
  description: string | undefined
  source: string
  runId: string | undefined
  status: ModelVersionStatus
  statusMessage: string | undefined
  tags: Record<string, string>
  aliases: string[]
}

export interface CreateRunInput {
  experimentId: string
  runName?: string
  /** Milliseconds; defaults to now. */
  startTime?: number
  /** Sent as `user_id` and as the `mlflow.user` tag: the server fills neither from the other. */
  userId?: string
  tags?: Record<string, string>
}

export interface UpdateRunInput {
  status: RunStatus
  endTime?: number
  runName?: string
}

export interface SearchRunsInput {
  experimentIds: string[]
  /** MLflow search syntax, e.g. `tags.git_sha = 'abc' and params.lr = '0.1'`. */
  filter?: string
  /** e.g. `['attributes.start_time DESC']` */
  orderBy?: string[]
  maxResults?: number
}

export interface CreateModelVersionInput {
  name: string
  /** `runs:/<run_id>/<path>`, `mlflow-artifacts:/...`, `s3://...` or `models:/name/N`. */
  source: string
  runId?: string
  description?: string
  tags?: Record<string, string>
}

export interface SearchModelVersionsInput {
  /** e.g. `name = 'churn' and tags.github_run_id = '42'` */
  filter?: string
  maxResults?: number
}

export interface WaitOptions {
  /** Give up after this long; the version may still become READY later. */
  timeoutMs?: number
}
