import { availableParallelism } from 'node:os'
import { readFileSync } from 'node:fs'

/** A wrong environment variable: the message names the variable and what it accepts. */
export class ServeConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ServeConfigError'
  }
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface ServeConfig {
  port: number
  host: string
  modelUri: string
  modelName: string | undefined
  modelVersion: string | undefined
  mlflowTrackingUri: string | undefined
  /** Where remote bundles are downloaded (must be writable: /tmp in the read-only image). */
  modelCacheDir: string
  predictionLogDir: string | undefined
  predictionLogSample: number
  predictionLogMaxBytes: number
  batchMaxSize: number
  batchMaxWaitMs: number
  driftWindow: number
  driftIntervalMs: number
  intraOpThreads: number
  logLevel: LogLevel
  maxBodyBytes: number
  maxRows: number
  requestTimeoutMs: number
  shutdownDelayMs: number
  adminToken: string | undefined
}

type Env = Record<string, string | undefined>

function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

function number(
  env: Env,
  name: string,
  fallback: number,
  rule: { min: number; max?: number; integer?: boolean },
): number {
  const raw = text(env, name)
  if (raw === undefined) return fallback
  const value = Number(raw)
  const max = rule.max ?? Number.MAX_SAFE_INTEGER
  if (
    !Number.isFinite(value) ||
    value < rule.min ||
    value > max ||
    (rule.integer && !Number.isInteger(value))
  ) {
    const kind = rule.integer ? 'a whole number' : 'a number'
    throw new ServeConfigError(`${name} must be ${kind} from ${rule.min} to ${max}, got '${raw}'`)
  }
  return value
}

/**
 * CPUs this container may use: the cgroup v2 quota (cpu.max) when there is one, else the CPUs the process is
 * allowed to run on. os.availableParallelism() alone sees every core of the node, which oversubscribes a pod
 * limited to 1 CPU.
 */
export function containerCpus(cpuMaxFile = '/sys/fs/cgroup/cpu.max'): number {
  const cores = availableParallelism()
  try {
    const [quota, period] = readFileSync(cpuMaxFile, 'utf8').trim().split(/\s+/)
    if (quota !== undefined && quota !== 'max' && period !== undefined) {
      const limit = Math.ceil(Number(quota) / Number(period))
      if (Number.isFinite(limit) && limit >= 1) return Math.min(cores, limit)
    }
  } catch {
    // No cgroup v2 quota file: not in a container, or cgroup v1.
  }
  return cores
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error']

/** Reads every setting once at start-up; an invalid value stops the server with a message naming the variable. */
export function readConfig(env: Env = process.env): ServeConfig {
  const logLevel = (text(env, 'LOG_LEVEL') ?? 'info').toLowerCase()
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new ServeConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${env.LOG_LEVEL}'`)
  }
  return {
    port: number(env, 'PORT', 8080, { min: 0, max: 65535, integer: true }),
    host: text(env, 'HOST') ?? '0.0.0.0',
    modelUri: text(env, 'MODEL_URI') ?? '/model',
    modelName: text(env, 'MODEL_NAME'),
    modelVersion: text(env, 'MODEL_VERSION'),
    mlflowTrackingUri: text(env, 'MLFLOW_TRACKING_URI'),
    modelCacheDir: text(env, 'MODEL_CACHE_DIR') ?? '/tmp/mlops-serve-models',
    predictionLogDir: text(env, 'PREDICTION_LOG_DIR'),
    predictionLogSample: number(env, 'PREDICTION_LOG_SAMPLE', 1, { min: 0, max: 1 }),
    predictionLogMaxBytes: number(env, 'PREDICTION_LOG_MAX_BYTES', 64 * 1024 * 1024, {
      min: 1024,
      integer: true,
    }),
    batchMaxSize: number(env, 'BATCH_MAX_SIZE', 64, { min: 1, max: 4096, integer: true }),
    batchMaxWaitMs: number(env, 'BATCH_MAX_WAIT_MS', 0, { min: 0, max: 1000 }),
    driftWindow: number(env, 'DRIFT_WINDOW', 1000, { min: 0, max: 1_000_000, integer: true }),
    driftIntervalMs: number(env, 'DRIFT_INTERVAL_MS', 30_000, { min: 100, integer: true }),
    intraOpThreads: number(env, 'ORT_INTRA_OP_THREADS', containerCpus(), { min: 1, max: 256, integer: true }),
    logLevel: logLevel as LogLevel,
    maxBodyBytes: number(env, 'MAX_BODY_BYTES', 8 * 1024 * 1024, { min: 1024, integer: true }),
    maxRows: number(env, 'MAX_ROWS', 10_000, { min: 1, integer: true }),
    requestTimeoutMs: number(env, 'REQUEST_TIMEOUT_MS', 30_000, { min: 100, integer: true }),
    shutdownDelayMs: number(env, 'SHUTDOWN_DELAY_MS', 0, { min: 0, max: 600_000, integer: true }),
    adminToken: text(env, 'ADMIN_TOKEN'),
  }
}
