import { invalidParameter } from './errors.js'

/**
 * Normalizes a relative artifact path to `a/b/c` and refuses `..` (the server answers 400 "Invalid path";
 * refusing here also keeps the FileStore inside the run folder).
 */
export function normalizeArtifactPath(path: string | undefined): string {
  if (path === undefined) return ''
  const parts = path.replace(/\\/g, '/').split('/')
  const kept: string[] = []
  for (const part of parts) {
    if (part === '' || part === '.') continue
    if (part === '..') throw invalidParameter(`Invalid path: '${path}' (artifact paths may not contain '..')`)
    kept.push(part)
  }
  return kept.join('/')
}

export function joinArtifactPath(...parts: (string | undefined)[]): string {
  return normalizeArtifactPath(parts.filter((p) => p !== undefined && p !== '').join('/'))
}

/** Each segment percent-encoded, `/` kept: for URLs like /mlflow-artifacts/artifacts/<path>. */
export function encodeArtifactPath(path: string): string {
  return path
    .split('/')
    .filter((p) => p !== '')
    .map(encodeURIComponent)
    .join('/')
}

export function basename(path: string): string {
  const parts = path.split('/').filter((p) => p !== '')
  return parts[parts.length - 1] ?? ''
}
