import { invalidConfiguration } from './errors.js'
import type { S3Options } from './s3-artifacts.js'

export type MlflowAuth =
  { kind: 'bearer'; token: string } | { kind: 'basic'; username: string; password: string }

export interface MlflowConfig {
  /** The tracking server, without credentials; undefined means the local FileStore. */
  trackingUri: string | undefined
  auth: MlflowAuth | undefined
  /** Used when a run's artifact root is s3://. */
  s3: S3Options
  /** Request timeout from MLFLOW_HTTP_REQUEST_TIMEOUT (seconds there). */
  timeoutMs: number | undefined
  /** Total tries from MLFLOW_HTTP_REQUEST_MAX_RETRIES (retries there, so + 1). */
  attempts: number | undefined
}

/**
 * Reads the variables MLflow's own client reads, so a workflow configured for `mlflow` works unchanged.
 * Like MLflow, username + password win over a token. AWS credentials are taken only when set as
 * variables; otherwise the AWS SDK's default chain (web identity, instance role) applies.
 */
export function fromEnvironment(env: Record<string, string | undefined>): MlflowConfig {
  const value = (name: string): string | undefined => {
    const v = env[name]?.trim()
    return v === undefined || v === '' ? undefined : v
  }

  let trackingUri = value('MLFLOW_TRACKING_URI')
  let uriUser: string | undefined
  let uriPassword: string | undefined
  if (trackingUri !== undefined && /^https?:\/\//i.test(trackingUri)) {
    // fetch refuses URLs with credentials, and they must never reach a log line: move them into auth.
    const url = new URL(trackingUri)
    if (url.username !== '' || url.password !== '') {
      uriUser = decodeURIComponent(url.username)
      uriPassword = decodeURIComponent(url.password)
      url.username = ''
      url.password = ''
    }
    trackingUri = url.toString().replace(/\/+$/, '')
  }

  const username = value('MLFLOW_TRACKING_USERNAME') ?? uriUser
  const password = env['MLFLOW_TRACKING_PASSWORD'] ?? uriPassword
  const token = value('MLFLOW_TRACKING_TOKEN')
  let auth: MlflowAuth | undefined
  if (username !== undefined && password !== undefined && password !== '') {
    auth = { kind: 'basic', username, password }
  } else if (username !== undefined && token === undefined) {
    throw invalidConfiguration(
      'MLFLOW_TRACKING_USERNAME is set but MLFLOW_TRACKING_PASSWORD is not: set both for basic auth, ' +
        'or set MLFLOW_TRACKING_TOKEN instead.',
    )
  } else if (password !== undefined && password !== '' && username === undefined) {
    throw invalidConfiguration(
      'MLFLOW_TRACKING_PASSWORD is set but MLFLOW_TRACKING_USERNAME is not: set both for basic auth.',
    )
  } else if (token !== undefined) {
    auth = { kind: 'bearer', token }
  }

  const accessKeyId = value('AWS_ACCESS_KEY_ID')
  const secretAccessKey = value('AWS_SECRET_ACCESS_KEY')
  const sessionToken = value('AWS_SESSION_TOKEN')
  const endpoint = value('MLFLOW_S3_ENDPOINT_URL')
  const s3: S3Options = {
    region: value('AWS_REGION') ?? value('AWS_DEFAULT_REGION'),
    endpoint,
    // S3-compatible stores behind a custom endpoint (MinIO, Ceph) rarely have virtual-host DNS.
    forcePathStyle: endpoint !== undefined,
    credentials:
      accessKeyId !== undefined && secretAccessKey !== undefined
        ? { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) }
        : undefined,
  }

  return {
    trackingUri,
    auth,
    s3,
    timeoutMs: positiveNumber(value('MLFLOW_HTTP_REQUEST_TIMEOUT'), 'MLFLOW_HTTP_REQUEST_TIMEOUT', 1000),
    attempts: attemptsFrom(value('MLFLOW_HTTP_REQUEST_MAX_RETRIES')),
  }
}

function positiveNumber(raw: string | undefined, name: string, scale: number): number | undefined {
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!Number.isFinite(n) || n <= 0) {
    throw invalidConfiguration(`${name} must be a positive number, got '${raw}'.`)
  }
  return n * scale
}

function attemptsFrom(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0) {
    throw invalidConfiguration(`MLFLOW_HTTP_REQUEST_MAX_RETRIES must be a whole number >= 0, got '${raw}'.`)
  }
  return n + 1
}
