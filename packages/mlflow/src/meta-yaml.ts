import { randomBytes } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { parse, stringify } from 'yaml'

// MLflow reads these files with PyYAML, which speaks YAML 1.1: in 1.1 a bare `yes`, `on` or `0x1F` is
// not a string, so strings like that must be quoted. The 1.1 schema on both sides keeps them strings.
const OPTIONS = { version: '1.1', singleQuote: true } as const

export async function readMetaYaml(path: string): Promise<Record<string, unknown>> {
  const parsed: unknown = parse(await readFile(path, 'utf8'), { version: '1.1' })
  return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {}
}

/** Written to a temp file and renamed, so `mlflow ui` never reads half a file. */
export async function writeMetaYaml(path: string, fields: Record<string, unknown>): Promise<void> {
  const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`
  await writeFile(temp, stringify(fields, OPTIONS))
  await rename(temp, path)
}

/** meta.yaml numbers: null (`end_time` of a running run) and blanks mean "not set". */
export function optionalNumber(value: unknown): number | undefined {
  if (value === null || value === undefined || value === '') return undefined
  const n = Number(value)
  return Number.isFinite(n) ? n : undefined
}
