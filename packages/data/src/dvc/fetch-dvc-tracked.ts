import type { S3Client } from '@aws-sdk/client-s3'
import { randomBytes } from 'node:crypto'
import { chmod, copyFile, mkdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { DataError } from '../errors.js'
import { forEachBounded } from './bounded-pool.js'
import { parseDirManifest, type DirEntry } from './dir-manifest.js'
import { readDvcConfig, type DvcConfig } from './dvc-config.js'
import { readDvcFile } from './dvc-file.js'
import { readDvcLock, selectLockOut } from './dvc-lock.js'
import {
  createDvcS3Client,
  dvcObjectKeys,
  resolveDvcRemote,
  type DvcRemoteOptions,
  type ResolvedDvcRemote,
} from './dvc-remote.js'
import { downloadObject } from './download-object.js'
import { dvcCacheDir, readCachedManifest, storeCachedManifest } from './local-cache.js'
import { listFiles, localFileMatches, pathKind } from './local-files.js'
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './s3-retry.js'
import { selectOut, type DvcOut } from './tracked-out.js'

export interface FetchDvcTrackedOptions {
  /** Root of the DVC repository (holds `.dvc/config`); the relative paths below are resolved against it. */
  repoRoot: string
  /** A `.dvc` file, as `dvc add` writes it. Give this or `lockFile`. */
  dvcFile?: string
  /** A pipeline's `dvc.lock`; needs `outPath`. */
  lockFile?: string
  /** The out to fetch, as written in the file; optional for a `.dvc` file with a single out. */
  outPath?: string
  /** Remote settings that override those of `.dvc/config` one by one. */
  remote?: DvcRemoteOptions
  /** A remote of `.dvc/config` other than the default one (`dvc pull -r NAME`). */
  remoteName?: string
  /** Where to put the data; defaults to the out's own path, where `dvc pull` would put it. */
  dest?: string
  /** Replace a destination that exists but differs from the tracked version (`dvc checkout --force`). */
  force?: boolean
  /** An S3 client to use instead of one built from the remote settings. */
  s3?: S3Client
  /** Objects downloaded at once; default 4. */
  concurrency?: number
  /** Retries of 5xx answers and dropped connections; default 4 attempts with jittered backoff. */
  retry?: Partial<RetryPolicy>
  onProgress?: (progress: FetchProgress) => void
}

export interface FetchProgress {
  /** The file just put in place: a relpath inside a directory, or the out's path. */
  file: string
  /** 'remote' when downloaded, 'local' when copied from an identical file already at the destination. */
  source: 'remote' | 'local'
  filesDone: number
  filesTotal: number
  bytesDone: number
  bytesTotal: number | undefined
}

export interface FetchDvcTrackedResult {
  /** Absolute path of the fetched file or directory. */
  path: string
  files: number
  bytes: number
  /** Every file's md5 (and size, where recorded) matched what DVC recorded. */
  verified: true
  isDirectory: boolean
  /** The md5 DVC recorded for the out (`.dir`-suffixed for a directory). */
  md5: string
  /** Objects downloaded from the remote; 0 when the destination was already up to date. */
  downloaded: number
  /** The remote url, or undefined when nothing had to be fetched. */
  remote: string | undefined
}

interface RemoteSession {
  remote: ResolvedDvcRemote
  s3: S3Client
  ownClient: boolean
  legacyFirst: boolean
}

interface FetchRun {
  out: DvcOut
  dest: string
  options: FetchDvcTrackedOptions
  cacheDir: string | undefined
  retry: RetryPolicy
  concurrency: number
  downloaded: number
  session: () => Promise<RemoteSession>
}

/**
 * Fetches a DVC-tracked file or directory from its S3 remote, as `dvc pull` would, without DVC. Every
 * object is verified while it streams into a temporary file beside the destination, and only a fully
 * verified result is renamed into place, so an interrupted or corrupt fetch never leaves data that looks
 * valid. A destination that already holds the tracked version is left alone and nothing is downloaded.
 *
 * @example
 * const data = await fetchDvcTracked({ repoRoot: '.', dvcFile: 'data/images.dvc' })
 * // data.path = '/repo/data/images', data.files = 1200, data.verified = true
 * const model = await fetchDvcTracked({ repoRoot: '.', lockFile: 'dvc.lock', outPath: 'models/model.onnx',
 *   remote: { url: 's3://bucket/dvcstore', region: 'eu-west-1' } })
 */
export async function fetchDvcTracked(options: FetchDvcTrackedOptions): Promise<FetchDvcTrackedResult> {
  const concurrency = options.concurrency ?? 4
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError(`fetchDvcTracked: concurrency must be a whole number >= 1, got ${concurrency}`)
  const repoRoot = resolve(options.repoRoot)
  const out = await loadOut(repoRoot, options)
  if (out.notPushed)
    throw new DataError(`${out.file}:${out.line}: '${out.path}' is not in the DVC remote: ${out.notPushed}`, {
      file: out.file,
      line: out.line,
    })
  const dest = options.dest === undefined ? resolve(out.baseDir, out.path) : resolve(repoRoot, options.dest)
  guardDestination(dest, repoRoot)
  const config = await readDvcConfig(repoRoot)
  let pending: Promise<RemoteSession> | undefined
  const run: FetchRun = {
    out,
    dest,
    options,
    cacheDir: await dvcCacheDir(repoRoot, config),
    retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
    concurrency,
    downloaded: 0,
    session: () => (pending ??= openSession(config, repoRoot, options)),
  }
  try {
    return out.isDirectory ? await fetchDirectory(run) : await fetchFile(run)
  } finally {
    const session = await pending?.catch(() => undefined)
    if (session?.ownClient) session.s3.destroy()
  }
}

async function loadOut(repoRoot: string, options: FetchDvcTrackedOptions): Promise<DvcOut> {
  if (options.dvcFile !== undefined && options.lockFile !== undefined)
    throw new DataError('give either a .dvc file or a dvc.lock, not both')
  if (options.dvcFile !== undefined) {
    const file = resolve(repoRoot, options.dvcFile)
    return selectOut((await readDvcFile(file)).outs, options.outPath, file)
  }
  if (options.lockFile !== undefined) {
    const file = resolve(repoRoot, options.lockFile)
    if (options.outPath === undefined)
      throw new DataError(`${file}: name the out to fetch: dvc.lock records the outs of every stage`, {
        file,
      })
    return selectLockOut(await readDvcLock(file), options.outPath)
  }
  throw new DataError('nothing to fetch: give a .dvc file, or a dvc.lock and the path of one of its outs')
}

/** Replacing a destination renames it away first, so it must never be the repository or hold it. */
function guardDestination(dest: string, repoRoot: string): void {
  if (isWithin(dest, repoRoot) || isWithin(join(repoRoot, '.dvc'), dest))
    throw new DataError(
      `cannot fetch DVC data to ${dest}: it is the repository, holds it, or is inside .dvc/`,
    )
}

function isWithin(parent: string, path: string): boolean {
  const rel = relative(parent, path)
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel))
}

