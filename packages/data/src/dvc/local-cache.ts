import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import type { DvcConfig } from './dvc-config.js'
import { pathKind } from './local-files.js'
import { ObjectDigest } from './object-digest.js'

/**
 * The repository's DVC cache (`.dvc/cache`, or `[cache] dir`, which DVC resolves against `.dvc/`), or
 * undefined outside a DVC repository: fetching must never create a `.dvc` folder of its own.
 */
export async function dvcCacheDir(repoRoot: string, config: DvcConfig): Promise<string | undefined> {
  const dotDvc = join(repoRoot, '.dvc')
  if ((await pathKind(dotDvc)) !== 'directory') return undefined
  const configured = config.cache?.dir?.value
  return configured === undefined ? join(dotDvc, 'cache') : resolve(dotDvc, configured)
}

function cachePaths(cacheDir: string, md5: string, legacyHash: boolean): string[] {
  const modern = join(cacheDir, 'files', 'md5', md5.slice(0, 2), md5.slice(2))
  const legacy = join(cacheDir, md5.slice(0, 2), md5.slice(2))
  return legacyHash ? [legacy, modern] : [modern, legacy]
}

/**
 * A directory manifest from the local cache, if there and intact. Keeping manifests there (as `dvc pull`
 * does) lets a second fetch of an unchanged directory finish without contacting the remote.
 */
export async function readCachedManifest(
  cacheDir: string,
  md5: string,
  legacyHash: boolean,
): Promise<Buffer | undefined> {
  for (const path of cachePaths(cacheDir, md5, legacyHash)) {
    let bytes: Buffer
    try {
      bytes = await readFile(path)
    } catch {
      continue
    }
    const digest = new ObjectDigest(false)
    digest.update(bytes)
    if (digest.finish().md5 === md5.slice(0, 32)) return bytes
  }
  return undefined
}

/** Stores a verified manifest where DVC itself would, read-only like DVC's cache files; best effort. */
export async function storeCachedManifest(
  cacheDir: string,
  md5: string,
  legacyHash: boolean,
  bytes: Buffer,
): Promise<void> {
  const path = cachePaths(cacheDir, md5, legacyHash)[0]!
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await mkdir(dirname(path), { recursive: true })
    await writeFile(temp, bytes)
    await chmod(temp, 0o444)
    await rename(temp, path)
  } catch {
    // A read-only checkout or a shared cache owned by someone else must not make the fetch fail.
    await rm(temp, { force: true }).catch(() => undefined)
  }
}
