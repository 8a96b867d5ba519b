import { posix } from 'node:path'
import { DataError } from '../errors.js'

/** One file of a DVC-tracked directory, from its `.dir` manifest. */
export interface DirEntry {
  /** Path inside the directory, with forward slashes. */
  relpath: string
  md5: string
  /** Newer DVC versions record size and the executable bit; older manifests have only md5 and relpath. */
  size: number | undefined
  executable: boolean
}

/**
 * Parses the JSON list `[{"md5": ..., "relpath": ...}, ...]` DVC stores at a directory's `.dir` hash.
 * Relpaths are checked to stay inside the directory: a manifest is data from the remote, and a `../`
 * in it must not write anywhere else.
 */
export function parseDirManifest(
  bytes: Buffer,
  label: string,
  where: { file: string; line: number },
): DirEntry[] {
  const fail = (message: string): never => {
    throw new DataError(`${where.file}:${where.line}: directory manifest of ${label}: ${message}`, where)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(bytes.toString('utf8'))
  } catch (error) {
    return fail(`not valid JSON (${(error as Error).message})`)
  }
  if (!Array.isArray(parsed)) return fail('expected a JSON list of {md5, relpath} entries')
  const entries: DirEntry[] = []
  const seen = new Set<string>()
  for (const item of parsed as unknown[]) {
    const entry = item as Record<string, unknown> | null
    const relpath = entry?.relpath
    const md5 = entry?.md5
    if (typeof relpath !== 'string' || typeof md5 !== 'string')
      return fail(`an entry lacks a string md5 or relpath: ${JSON.stringify(item)}`)
    if (!/^[0-9a-f]{32}$/.test(md5)) fail(`entry '${relpath}' has an invalid md5 '${md5}'`)
    const normalized = posix.normalize(relpath)
    if (
      relpath === '' ||
      relpath.includes('\0') ||
      posix.isAbsolute(normalized) ||
      normalized === '.' ||
      normalized === '..' ||
      normalized.startsWith('../')
    )
      fail(`entry '${relpath}' points outside the directory`)
    if (seen.has(normalized)) fail(`entry '${relpath}' appears twice`)
    seen.add(normalized)
    const size = entry?.size
    entries.push({
      relpath: normalized,
      md5,
      size: typeof size === 'number' && Number.isInteger(size) && size >= 0 ? size : undefined,
      executable: entry?.isexec === true,
    })
  }
  for (const relpath of seen) {
    for (let parent = posix.dirname(relpath); parent !== '.'; parent = posix.dirname(parent))
      if (seen.has(parent)) fail(`'${parent}' is listed as a file and as a folder of '${relpath}'`)
  }
  return entries
}
