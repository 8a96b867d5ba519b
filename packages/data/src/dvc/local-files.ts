import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join, posix } from 'node:path'
import { ObjectDigest, digestMatches } from './object-digest.js'

export type PathKind = 'missing' | 'file' | 'directory' | 'other'

/** Follows symlinks: `dvc checkout` may have linked the data to the cache, and the content is what counts. */
export async function pathKind(path: string): Promise<PathKind> {
  try {
    const stats = await stat(path)
    return stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'other'
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing'
    throw error
  }
}

/** Whether a local file holds exactly the bytes DVC recorded (size first: it costs no read). */
export async function localFileMatches(
  path: string,
  expected: { md5: string; size: number | undefined; legacyHash: boolean },
): Promise<boolean> {
  if (expected.size !== undefined && (await stat(path)).size !== expected.size) return false
  const digest = new ObjectDigest(expected.legacyHash)
  for await (const chunk of createReadStream(path)) digest.update(chunk as Buffer)
  return digestMatches(digest.finish(), expected.md5)
}

/** Relpaths (forward slashes) of every file under `dir`; symlinks and other non-files count as files. */
export async function listFiles(dir: string): Promise<string[]> {
  const found: string[] = []
  const walk = async (relative: string): Promise<void> => {
    for (const entry of await readdir(join(dir, relative), { withFileTypes: true })) {
      const relpath = relative === '' ? entry.name : posix.join(relative, entry.name)
      if (entry.isDirectory()) await walk(relpath)
      else found.push(relpath)
    }
  }
  await walk('')
  return found.sort()
}
