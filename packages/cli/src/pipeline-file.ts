import { readFile } from 'node:fs/promises'
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml'
import { UsageError } from './input-env.js'

/** One stage: an action of this repo with its inputs, like a workflow step with `uses: ./actions/<action>`. */
export interface PipelineStage {
  id: string
  action: string
  name: string
  with: Record<string, string>
  /** Line in the pipeline file, for messages. */
  line: number
  /** A long-running process (the model server) instead of an action: started, awaited ready, stopped at the end. */
  service?: ServiceSpec
  /** A shell command instead of an action, like a workflow's `run:` step. */
  run?: string
}

export interface ServiceSpec {
  /** Command and arguments, run in the workspace with PORT set to a free port. */
  command: string[]
  /** Path answered with 2xx once the service is ready. */
  ready: string
  env: Record<string, string>
  /** How long to wait for ready. */
  timeoutSeconds: number
}

export interface PipelineFile {
  file: string
  name: string
  stages: PipelineStage[]
}

/**
 * Reads a pipeline file: the stages of a workflow job, in order, with the same `${{ steps.<id>.outputs.<name> }}`
 * references between them, so the file reads like the workflow it stands in for on a laptop.
 *
 *     name: readmission
 *     stages:
 *       - id: train
 *         uses: train
 *         with: { dataset: data/train.csv, target: readmitted_30d }
 *       - uses: mlflow-register
 *         with: { bundle: '${{ steps.train.outputs.bundle }}', model-name: readmission }
 */
export function parsePipelineFile(text: string, file: string): PipelineFile {
  const counter = new LineCounter()
  const doc = parseDocument(text, { lineCounter: counter })
  const lineOf = (node: unknown) => {
    const range = (node as Node | undefined)?.range
    return range ? counter.linePos(range[0]).line : 1
  }
  const fail = (line: number, message: string): never => {
    throw new UsageError(`${file}:${line}: ${message}`)
  }
  if (doc.errors.length > 0)
    fail(counter.linePos(doc.errors[0]!.pos[0]).line, doc.errors[0]!.message.split('\n')[0]!)
  if (!isMap(doc.contents)) fail(1, 'a pipeline file is a mapping with name: and stages:')
  const root = doc.contents as unknown as { get(key: string, keep: true): unknown }
  const stagesNode = root.get('stages', true)
  if (!isSeq(stagesNode)) fail(1, 'stages: must be a list of { id, uses, with }')
  const stages: PipelineStage[] = []
  for (const item of (stagesNode as { items: unknown[] }).items) {
    const line = lineOf(item)
    if (!isMap(item)) fail(line, 'each stage is a mapping with uses: and with:')
    const stage = (item as { toJSON(): Record<string, unknown> }).toJSON()
    for (const key of Object.keys(stage)) {
      if (!['id', 'uses', 'name', 'with', 'service', 'run'].includes(key))
        fail(line, `unknown key '${key}' in a stage; expected id, uses, name, with, service, run`)
    }
    if (stage.run !== undefined) {
      if (typeof stage.run !== 'string' || stage.uses !== undefined || stage.service !== undefined)
        fail(line, 'run: is a command line, in a stage without uses: or service:')
      const id = typeof stage.id === 'string' ? stage.id : `run-${stages.length + 1}`
      if (stages.some((s) => s.id === id)) fail(line, `two stages have the id '${id}'; give one an id:`)
      const name = typeof stage.name === 'string' ? stage.name : id
      stages.push({ id, action: 'run', name, with: {}, line, run: stage.run as string })
      continue
    }
    if (stage.service !== undefined) {
      stages.push(parseServiceStage(stage, line, stages, fail))
      continue
    }
    if (typeof stage.uses !== 'string') fail(line, 'a stage needs uses: <action> (or service: or run:)')
    const id = typeof stage.id === 'string' ? stage.id : (stage.uses as string)
    if (stages.some((s) => s.id === id)) fail(line, `two stages have the id '${id}'; give one an id:`)
    const given = stage.with ?? {}
    if (typeof given !== 'object' || Array.isArray(given))
      fail(line, 'with: must be a mapping of input names to values')
    const inputs: Record<string, string> = {}
    for (const [key, value] of Object.entries(given as Record<string, unknown>)) {
      inputs[key] = typeof value === 'string' ? value : JSON.stringify(value)
    }
    stages.push({
      id,
      action: stage.uses as string,
      name: typeof stage.name === 'string' ? stage.name : (stage.uses as string),
      with: inputs,
      line,
    })
  }
  const name = root.get('name', true)
  return { file, name: isScalar(name) ? String(name.value) : file, stages }
}

function parseServiceStage(
  stage: Record<string, unknown>,
  line: number,
  earlier: PipelineStage[],
  fail: (line: number, message: string) => never,
): PipelineStage {
  if (typeof stage.id !== 'string') fail(line, 'a service stage needs an id:')
  const id = stage.id as string
  if (earlier.some((s) => s.id === id)) fail(line, `two stages have the id '${id}'; give one an id:`)
  if (stage.uses !== undefined) fail(line, 'a stage has either uses: or service:, not both')
  const spec = stage.service as Record<string, unknown>
  const command = typeof spec?.command === 'string' ? spec.command.split(/\s+/) : spec?.command
  if (!Array.isArray(command) || command.length === 0 || !command.every((c) => typeof c === 'string'))
    fail(line, 'service.command must be a command line or a list of arguments')
  for (const key of Object.keys(spec ?? {})) {
    if (!['command', 'ready', 'env', 'timeout-seconds'].includes(key))
      fail(line, `unknown key '${key}' in service; expected command, ready, env, timeout-seconds`)
  }
  const env = Object.fromEntries(
    Object.entries((spec.env ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
  )
  const timeout = Number(spec['timeout-seconds'] ?? 60)
  if (!(timeout > 0)) fail(line, 'service.timeout-seconds must be a positive number')
  return {
    id,
    action: 'service',
    name: typeof stage.name === 'string' ? stage.name : id,
    with: {},
    line,
    service: {
      command: command as string[],
      ready: typeof spec.ready === 'string' ? spec.ready : '/',
      env,
      timeoutSeconds: timeout,
    },
  }
}

export async function readPipelineFile(file: string): Promise<PipelineFile> {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new UsageError(`pipeline file ${file} not found`)
  })
  return parsePipelineFile(text, file)
}

const REFERENCE = /\$\{\{\s*steps\.([\w-]+)\.outputs\.([\w-]+)\s*\}\}/g

/** Replaces `${{ steps.<id>.outputs.<name> }}` with earlier stages' outputs; an unknown one is an error. */
export function substituteOutputs(
  value: string,
  outputs: ReadonlyMap<string, Record<string, string>>,
  where: string,
): string {
  return value.replace(REFERENCE, (_, id: string, name: string) => {
    const stage = outputs.get(id)
    if (!stage) throw new UsageError(`${where}: steps.${id} has not run before this stage`)
    const output = stage[name]
    if (output === undefined) {
      throw new UsageError(
        `${where}: steps.${id} has no output '${name}' (it set: ${Object.keys(stage).join(', ') || 'none'})`,
      )
    }
    return output
  })
}
