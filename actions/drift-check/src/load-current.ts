import { createReadStream, existsSync, statSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import {
  columnTableFromRows,
  DataError,
  expandDatasetPaths,
  readColumns,
  type ColumnTable,
  type ReferenceProfile,
} from '@mlops/data'

export interface LoadedCurrent {
  table: ColumnTable
  description: string
  kind: 'dataset' | 'prediction-log'
}

/** A dataset, or the server's prediction log (JSONL lines whose `inputs` are the rows the model saw). */
export async function loadCurrent(
  paths: readonly string[],
  format: 'auto' | 'dataset' | 'prediction-log',
  root: string,
  reference: ReferenceProfile,
): Promise<LoadedCurrent> {
  const logFiles =
    format === 'dataset' ? undefined : await predictionLogFiles(paths, root, format === 'prediction-log')
  if (logFiles === undefined) {
    const files = await expandDatasetPaths(paths, root)
    const table = await readColumns(files)
    return {
      table,
      kind: 'dataset',
      description: `${files.map((file) => relative(root, file)).join(', ')} (${table.rows.toLocaleString('en-US')} rows)`,
    }
  }
  const rows: Array<Record<string, unknown>> = []
  const origin: Array<{ file: string; line: number }> = []
  for (const file of logFiles) {
    const shown = relative(root, file)
    let line = 0
    for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      line++
      if (text.trim() === '') continue
      let record: unknown
      try {
        record = JSON.parse(text)
      } catch (error) {
        throw new DataError(`${shown}:${line}: not valid JSON (${(error as Error).message})`, {
          file: shown,
          line,
        })
      }
      const inputs = (record as { inputs?: unknown } | null)?.inputs
      if (inputs === null || typeof inputs !== 'object' || Array.isArray(inputs))
        throw new DataError(
          `${shown}:${line}: a prediction log line needs an "inputs" object, like {"ts": ..., "inputs": {"age": 63, ...}, "outputs": {...}}`,
          { file: shown, line },
        )
      rows.push(inputs as Record<string, unknown>)
      origin.push({ file: shown, line })
    }
  }
  const table = columnTableFromRows(rows, reference, (row) => origin[row]!)
  // Only the reference's columns are read from a log; ones the model never saw would be 'missing' noise.
  const present = new Set(rows.flatMap((row) => Object.keys(row)))
  table.columns = table.columns.filter((column) => present.has(column.name))
  table.files = logFiles
  return {
    table,
    kind: 'prediction-log',
    description: `prediction log ${logFiles.length === 1 ? relative(root, logFiles[0]!) : `(${logFiles.length} files)`} (${rows.length.toLocaleString('en-US')} predictions)`,
  }
}

/**
 * The log files, or undefined when the paths are a plain dataset: a folder is a log folder (its
 * predictions-*.jsonl, else every *.jsonl, in name order = time order); JSONL files whose first line has an
 * "inputs" object are logs.
 */
async function predictionLogFiles(
  paths: readonly string[],
  root: string,
  forced: boolean,
): Promise<string[] | undefined> {
  if (paths.length === 1) {
    const path = resolve(root, paths[0]!)
    if (existsSync(path) && statSync(path).isDirectory()) {
      const names = (await readdir(path)).filter((name) => name.endsWith('.jsonl')).sort()
      const logs = names.filter((name) => name.startsWith('predictions-'))
      const chosen = logs.length > 0 ? logs : names
      if (chosen.length === 0)
        throw new DataError(`${relative(root, path) || '.'} holds no .jsonl prediction log files`, {
          file: relative(root, path),
        })
      return chosen.map((name) => join(path, name))
    }
  }
  const files = await expandDatasetPaths(paths, root)
  if (forced) return files
  if (!files.every((file) => file.endsWith('.jsonl'))) return undefined
  return (await firstLineHasInputs(files[0]!)) ? files : undefined
}

async function firstLineHasInputs(file: string): Promise<boolean> {
  for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (text.trim() === '') continue
    try {
      const inputs = (JSON.parse(text) as { inputs?: unknown } | null)?.inputs
      return inputs !== null && typeof inputs === 'object' && !Array.isArray(inputs)
    } catch {
      return false
    }
  }
  return false
}
