import { LineCounter, parseDocument } from 'yaml'
import { DataError } from '../errors.js'

/** A parsed DVC YAML file that can point at the line of any of its nodes. */
export interface YamlSource {
  file: string
  root: unknown
  lineOf: (node: unknown) => number
  fail: (message: string, node?: unknown) => never
}

/**
 * Parses with the failsafe schema, so every scalar stays the string DVC wrote: an md5 such as `12e4...`
 * would otherwise turn into a float. Numbers are converted by the callers that expect them.
 */
export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    schema: 'failsafe',
  })
  const lineOf = (node: unknown): number => {
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range
    return range ? lineCounter.linePos(range[0]).line : 1
  }
  const fail = (message: string, node?: unknown): never => {
    const line = lineOf(node)
    throw new DataError(`${file}:${line}: ${message}`, { file, line })
  }
  const firstError = document.errors[0]
  if (firstError) {
    const line = lineCounter.linePos(firstError.pos[0]).line
    const reason = firstError.message.split('\n')[0] ?? firstError.message
    throw new DataError(`${file}:${line}: invalid YAML: ${reason}`, { file, line })
  }
  return { file, root: document.contents, lineOf, fail }
}
