import { lstat, readdir, readFile } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { gzipSync } from 'node:zlib'
import { sha256Digest } from './digest.js'
import { ImageInputError } from './errors.js'

export interface TarEntry {
  /** Path inside the archive, '/'-separated, no leading slash; directories end without a slash. */
  path: string
  type: 'file' | 'directory'
  /** Permission bits as stored (already normalised by the caller). */
  mode: number
  data?: Uint8Array
}

export interface TarOptions {
  /** Seconds since the epoch for every entry; SOURCE_DATE_EPOCH when set, else 0. */
  mtime?: number
}

export interface LayerBlob {
  /** gzip-compressed tar: what the registry stores and the manifest's layer digest names. */
  compressed: Buffer
  digest: string
  /** sha256 of the uncompressed tar: the config's rootfs.diff_ids entry. */
  diffId: string
  uncompressedSize: number
  files: number
}

/** The timestamp reproducible builds agree on: SOURCE_DATE_EPOCH when it is a whole number, otherwise 0. */
export function reproducibleEpoch(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SOURCE_DATE_EPOCH
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : 0
}

/**
 * Reads a folder into tar entries under `prefix` (e.g. `model`): sorted by path, directories 0755, files 0644
 * (0755 when any execute bit was set). Symlinks and special files are refused: a link could point outside the
 * bundle and would mean something else inside the image.
 */
export async function folderEntries(root: string, prefix: string): Promise<TarEntry[]> {
  const entries: TarEntry[] = []
  const top = prefix.replace(/^\/+|\/+$/g, '')
  if (top !== '') {
    const parts = top.split('/')
    for (let i = 1; i <= parts.length; i++)
      entries.push({ path: parts.slice(0, i).join('/'), type: 'directory', mode: 0o755 })
  }
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const full = join(dir, name)
      const rel = relative(root, full).split(sep).join('/')
      const path = top === '' ? rel : `${top}/${rel}`
      const stats = await lstat(full)
      if (stats.isDirectory()) {
        entries.push({ path, type: 'directory', mode: 0o755 })
        await walk(full)
      } else if (stats.isFile()) {
        entries.push({
          path,
          type: 'file',
          mode: stats.mode & 0o111 ? 0o755 : 0o644,
          data: await readFile(full),
        })
      } else {
        throw new ImageInputError(
          `${full} is ${stats.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}; the model bundle may only hold files and folders (copy the target in instead)`,
        )
      }
    }
  }
  try {
    await walk(root)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ImageInputError(`The model bundle folder ${root} does not exist`, { cause: error })
    }
    throw error
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return entries
}

const BLOCK = 512

/**
 * A POSIX ustar archive with everything that varies between machines fixed: entry order as given, mtime from
 * options, uid/gid 0, empty user/group names, no device numbers. Paths too long for ustar get a PAX header.
 */
export function writeTar(entries: TarEntry[], options: TarOptions = {}): Buffer {
  const mtime = options.mtime ?? 0
  const blocks: Buffer[] = []
  for (const entry of entries) {
    const name = entry.type === 'directory' ? `${entry.path}/` : entry.path
    const data = entry.type === 'file' ? Buffer.from(entry.data ?? new Uint8Array()) : Buffer.alloc(0)
    let stored = name
    if (Buffer.byteLength(name) > 100) {
      const record = paxRecord('path', name)
      blocks.push(
        header({
          name: 'PaxHeaders/' + sanitizedShortName(name),
          size: record.length,
          mode: 0o644,
          mtime,
          type: 'x',
        }),
      )
      blocks.push(padded(record))
      stored = sanitizedShortName(name)
    }
    blocks.push(
      header({
        name: stored,
        size: data.length,
        mode: entry.mode,
        mtime,
        type: entry.type === 'directory' ? '5' : '0',
      }),
    )
    if (data.length > 0) blocks.push(padded(data))
  }
  blocks.push(Buffer.alloc(BLOCK * 2))
  return Buffer.concat(blocks)
}

/** gzip with a fixed header (no name, mtime 0, OS "unix") so the same tar gives the same bytes on every runner. */
export function deterministicGzip(data: Uint8Array): Buffer {
  const out = gzipSync(data, { level: 6 })
  out.writeUInt32LE(0, 4)
  out[9] = 3
  return out
}

/** Packs a folder into an image layer under `prefix`, ready to push. */
export async function folderLayer(
  root: string,
  prefix: string,
  options: TarOptions = {},
): Promise<LayerBlob> {
  const entries = await folderEntries(root, prefix)
  const tar = writeTar(entries, options)
  const compressed = deterministicGzip(tar)
  return {
    compressed,
    digest: sha256Digest(compressed),
    diffId: sha256Digest(tar),
    uncompressedSize: tar.length,
    files: entries.filter((e) => e.type === 'file').length,
  }
}

function paxRecord(key: string, value: string): Buffer {
  // The length prefix counts itself, so find the width that makes it consistent.
  const body = ` ${key}=${value}\n`
  let length = Buffer.byteLength(body) + 1
  while (String(length).length + Buffer.byteLength(body) !== length)
    length = String(length).length + Buffer.byteLength(body)
  return Buffer.from(`${length}${body}`, 'utf8')
}

function sanitizedShortName(name: string): string {
  return Buffer.from(name)
    .subarray(0, 99)
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '_')
}

function padded(data: Buffer): Buffer {
  const rest = data.length % BLOCK
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rest)])
}

function header(h: { name: string; size: number; mode: number; mtime: number; type: string }): Buffer {
  const block = Buffer.alloc(BLOCK)
  block.write(h.name, 0, 100, 'utf8')
  octal(block, 100, 8, h.mode)
  octal(block, 108, 8, 0)
  octal(block, 116, 8, 0)
  octal(block, 124, 12, h.size)
  octal(block, 136, 12, h.mtime)
  block.fill(0x20, 148, 156)
  block.write(h.type, 156, 1, 'latin1')
  block.write('ustar\u000000', 257, 8, 'latin1')
  let sum = 0
  for (const byte of block) sum += byte
  block.write(sum.toString(8).padStart(6, '0') + '\u0000 ', 148, 8, 'latin1')
  return block
}

function octal(block: Buffer, offset: number, width: number, value: number): void {
  if (value >= 8 ** (width - 1))
    throw new ImageInputError(`a tar field of ${width} bytes cannot hold ${value} (file over 8 GiB?)`)
  block.write(value.toString(8).padStart(width - 1, '0') + '\u0000', offset, width, 'latin1')
}