async function openSession(
  config: DvcConfig,
  repoRoot: string,
  options: FetchDvcTrackedOptions,
): Promise<RemoteSession> {
  const remote = resolveDvcRemote(config, repoRoot, {
    remote: options.remote,
    remoteName: options.remoteName,
  })
  const ownClient = options.s3 === undefined
  return { remote, s3: options.s3 ?? createDvcS3Client(remote), ownClient, legacyFirst: false }
}

/** Downloads one object, trying the layout that worked last first (a remote rarely mixes layouts). */
async function download(
  run: FetchRun,
  object: { md5: string; size: number | undefined; legacyHash: boolean; label: string; target: string },
  signal?: AbortSignal,
): Promise<number> {
  const session = await run.session()
  const { remote } = session
  const { key, bytes } = await downloadObject({
    s3: session.s3,
    bucket: remote.bucket,
    keys: dvcObjectKeys(remote.prefix, object.md5, session.legacyFirst),
    md5: object.md5.slice(0, 32),
    size: object.size,
    legacyHash: object.legacyHash,
    label: object.label,
    target: object.target,
    remoteUrl: remote.url,
    where: { file: run.out.file, line: run.out.line },
    retry: run.retry,
    signal,
  })
  session.legacyFirst = key === dvcObjectKeys(remote.prefix, object.md5, true)[0]
  run.downloaded++
  return bytes
}

