// Params, tags and metrics are stored one file per key; a `/` in a key makes subfolders.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { walkFiles } from './walk-files.js'

export function keyPath(dir: string, key: string): string {
  return join(dir, ...key.split('/'))
}

/** The raw value, no trailing newline: MLflow reads the whole file as the value. */
export async function writeKeyFile(dir: string, key: string, value: string): Promise<void> {
  const path = keyPath(dir, key)
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, value)
}

export async function readKeyFile(dir: string, key: string): Promise<string | undefined> {
  try {
    return await readFile(keyPath(dir, key), 'utf8')
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT' || (error as { code?: unknown }).code === 'ENOTDIR') {
      return undefined
    }
    throw error
  }
}

/** key -> raw value for every file under dir (nested folders give `a/b` keys). */
export async function readKeyFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const key of await walkFiles(dir)) {
    out[key] = await readFile(keyPath(dir, key), 'utf8')
  }
  return out
}
