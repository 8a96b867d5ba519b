import { glob, stat } from 'node:fs/promises'
import { extname, isAbsolute, resolve } from 'node:path'
import { openCsv } from './csv.js'
import { DataError } from './errors.js'
import { openJsonl } from './jsonl.js'
import { openParquet } from './parquet.js'
import type { TableFormat, TableReader } from './types.js'

export interface OpenTableOptions {
  /** Default 'auto': decided by the file extension. */
  format?: 'auto' | TableFormat
  /** CSV only: one character or 'auto'. Default ',' (tab for .tsv). */
  delimiter?: string
  /** CSV only: unquoted cells that mean "missing". JSONL and Parquet have real nulls. */
  nullValues?: string[]
}

const FORMAT_BY_EXTENSION: Readonly<Record<string, TableFormat>> = {
  '.csv': 'csv',
  '.tsv': 'csv',
  '.txt': 'csv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.parquet': 'parquet',
}

export const TABLE_EXTENSIONS: readonly string[] = Object.keys(FORMAT_BY_EXTENSION)

export async function openTable(file: string, options: OpenTableOptions = {}): Promise<TableReader> {
  const extension = extname(file).toLowerCase()
  const format =
    !options.format || options.format === 'auto' ? FORMAT_BY_EXTENSION[extension] : options.format
  if (!format) {
    throw new DataError(
      `${file}: cannot tell the format from the extension '${extension}'; use one of ${TABLE_EXTENSIONS.join(', ')} or set the format (csv, jsonl, parquet)`,
      { file },
    )
  }
  await checkIsFile(file)
  switch (format) {
    case 'csv': {
      const delimiter = options.delimiter ?? (extension === '.tsv' ? '\t' : ',')
      return openCsv(file, { delimiter, ...(options.nullValues ? { nullValues: options.nullValues } : {}) })
    }
    case 'jsonl':
      return openJsonl(file)
    case 'parquet':
      return openParquet(file)
  }
}

async function checkIsFile(file: string): Promise<void> {
  let isFile: boolean
  try {
    isFile = (await stat(file)).isFile()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new DataError(`file not found: ${file}`, { file })
    throw error
  }
  if (!isFile) throw new DataError(`${file}: not a regular file`, { file })
}

/**
 * Expands dataset patterns (`*`, `**`, `?`) against `cwd` into absolute file paths: each pattern's matches in
 * sorted order, patterns in the order given, no duplicates. A pattern that matches no file is an error, since a
 * typo would otherwise check nothing and pass.
 */
export async function expandDatasetPaths(patterns: readonly string[], cwd: string): Promise<string[]> {
  const expanded: string[] = []
  const seen = new Set<string>()
  for (const pattern of patterns) {
    const matches: string[] = []
    if (/[*?[]/.test(pattern)) {
      for await (const entry of glob(pattern, { cwd, withFileTypes: true })) {
        if (entry.isFile()) matches.push(resolve(entry.parentPath, entry.name))
      }
    } else {
      const path = isAbsolute(pattern) ? pattern : resolve(cwd, pattern)
      if (
        await stat(path).then(
          (info) => info.isFile(),
          () => false,
        )
      )
        matches.push(path)
    }
    if (matches.length === 0) {
      throw new DataError(`no files match '${pattern}' (relative to ${cwd})`, { file: pattern })
    }
    matches.sort()
    for (const match of matches) {
      if (seen.has(match)) continue
      seen.add(match)
      expanded.push(match)
    }
  }
  return expanded
}