function tempPathFor(dest: string): string {
  return join(dirname(dest), `.${basename(dest)}.dvc-tmp-${randomBytes(6).toString('hex')}`)
}

function differsError(run: FetchRun, detail: string): DataError {
  const { out } = run
  return new DataError(
    `${out.file}:${out.line}: ${run.dest} exists and differs from '${out.path}' (md5 ${out.md5})${detail}; ` +
      'delete it, or fetch with force to replace it',
    { file: out.file, line: out.line },
  )
}

function result(
  run: FetchRun,
  files: number,
  bytes: number,
  remote: string | undefined,
): FetchDvcTrackedResult {
  return {
    path: run.dest,
    files,
    bytes,
    verified: true,
    isDirectory: run.out.isDirectory,
    md5: run.out.md5,
    downloaded: run.downloaded,
    remote,
  }
}

async function remoteUrl(run: FetchRun): Promise<string | undefined> {
  return run.downloaded > 0 ? (await run.session()).remote.url : undefined
}

async function fetchFile(run: FetchRun): Promise<FetchDvcTrackedResult> {
  const { out, dest } = run
  const kind = await pathKind(dest)
  if (kind === 'file' && (await localFileMatches(dest, out)))
    return result(run, 1, (await stat(dest)).size, undefined)
  if (kind !== 'missing' && !run.options.force) throw differsError(run, '')
  await mkdir(dirname(dest), { recursive: true })
  const temp = tempPathFor(dest)
  try {
    const bytes = await download(run, { ...out, label: out.path, target: temp })
    if (kind !== 'missing' && kind !== 'file') await rm(dest, { recursive: true, force: true })
    await rename(temp, dest)
    run.options.onProgress?.({
      file: out.path,
      source: 'remote',
      filesDone: 1,
      filesTotal: 1,
      bytesDone: bytes,
      bytesTotal: out.size,
    })
    return result(run, 1, bytes, await remoteUrl(run))
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
}

async function loadManifest(run: FetchRun): Promise<Buffer> {
  const { out } = run
  if (run.cacheDir) {
    const cached = await readCachedManifest(run.cacheDir, out.md5, out.legacyHash)
    if (cached) return cached
  }
  await mkdir(dirname(run.dest), { recursive: true })
  const temp = `${tempPathFor(run.dest)}.dir`
  try {
    // JSON has no CRLF to normalise, so the manifest's md5 is that of its bytes under DVC 2 and 3 alike.
    const label = `${out.path} (directory manifest)`
    await download(run, { md5: out.md5, size: undefined, legacyHash: false, label, target: temp })
    const bytes = await readFile(temp)
    if (run.cacheDir) await storeCachedManifest(run.cacheDir, out.md5, out.legacyHash, bytes)
    return bytes
  } finally {
    await rm(temp, { force: true })
  }
}

/**
 * Compares an existing destination directory with the manifest. Returns the differences, and for the
 * files that already match, where they are (so a forced refresh copies them instead of downloading).
 */
async function compareDirectory(
  run: FetchRun,
  entries: readonly DirEntry[],
): Promise<{ differences: string[]; identical: Map<string, string> }> {
  const wanted = new Set(entries.map((entry) => entry.relpath))
  const differences = (await listFiles(run.dest))
    .filter((relpath) => !wanted.has(relpath))
    .map((relpath) => `unexpected ${relpath}`)
  const identical = new Map<string, string>()
  await forEachBounded(entries, run.concurrency, async (entry) => {
    const path = join(run.dest, ...entry.relpath.split('/'))
    if ((await pathKind(path)) !== 'file') differences.push(`missing ${entry.relpath}`)
    else if (await localFileMatches(path, { ...entry, legacyHash: run.out.legacyHash }))
      identical.set(entry.md5, path)
    else differences.push(`changed ${entry.relpath}`)
  })
  return { differences: differences.sort(), identical }
}

async function fetchDirectory(run: FetchRun): Promise<FetchDvcTrackedResult> {
  const { out, dest } = run
  const where = { file: out.file, line: out.line }
  const entries = parseDirManifest(await loadManifest(run), out.path, where)
  if (out.nfiles !== undefined && out.nfiles !== entries.length)
    throw new DataError(
      `${out.file}:${out.line}: '${out.path}' records nfiles ${out.nfiles} but its manifest lists ${entries.length} files`,
      where,
    )
  const kind = await pathKind(dest)
  let identical = new Map<string, string>()
  if (kind === 'directory') {
    const comparison = await compareDirectory(run, entries)
    if (comparison.differences.length === 0) {
      const bytes = out.size ?? entries.reduce((sum, entry) => sum + (entry.size ?? 0), 0)
      return result(run, entries.length, bytes, await remoteUrl(run))
    }
    if (!run.options.force) {
      const shown = comparison.differences.slice(0, 5).join(', ')
      const more = comparison.differences.length > 5 ? `, and ${comparison.differences.length - 5} more` : ''
      throw differsError(run, ` (${shown}${more})`)
    }
    identical = comparison.identical
  } else if (kind !== 'missing' && !run.options.force) {
    throw differsError(run, ' (it is not a directory)')
  }

  // Identical content is fetched once and copied: image datasets often hold duplicates.
  const groups = new Map<string, DirEntry[]>()
  for (const entry of entries) groups.set(entry.md5, [...(groups.get(entry.md5) ?? []), entry])
  const temp = tempPathFor(dest)
  let filesDone = 0
  let bytesDone = 0
  try {
    await mkdir(temp, { recursive: true })
    await forEachBounded([...groups.values()], run.concurrency, async (group, signal) => {
      const [first] = group as [DirEntry, ...DirEntry[]]
      const firstPath = join(temp, ...first.relpath.split('/'))
      await mkdir(dirname(firstPath), { recursive: true })
      const local = identical.get(first.md5)
      const source = local === undefined ? 'remote' : 'local'
      let bytes: number
      if (local === undefined) {
        const object = { ...first, legacyHash: out.legacyHash, label: `${out.path}/${first.relpath}` }
        bytes = await download(run, { ...object, target: firstPath }, signal)
      } else {
        await copyFile(local, firstPath)
        bytes = (await stat(firstPath)).size
      }
      for (const entry of group) {
        const path = join(temp, ...entry.relpath.split('/'))
        if (entry !== first) {
          await mkdir(dirname(path), { recursive: true })
          await copyFile(firstPath, path)
        }
        if (entry.executable) await chmod(path, 0o755)
        filesDone++
        bytesDone += bytes
        run.options.onProgress?.({
          file: entry.relpath,
          source,
          filesDone,
          filesTotal: entries.length,
          bytesDone,
          bytesTotal: out.size,
        })
      }
    })
    if (out.size !== undefined && bytesDone !== out.size)
      throw new DataError(
        `${out.file}:${out.line}: '${out.path}' records size ${out.size} but its files hold ${bytesDone} bytes`,
        where,
      )
    await replaceWith(temp, dest, kind !== 'missing')
  } catch (error) {
    await rm(temp, { recursive: true, force: true })
    throw error
  }
  return result(run, entries.length, bytesDone, await remoteUrl(run))
}

/** Swaps a finished directory into place; the old one is moved aside first and removed last. */
async function replaceWith(temp: string, dest: string, exists: boolean): Promise<void> {
  if (!exists) return rename(temp, dest)
  const old = `${tempPathFor(dest)}-old`
  await rename(dest, old)
  try {
    await rename(temp, dest)
  } catch (error) {
    await rename(old, dest).catch(() => undefined)
    throw error
  }
  await rm(old, { recursive: true, force: true })
}
