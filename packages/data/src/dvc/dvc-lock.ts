import { dirname, resolve } from 'node:path'
import { isMap, isScalar, isSeq, type YAMLMap } from 'yaml'
import { didYouMean } from '../closest-match.js'
import { DataError } from '../errors.js'
import { readDvcText } from './dvc-file.js'
import { normalizeOutPath, readTrackedOut, type DvcOut } from './tracked-out.js'
import { parseYamlSource, type YamlSource } from './yaml-source.js'

export interface DvcLockStage {
  name: string
  line: number
  outs: DvcOut[]
  /** Dependency paths: only for telling a user that the path they asked for is an input, not an output. */
  deps: string[]
}

/** `dvc.lock`: the md5 of every stage's outputs after the last `dvc repro`. */
export interface DvcLock {
  file: string
  stages: DvcLockStage[]
}

export async function readDvcLock(file: string): Promise<DvcLock> {
  return parseDvcLock(await readDvcText(file, 'dvc.lock'), file)
}

/**
 * Parses `schema: '2.0'` with `stages: {<name>: {cmd, deps, outs}}`, and the DVC 1.x form with the stages
 * at the top level. Out paths are relative to the lock file's directory.
 */
export function parseDvcLock(text: string, file: string): DvcLock {
  const source = parseYamlSource(text, file)
  const root = source.root
  if (!isMap(root)) return source.fail('dvc.lock must be a mapping with a `stages:` mapping', root)
  const baseDir = dirname(resolve(file))
  const stagesNode = root.has('stages') ? root.get('stages', true) : root.has('schema') ? undefined : root
  if (!isMap(stagesNode)) return source.fail('`stages` must be a mapping of stage names', stagesNode ?? root)
  const stages: DvcLockStage[] = []
  for (const pair of stagesNode.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : ''
    const stage = pair.value
    if (!isMap(stage))
      source.fail(`stage '${name}' must be a mapping with \`cmd\`, \`deps\` and \`outs\``, stage)
    stages.push({
      name,
      line: source.lineOf(pair.key),
      outs: listOf(stage as YAMLMap, 'outs', name, source).map((item) =>
        readTrackedOut(item, source, baseDir),
      ),
      deps: listOf(stage as YAMLMap, 'deps', name, source).map((item) => {
        const path = isMap(item) ? item.get('path') : undefined
        return typeof path === 'string' ? path : ''
      }),
    })
  }
  return { file, stages }
}

function listOf(stage: YAMLMap, key: string, name: string, source: YamlSource): unknown[] {
  const node = stage.get(key, true)
  if (node === undefined || node === null) return []
  if (!isSeq(node)) return source.fail(`\`${key}\` of stage '${name}' must be a list`, node)
  return node.items
}

/** Finds the out at `outPath` (as written in dvc.lock, relative to its directory) among all stages. */
export function selectLockOut(lock: DvcLock, outPath: string): DvcOut {
  const wanted = normalizeOutPath(outPath)
  for (const stage of lock.stages) {
    const out = stage.outs.find((candidate) => normalizeOutPath(candidate.path) === wanted)
    if (out) return out
  }
  const file = lock.file
  const consumer = lock.stages.find((stage) => stage.deps.some((dep) => normalizeOutPath(dep) === wanted))
  if (consumer) {
    throw new DataError(
      `${file}:${consumer.line}: '${outPath}' is a dependency of stage '${consumer.name}', not an output: ` +
        'DVC pushes only outputs (fetch the .dvc file that tracks it instead)',
      { file, line: consumer.line },
    )
  }
  const paths = lock.stages.flatMap((stage) => stage.outs.map((out) => out.path))
  throw new DataError(
    `${file}: no stage has an out '${outPath}'${didYouMean(outPath, paths)}; outs: ${paths.join(', ') || 'none'}`,
    { file },
  )
}
