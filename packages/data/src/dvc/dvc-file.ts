import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { isMap, isScalar, isSeq } from 'yaml'
import { DataError } from '../errors.js'
import { readTrackedOut, type DvcOut } from './tracked-out.js'
import { parseYamlSource } from './yaml-source.js'

/** A `.dvc` file, as written by `dvc add` or `dvc import`. */
export interface DvcFile {
  file: string
  outs: DvcOut[]
}

export async function readDvcFile(file: string): Promise<DvcFile> {
  return parseDvcFile(await readDvcText(file, '.dvc file'), file)
}

/**
 * Parses `outs: [{md5, size, nfiles?, hash: md5, path}]`. Out paths are relative to the file's directory,
 * or to its `wdir` when an old DVC wrote one.
 */
export function parseDvcFile(text: string, file: string): DvcFile {
  const source = parseYamlSource(text, file)
  const root = source.root
  if (!isMap(root)) return source.fail('a .dvc file must be a mapping with an `outs:` list', root)
  const wdirNode = root.get('wdir', true)
  const wdir = isScalar(wdirNode) && wdirNode.value !== null ? String(wdirNode.value) : '.'
  const baseDir = resolve(dirname(resolve(file)), wdir)
  const outsNode = root.get('outs', true)
  if (outsNode === undefined) return source.fail('no `outs:` list: this is not a .dvc file DVC wrote', root)
  if (!isSeq(outsNode) || outsNode.items.length === 0)
    return source.fail('`outs` must be a list with at least one out', outsNode)
  return { file, outs: outsNode.items.map((item) => readTrackedOut(item, source, baseDir)) }
}

export async function readDvcText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new DataError(
      code === 'ENOENT' ? `${what} not found: ${file}` : `cannot read ${what} ${file}: ${code}`,
      { file },
      { cause: error },
    )
  }
}
