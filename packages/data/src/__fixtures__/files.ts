import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DataError } from '../errors.js'
import type { TableReader, TableRecord } from '../types.js'

export function fixture(name: string): string {
  return fileURLToPath(new URL(name, import.meta.url))
}

export interface TempDir {
  dir: string
  write(name: string, content: string | Uint8Array): Promise<string>
  remove(): Promise<void>
}

export async function makeTempDir(): Promise<TempDir> {
  const dir = await mkdtemp(join(tmpdir(), 'mlops-data-'))
  return {
    dir,
    async write(name, content) {
      const path = join(dir, name)
      await writeFile(path, content)
      return path
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  }
}

export async function readAll(reader: TableReader): Promise<TableRecord[]> {
  const records: TableRecord[] = []
  for await (const record of reader.records()) records.push(record)
  return records
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    if (error instanceof Error) return error
    throw new Error(`expected an Error, got ${String(error)}`)
  }
  throw new Error('expected the promise to reject')
}

/** The DataError a promise rejects with; fails the test on any other outcome. */
export async function dataError(promise: Promise<unknown>): Promise<DataError> {
  const error = await rejection(promise)
  if (!(error instanceof DataError))
    throw new Error(`expected a DataError, got ${error.stack ?? String(error)}`)
  return error
}

/** A small deterministic generator (mulberry32), so random tests fail the same way every time. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
