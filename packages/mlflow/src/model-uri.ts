import { readdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { artifactScheme, parseRunsUri } from './artifact-uri.js'
import { invalidParameter, MlflowError, notFound } from './errors.js'
import { localPathFromUri } from './local-artifacts.js'
import type { TrackingStore } from './tracking-store.js'
import type { ModelVersion } from './types.js'

export type ModelUri =
  | { kind: 'alias'; name: string; alias: string }
  | { kind: 'version'; name: string; version: string }
  | { kind: 'latest'; name: string }
  /** `models:/name/Production`: deprecated stages, for registries that predate aliases. */
  | { kind: 'stage'; name: string; stage: string }
  | { kind: 'run'; runId: string; path: string }
  /** mlflow-artifacts:/, s3://, file:// */
  | { kind: 'artifact'; uri: string }
  | { kind: 'local'; path: string }

const MODELS_HELP = 'use models:/<name>@<alias>, models:/<name>/<version> or models:/<name>/latest'

/** Reads a model URI the way MLflow does (`models:/name/3`, `models:/name@champion`, `runs:/id/model`, ...). */
export function parseModelUri(uri: string): ModelUri {
  const trimmed = uri.trim()
  const scheme = artifactScheme(trimmed)
  if (scheme === 'models') {
    if (/^models:\/\//i.test(trimmed)) throw invalidParameter(`Invalid model URI '${uri}': ${MODELS_HELP}.`)
    const path = trimmed.replace(/^models:\/*/i, '')
    const parts = path.split('/')
    if (path === '' || parts.length > 2 || parts[0]!.trim() === '') {
      throw invalidParameter(`Invalid model URI '${uri}': ${MODELS_HELP}.`)
    }
    if (parts.length === 2) {
      const [name, suffix] = parts as [string, string]
      if (suffix.trim() === '') throw invalidParameter(`Invalid model URI '${uri}': ${MODELS_HELP}.`)
      if (/^\d+$/.test(suffix)) return { kind: 'version', name, version: suffix }
      if (suffix.toLowerCase() === 'latest') return { kind: 'latest', name }
      return { kind: 'stage', name, stage: suffix }
    }
    const at = path.lastIndexOf('@')
    if (at <= 0 || at === path.length - 1)
      throw invalidParameter(`Invalid model URI '${uri}': ${MODELS_HELP}.`)
    return { kind: 'alias', name: path.slice(0, at), alias: path.slice(at + 1) }
  }
  if (scheme === 'runs') {
    const { runId, path } = parseRunsUri(trimmed)
    return { kind: 'run', runId, path }
  }
  if (scheme === 'mlflow-artifacts' || scheme === 's3') return { kind: 'artifact', uri: trimmed }
  if (scheme === 'file') {
    return /^file:/i.test(trimmed) ? { kind: 'artifact', uri: trimmed } : { kind: 'local', path: trimmed }
  }
  throw invalidParameter(
    `Unsupported model URI '${uri}': ${MODELS_HELP}, runs:/<run_id>/<path>, mlflow-artifacts:/..., s3://... or a local path.`,
  )
}

export interface ResolvedModel {
  /** What was asked for. */
  uri: string
  /** Where the files are: an mlflow-artifacts:/, s3://, file:// URI or a local path. */
  artifactUri: string
  /** Set when the URI went through the registry. */
  modelVersion: ModelVersion | undefined
  runId: string | undefined
}

/** registry -> download URI -> run artifact root + path: the chain MLflow follows. */
export async function resolveModelUri(uri: string, store: TrackingStore): Promise<ResolvedModel> {
  return resolveParsed(uri, parseModelUri(uri), store, 0)
}

async function resolveParsed(
  uri: string,
  parsed: ModelUri,
  store: TrackingStore,
  depth: number,
): Promise<ResolvedModel> {
  switch (parsed.kind) {
    case 'run': {
      const run = await store.getRun(parsed.runId)
      return {
        uri,
        artifactUri: appendPath(run.info.artifactUri, parsed.path),
        modelVersion: undefined,
        runId: parsed.runId,
      }
    }
    case 'artifact':
      return { uri, artifactUri: parsed.uri, modelVersion: undefined, runId: undefined }
    case 'local':
      return { uri, artifactUri: resolve(parsed.path), modelVersion: undefined, runId: undefined }
    default: {
      const modelVersion = await findVersion(parsed, store)
      let artifactUri = await store.getModelVersionDownloadUri(modelVersion.name, modelVersion.version)
      if (artifactUri === '') artifactUri = modelVersion.source
      // Older servers answer with the source itself, which may still point at a run or another version.
      const scheme = artifactScheme(artifactUri)
      if ((scheme === 'runs' || scheme === 'models') && depth < 5) {
        const inner = await resolveParsed(uri, parseModelUri(artifactUri), store, depth + 1)
        return { ...inner, modelVersion, runId: modelVersion.runId ?? inner.runId }
      }
      return { uri, artifactUri, modelVersion, runId: modelVersion.runId }
    }
  }
}

async function findVersion(
  parsed: Extract<ModelUri, { kind: 'alias' | 'version' | 'latest' | 'stage' }>,
  store: TrackingStore,
): Promise<ModelVersion> {
  switch (parsed.kind) {
    case 'alias':
      return store.getModelVersionByAlias(parsed.name, parsed.alias)
    case 'version':
      return store.getModelVersion(parsed.name, parsed.version)
    case 'latest': {
      const quote = parsed.name.includes("'") ? '"' : "'"
      const versions = await store.searchModelVersions({ filter: `name = ${quote}${parsed.name}${quote}` })
      const newest = versions
        .filter((v) => v.name === parsed.name)
        .sort((a, b) => Number(b.version) - Number(a.version))[0]
      if (newest === undefined) throw notFound(`Registered model '${parsed.name}' has no versions.`)
      return newest
    }
    case 'stage': {
      const [latest] = await store.getLatestVersions(parsed.name, [parsed.stage])
      if (latest === undefined) {
        throw notFound(`Registered model '${parsed.name}' has no version in stage '${parsed.stage}'.`)
      }
      return latest
    }
  }
}

function appendPath(root: string, path: string): string {
  return path === '' ? root : `${root.replace(/\/+$/, '')}/${path}`
}

export interface DownloadedModel extends ResolvedModel {
  /** The local folder holding MLmodel. */
  path: string
}

/**
 * Resolves a model URI and copies the model folder's contents into destDir (a local source already at
 * destDir is used in place). Fails with the folder's actual contents when there is no MLmodel file,
 * which usually means the path inside the run is wrong.
 */
export async function downloadModel(
  uri: string,
  store: TrackingStore,
  destDir: string,
): Promise<DownloadedModel> {
  const resolved = await resolveModelUri(uri, store)
  const dest = resolve(destDir)
  const scheme = artifactScheme(resolved.artifactUri)
  const inPlace = scheme === 'file' && localPathFromUri(resolved.artifactUri) === dest
  const path = inPlace ? dest : await store.downloadArtifactUri(resolved.artifactUri, dest)
  if (!(await isFile(join(path, 'MLmodel')))) {
    const found = await listing(path)
    throw new MlflowError(
      `${uri} resolved to ${resolved.artifactUri}, which is not an MLflow model folder (no MLmodel file; ` +
        `found: ${found}). Point the URI at the folder that holds MLmodel, e.g. runs:/<run_id>/model.`,
      { errorCode: 'INVALID_MODEL' },
    )
  }
  return { ...resolved, path }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

async function listing(path: string): Promise<string> {
  try {
    const entries = await readdir(path, { withFileTypes: true })
    if (entries.length === 0) return 'nothing'
    return entries
      .slice(0, 10)
      .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
      .join(', ')
  } catch {
    return 'a single file'
  }
}
