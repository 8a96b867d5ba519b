// The naming rules an MLflow server enforces, applied by the FileStore too so that what works locally
// also works against a server (and nothing escapes the mlruns folder).
import { posix } from 'node:path'
import { invalidParameter } from './errors.js'

export const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/
export const EXPERIMENT_ID = /^[a-zA-Z0-9][\w-]{0,63}$/

/** Folder names the FileStore uses for other things than experiments and runs. */
export const RESERVED_FOLDERS = new Set(['tags', 'datasets', 'traces', 'models'])

const KEY_CHARS = /^[/\w.\- :]*$/
const MAX_KEY_LENGTH = 250
const MAX_PARAM_VALUE_LENGTH = 6000
const ALIAS = /^[\w-]*$/

export function checkRunId(runId: string): void {
  if (!RUN_ID.test(runId) || RESERVED_FOLDERS.has(runId)) {
    throw invalidParameter(`Invalid run ID: '${runId}'`)
  }
}

export function checkExperimentId(experimentId: string): void {
  if (!EXPERIMENT_ID.test(experimentId) || RESERVED_FOLDERS.has(experimentId)) {
    throw invalidParameter(`Invalid experiment ID: '${experimentId}'`)
  }
}

/** Metric, param and tag keys become file paths: `/` makes folders, and nothing may resolve elsewhere. */
export function checkKey(kind: 'metric' | 'param' | 'tag', key: string): void {
  if (key === '' || !KEY_CHARS.test(key)) {
    throw invalidParameter(
      `Invalid ${kind} name: '${key}'. Names may only contain alphanumerics, underscores (_), dashes (-), ` +
        'periods (.), spaces ( ), colons (:) and slashes (/).',
    )
  }
  if (key.length > MAX_KEY_LENGTH) {
    throw invalidParameter(
      `${kind} name '${key.slice(0, 40)}...' is longer than ${MAX_KEY_LENGTH} characters.`,
    )
  }
  if (
    posix.normalize(key) !== key ||
    key.startsWith('/') ||
    key.endsWith('/') ||
    key.split('/').includes('..')
  ) {
    throw invalidParameter(
      `Invalid ${kind} name: '${key}'. Names may be treated as files, and this one would resolve to a ` +
        'different path.',
    )
  }
}

export function checkParamValue(key: string, value: string): void {
  if (value.length > MAX_PARAM_VALUE_LENGTH) {
    throw invalidParameter(
      `Param value for '${key}' is ${value.length} characters; MLflow accepts at most ${MAX_PARAM_VALUE_LENGTH}.`,
    )
  }
}

export function checkAlias(alias: string): void {
  if (alias === '') throw invalidParameter('Registered model alias name cannot be empty.')
  if (!ALIAS.test(alias) || alias.length > 255) {
    throw invalidParameter(
      `Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`,
    )
  }
  if (alias.toLowerCase() === 'latest') {
    throw invalidParameter(`'latest' alias name (case insensitive) is reserved.`)
  }
  if (/^v\d+$/i.test(alias)) throw invalidParameter(`Version alias name '${alias}' is reserved.`)
}

/** Model names become folder names under mlruns/models. */
export function checkModelName(name: string): void {
  if (name.trim() === '' || /[/\\]/.test(name) || name === '.' || name === '..' || name.includes('\0')) {
    throw invalidParameter(
      `Invalid registered model name: '${name}'. It may not be empty or contain '/' or '\\'.`,
    )
  }
}
