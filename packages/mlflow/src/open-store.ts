import type { MlflowConfig } from './environment.js'
import { invalidConfiguration } from './errors.js'
import { FileStore } from './file-store.js'
import { localPathFromUri } from './local-artifacts.js'
import { RestStore, type RestStoreOptions } from './rest-store.js'
import type { TrackingStore } from './tracking-store.js'

export interface OpenStoreOptions extends Partial<Omit<RestStoreOptions, 'trackingUri' | 'auth' | 's3'>> {
  /** The FileStore folder when no tracking URI is set. */
  defaultRoot?: string
}

/**
 * The store a configuration points at: a server for http(s)://, the FileStore for a folder or file://,
 * and `./mlruns` when nothing is configured (the embedded default).
 */
export async function openTrackingStore(
  config: MlflowConfig,
  options: OpenStoreOptions = {},
): Promise<TrackingStore> {
  const { defaultRoot = 'mlruns', ...rest } = options
  const uri = config.trackingUri
  if (uri === undefined) return FileStore.open(defaultRoot, { s3: config.s3 })
  if (/^https?:\/\//i.test(uri)) {
    return new RestStore({
      ...rest,
      trackingUri: uri,
      auth: config.auth,
      s3: config.s3,
      timeoutMs: rest.timeoutMs ?? config.timeoutMs,
      retry: { ...(config.attempts === undefined ? {} : { attempts: config.attempts }), ...rest.retry },
    })
  }
  // 'databricks' alone means the Databricks workspace to MLflow, not a folder of that name.
  if (uri !== 'databricks' && (/^file:/i.test(uri) || !/^[a-zA-Z][\w+.-]+:/.test(uri))) {
    return FileStore.open(localPathFromUri(uri), { s3: config.s3 })
  }
  throw invalidConfiguration(
    `MLFLOW_TRACKING_URI '${uri}' is not supported here: use http(s)://host:port for a tracking server, or a ` +
      'local folder (or leave it unset for ./mlruns).',
  )
}
