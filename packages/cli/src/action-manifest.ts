import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'yaml'

export interface ActionInput {
  name: string
  required: boolean
  default: string | undefined
  description: string
}

export interface ActionManifest {
  name: string
  description: string
  inputs: ActionInput[]
  outputs: Array<{ name: string; description: string }>
  main: string
  using: string
}

/** Reads an action.yml the way the runner does: inputs with their defaults, outputs, and the entry point. */
export function parseActionManifest(text: string, file: string): ActionManifest {
  const doc = parse(text) as Record<string, unknown> | null
  const runs = doc?.runs as Record<string, unknown> | undefined
  if (!doc || typeof runs?.main !== 'string' || typeof runs.using !== 'string') {
    throw new Error(`${file}: not a JavaScript action (runs.using and runs.main are required)`)
  }
  const inputs = Object.entries((doc.inputs ?? {}) as Record<string, Record<string, unknown>>).map(
    ([name, spec]) => ({
      name,
      required: spec?.required === true,
      default: spec?.default === undefined ? undefined : String(spec.default),
      description: String(spec?.description ?? ''),
    }),
  )
  const outputs = Object.entries((doc.outputs ?? {}) as Record<string, Record<string, unknown>>).map(
    ([name, spec]) => ({
      name,
      description: String(spec?.description ?? ''),
    }),
  )
  return {
    name: String(doc.name ?? ''),
    description: String(doc.description ?? ''),
    inputs,
    outputs,
    main: runs.main,
    using: runs.using,
  }
}

export async function readActionManifest(actionDir: string): Promise<ActionManifest> {
  const file = join(actionDir, 'action.yml')
  return parseActionManifest(await readFile(file, 'utf8'), file)
}
