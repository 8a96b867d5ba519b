import { basename, extname, isAbsolute, join, resolve } from 'node:path'
import { DataError } from '../errors.js'
import { TABLE_EXTENSIONS } from '../open-table.js'
import type { DvcRemoteOptions } from './dvc-remote.js'
import { fetchDvcTracked, type FetchDvcTrackedResult, type FetchProgress } from './fetch-dvc-tracked.js'
import { listFiles } from './local-files.js'

/** A dataset entry that names DVC-tracked data rather than a file on disk. */
export type DvcDatasetRef = { dvcFile: string } | { lockFile: string; outPath: string }

/**
 * `data/train.csv.dvc` (a file `dvc add` wrote), or `dvc.lock:data/features` (an out of a pipeline's lock
 * file). Anything else is an ordinary path or glob and is left to `expandDatasetPaths`.
 */
export function parseDvcDatasetRef(entry: string): DvcDatasetRef | undefined {
  const lock = /^(.*dvc\.lock):(.+)$/.exec(entry)
  if (lock) return { lockFile: lock[1]!, outPath: lock[2]! }
  if (extname(entry) === '.dvc' && !/[*?[]/.test(entry)) return { dvcFile: entry }
  return undefined
}

export interface FetchDvcDatasetsOptions {
  /** Root of the DVC repository (holds `.dvc/config`); relative entries are resolved against it. */
  repoRoot: string
  remote?: DvcRemoteOptions
  remoteName?: string
  /** Called once per DVC entry after its data is in place and verified. */
  onFetched?: (entry: string, result: FetchDvcTrackedResult) => void
  onProgress?: (entry: string, progress: FetchProgress) => void
}

/**
 * Replaces every DVC reference among dataset entries by the local data it tracks, fetched from the remote
 * and md5-verified (see `fetchDvcTracked`); other entries pass through unchanged, in order. A tracked
 * directory becomes the table files inside it, sorted, so `data.dvc` tracking `part-0.csv ... part-9.csv`
 * reads as one table.
 */
export async function fetchDvcDatasets(
  entries: readonly string[],
  options: FetchDvcDatasetsOptions,
): Promise<string[]> {
  const out: string[] = []
  for (const entry of entries) {
    const ref = parseDvcDatasetRef(entry)
    if (!ref) {
      out.push(entry)
      continue
    }
    const at = (path: string) => (isAbsolute(path) ? path : resolve(options.repoRoot, path))
    const result = await fetchDvcTracked({
      repoRoot: options.repoRoot,
      ...('dvcFile' in ref
        ? { dvcFile: at(ref.dvcFile) }
        : { lockFile: at(ref.lockFile), outPath: ref.outPath }),
      ...(options.remote ? { remote: options.remote } : {}),
      ...(options.remoteName ? { remoteName: options.remoteName } : {}),
      ...(options.onProgress ? { onProgress: (p: FetchProgress) => options.onProgress!(entry, p) } : {}),
    })
    options.onFetched?.(entry, result)
    if (!result.isDirectory) {
      out.push(result.path)
      continue
    }
    const tables = (await listFiles(result.path)).filter((relpath) =>
      TABLE_EXTENSIONS.includes(extname(relpath).toLowerCase()),
    )
    if (tables.length === 0) {
      throw new DataError(
        `${entry} tracks the directory ${basename(result.path)}/ (${result.files} files), but none of them is a table (${TABLE_EXTENSIONS.join(', ')})`,
        { file: entry },
      )
    }
    out.push(...tables.map((relpath) => join(result.path, relpath)))
  }
  return out
}

/** A `dvc-remote` setting: an s3:// URL replaces the configured remote's url; a bare word picks a remote by name. */
export function dvcRemoteSetting(
  value: string | undefined,
  what = "input 'dvc-remote'",
): { remoteName: string } | { remote: { url: string } } | undefined {
  if (value === undefined) return undefined
  if (value.startsWith('s3://')) return { remote: { url: value } }
  if (/^[A-Za-z0-9_.-]+$/.test(value)) return { remoteName: value }
  throw new DataError(`${what} must be a remote name from .dvc/config or an s3:// URL, got '${value}'`)
}
