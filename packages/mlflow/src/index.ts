export * from './types.js'
export type { TrackingStore } from './tracking-store.js'
export * from './errors.js'
export { fromEnvironment, type MlflowAuth, type MlflowConfig } from './environment.js'
export { openTrackingStore, type OpenStoreOptions } from './open-store.js'
export { RestStore, type RestStoreOptions } from './rest-store.js'
export { RestClient, type RestClientOptions, type CallContext } from './rest-client.js'
export { FileStore, RUN_STATUS_CODES, readMetricFile, type FileStoreOptions } from './file-store.js'
export {
  parseModelUri,
  resolveModelUri,
  downloadModel,
  type ModelUri,
  type ResolvedModel,
  type DownloadedModel,
} from './model-uri.js'
export { parseRunsUri, artifactScheme } from './artifact-uri.js'
export { splitLogBatch, LOG_BATCH_LIMITS, type LogBatchLimits, type WireBatch } from './log-batch.js'
export {
  metricValueToWire,
  metricValueFromWire,
  metricValueToFile,
  metricValueFromFile,
} from './metric-value.js'
export {
  withRetry,
  backoffDelay,
  isRetryableStatus,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
} from './retry.js'
export { DEFAULT_MULTIPART, type MultipartOptions } from './proxy-artifacts.js'
export { parseS3Uri, type S3Options } from './s3-artifacts.js'
export { checkAlias, checkKey, RUN_ID, EXPERIMENT_ID } from './name-rules.js'
export {
  registerModelBundle,
  RUN_KEY_TAG,
  type RegisterBundleOptions,
  type RegisterBundleResult,
} from './register-bundle.js'
