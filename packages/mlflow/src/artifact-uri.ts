import { basename, normalizeArtifactPath } from './artifact-path.js'
import { invalidParameter } from './errors.js'

export type ArtifactScheme = 'file' | 'mlflow-artifacts' | 's3' | 'runs' | 'models' | 'other'

/** The kind of place an artifact URI points at; a bare path (no scheme) is a local file. */
export function artifactScheme(uri: string): ArtifactScheme {
  const match = /^([a-zA-Z][\w+.-]*):/.exec(uri)
  // One letter is a Windows drive, not a scheme.
  if (match === null || match[1]!.length === 1) return 'file'
  const scheme = match[1]!.toLowerCase()
  if (scheme === 'file') return 'file'
  if (scheme === 'mlflow-artifacts') return 'mlflow-artifacts'
  if (scheme === 's3' || scheme === 's3a') return 's3'
  if (scheme === 'runs') return 'runs'
  if (scheme === 'models') return 'models'
  return 'other'
}

/**
 * Splits `scheme:/a/b/model` into a root `scheme:/a/b` and a last segment `model`, so the same
 * repository code can download either a folder or a single file at that URI.
 */
export function splitArtifactUri(uri: string): { root: string; path: string } {
  const trimmed = uri.replace(/\/+$/, '')
  const name = basename(trimmed.replace(/^[a-zA-Z][\w+.-]*:\/*/, ''))
  if (name === '' || trimmed.endsWith(':') || /^s3a?:\/\/[^/]+$/.test(trimmed))
    return { root: trimmed, path: '' }
  const root = trimmed.slice(0, trimmed.length - name.length).replace(/\/+$/, '')
  return { root: root.endsWith(':') ? `${root}/` : root, path: name }
}

/** `runs:/<run_id>/<path>` -> its parts; the path may be empty (the whole artifact root). */
export function parseRunsUri(uri: string): { runId: string; path: string } {
  const match = /^runs:\/+([^/]+)\/?(.*)$/.exec(uri)
  if (match === null || match[1] === undefined) {
    throw invalidParameter(`Invalid runs URI '${uri}': expected runs:/<run_id>/<path>.`)
  }
  return { runId: match[1], path: normalizeArtifactPath(match[2] ?? '') }
}
