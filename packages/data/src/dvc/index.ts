export {
  fetchDvcTracked,
  type FetchDvcTrackedOptions,
  type FetchDvcTrackedResult,
  type FetchProgress,
} from './fetch-dvc-tracked.js'
export { parseDvcFile, readDvcFile, type DvcFile } from './dvc-file.js'
export { parseDvcLock, readDvcLock, selectLockOut, type DvcLock, type DvcLockStage } from './dvc-lock.js'
export {
  parseDvcConfig,
  readDvcConfig,
  selectDvcRemote,
  type DvcConfig,
  type DvcConfigValue,
  type DvcRemoteConfig,
} from './dvc-config.js'
export {
  createDvcS3Client,
  dvcObjectKeys,
  resolveDvcRemote,
  type DvcRemoteOptions,
  type ResolvedDvcRemote,
} from './dvc-remote.js'
export { parseDirManifest, type DirEntry } from './dir-manifest.js'
export { selectOut, type DvcOut } from './tracked-out.js'
export type { RetryPolicy } from './s3-retry.js'
export {
  fetchDvcDatasets,
  dvcRemoteSetting,
  parseDvcDatasetRef,
  type DvcDatasetRef,
  type FetchDvcDatasetsOptions,
} from './dvc-datasets.js'
