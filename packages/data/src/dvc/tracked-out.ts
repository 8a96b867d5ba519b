import { isAbsolute, posix } from 'node:path'
import { isMap, isScalar, type YAMLMap } from 'yaml'
import { didYouMean } from '../closest-match.js'
import { DataError } from '../errors.js'
import type { YamlSource } from './yaml-source.js'

/** One output recorded in a `.dvc` file or `dvc.lock`: what to fetch and how to check it. */
export interface DvcOut {
  /** The path as written in the file, relative to `baseDir`. */
  path: string
  /** Absolute directory the path is relative to (the file's directory, or its `wdir`). */
  baseDir: string
  /** md5 of the file's bytes, or of the directory's JSON manifest followed by `.dir`. */
  md5: string
  isDirectory: boolean
  /** Bytes of the file, or of all files of a directory, when recorded. */
  size: number | undefined
  /** Number of files of a directory, when recorded. */
  nfiles: number | undefined
  /**
   * True for an out written by DVC 2.x (no `hash: md5`): DVC 2 hashed files it judged to be text after
   * turning CRLF into LF, so such a file's md5 is not the md5 of the bytes stored in the remote.
   */
  legacyHash: boolean
  /** Why `dvc push` never uploaded this out (`cache: false`, `push: false`), if so. */
  notPushed: string | undefined
  /** The `.dvc` file or `dvc.lock` that records the out, and the line of its entry. */
  file: string
  line: number
}

const MD5 = /^[0-9a-f]{32}(\.dir)?$/
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i

export function readTrackedOut(node: unknown, source: YamlSource, baseDir: string): DvcOut {
  const { fail } = source
  if (!isMap(node)) return fail('each entry of `outs` must be a mapping with `path` and `md5`', node)
  const text = (key: string): string | undefined => scalarText(node, key, source)
  const path = text('path')
  if (path === undefined || path === '') return fail('an out has no `path`', node)
  if (URL_LIKE.test(path) || isAbsolute(path))
    fail(`out '${path}' is outside the repository; only outs inside it are stored in the DVC remote`, node)
  const md5 = text('md5')?.toLowerCase()
  if (md5 === undefined)
    return fail(`out '${path}' has no md5: run \`dvc commit\` (or \`dvc repro\`) and push the data`, node)
  if (!MD5.test(md5)) fail(`out '${path}' has an invalid md5 '${md5}' (expected 32 hex digits)`, node)
  const hash = text('hash')
  if (hash !== undefined && hash !== 'md5')
    fail(`out '${path}' uses hash '${hash}'; only DVC's md5 hashes can be fetched`, node)
  const size = count(node, 'size', source)
  const nfiles = count(node, 'nfiles', source)
  const notPushed =
    text('cache') === 'false'
      ? '`cache: false` keeps it out of the DVC cache and remote'
      : text('push') === 'false'
        ? '`push: false` makes `dvc push` skip it'
        : undefined
  return {
    path,
    baseDir,
    md5,
    isDirectory: md5.endsWith('.dir'),
    size,
    nfiles,
    legacyHash: hash === undefined,
    notPushed,
    file: source.file,
    line: source.lineOf(node),
  }
}

function scalarText(map: YAMLMap, key: string, source: YamlSource): string | undefined {
  const value = map.get(key, true)
  if (value === undefined || value === null) return undefined
  if (!isScalar(value)) return source.fail(`\`${key}\` must be a single value`, value)
  const text = value.value === null ? '' : String(value.value).trim()
  return text === '' ? undefined : text
}

function count(map: YAMLMap, key: string, source: YamlSource): number | undefined {
  const raw = scalarText(map, key, source)
  if (raw === undefined) return undefined
  if (!/^\d+$/.test(raw)) source.fail(`\`${key}\` must be a whole number, got '${raw}'`, map.get(key, true))
  return Number(raw)
}

/** The form DVC compares paths in: forward slashes, no `./`, no trailing slash. */
export function normalizeOutPath(path: string): string {
  const normalized = posix.normalize(path.replaceAll('\\', '/'))
  return normalized.length > 1 ? normalized.replace(/\/+$/, '') : normalized
}

/** Picks the out named `outPath`, or the only out when none is named. */
export function selectOut(outs: readonly DvcOut[], outPath: string | undefined, file: string): DvcOut {
  const paths = outs.map((out) => out.path)
  if (outPath === undefined) {
    if (outs.length === 1) return outs[0]!
    throw new DataError(`${file} records ${outs.length} outs (${paths.join(', ')}); name the one to fetch`, {
      file,
    })
  }
  const wanted = normalizeOutPath(outPath)
  const found = outs.find((out) => normalizeOutPath(out.path) === wanted)
  if (found) return found
  throw new DataError(
    `${file} has no out '${outPath}'${didYouMean(outPath, paths)}; it records: ${paths.join(', ') || 'none'}`,
    { file },
  )
}
