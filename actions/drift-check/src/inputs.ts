import { existsSync, readFileSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { DRIFT_METHODS, type ColumnDriftOptions, type DriftMethod } from '@mlops/data'
import {
  ConfigurationError,
  getBooleanInput,
  getEnumInput,
  getListInput,
  getNumberInput,
  getOptionalInput,
  getPathInput,
  getRequiredInput,
  getSecretInput,
} from '@mlops/kit'
import { parse } from 'yaml'

export interface GitHubInputs {
  token: string
  owner: string
  repo: string
}

export interface Inputs {
  reference: string[]
  current: string[]
  currentFormat: 'auto' | 'dataset' | 'prediction-log'
  columns: string[]
  exclude: string[]
  /** Per-column options; `source` names where they came from for error messages. */
  columnOptions: { source: string; options: Record<string, ColumnDriftOptions> }
  shareThreshold: number
  minSamples: number
  failOnDrift: boolean
  reportPath: string
  issue: { title: string; marker: string } | undefined
  dispatch: { workflow: string; ref: string; inputs: Record<string, string> } | undefined
  github: GitHubInputs | undefined
}

const MARKER = /^[A-Za-z0-9_.-]+$/

/** Inline YAML/JSON, or a path to a .yml/.yaml/.json file holding it. */
function readColumnOptions(raw: string | undefined): Inputs['columnOptions'] {
  if (raw === undefined) return { source: "input 'column-options'", options: {} }
  const root = process.env['GITHUB_WORKSPACE'] || process.cwd()
  const looksLikeFile = /\.(ya?ml|json)$/i.test(raw.trim()) && !raw.includes('\n')
  let text = raw
  let source = "input 'column-options'"
  if (looksLikeFile) {
    const path = resolve(root, raw.trim())
    if (!existsSync(path) || !statSync(path).isFile())
      throw new ConfigurationError(
        `Input 'column-options' names the file ${raw.trim()}, but ${path} does not exist`,
      )
    text = readFileSync(path, 'utf8')
    source = raw.trim()
  }
  let value: unknown
  try {
    value = parse(text)
  } catch (error) {
    throw new ConfigurationError(
      `${source} is not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`,
      {
        ...(looksLikeFile && { file: source }),
      },
    )
  }
  if (value === null || value === undefined) return { source, options: {} }
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ConfigurationError(
      `${source} must map column names to options, e.g. '{age: {method: ks, threshold: 0.01}}'`,
    )
  const options: Record<string, ColumnDriftOptions> = {}
  for (const [column, spec] of Object.entries(value as Record<string, unknown>)) {
    const where = `${source}, column '${column}'`
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec))
      throw new ConfigurationError(
        `${where}: expected '{method: ..., threshold: ...}', got ${JSON.stringify(spec)}`,
      )
    const entry: ColumnDriftOptions = {}
    for (const [key, setting] of Object.entries(spec as Record<string, unknown>)) {
      if (key === 'method') {
        if (!DRIFT_METHODS.includes(setting as DriftMethod))
          throw new ConfigurationError(
            `${where}: method must be one of ${DRIFT_METHODS.join(', ')}, got ${JSON.stringify(setting)}`,
          )
        entry.method = setting as DriftMethod
      } else if (key === 'threshold') {
        if (typeof setting !== 'number' || !Number.isFinite(setting) || setting < 0)
          throw new ConfigurationError(
            `${where}: threshold must be a number >= 0, got ${JSON.stringify(setting)}`,
          )
        entry.threshold = setting
      } else throw new ConfigurationError(`${where}: unknown option '${key}' (use method, threshold)`)
    }
    options[column] = entry
  }
  return { source, options }
}

function readDispatchInputs(raw: string | undefined): Record<string, string> {
  if (raw === undefined) return {}
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch (error) {
    throw new ConfigurationError(`Input 'dispatch-inputs' is not valid JSON: ${(error as Error).message}`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ConfigurationError(
      `Input 'dispatch-inputs' must be a JSON object such as '{"reason": "drift"}'`,
    )
  // workflow_dispatch inputs are strings (booleans and numbers arrive as their text).
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [
      k,
      typeof v === 'string' ? v : JSON.stringify(v),
    ]),
  )
}

/** Every input is read and checked before any data is read, so a typo fails in the first second. */
export function getInputs(): Inputs {
  const reference = getListInput('reference')
  if (reference.length === 0) getRequiredInput('reference')
  const current = getListInput('current')
  if (current.length === 0) getRequiredInput('current')
  const openIssue = getBooleanInput('open-issue', false)
  const workflow = getOptionalInput('dispatch-workflow')
  const token = getSecretInput('github-token')
  let github: GitHubInputs | undefined
  if (openIssue || workflow !== undefined) {
    const why = openIssue ? "'open-issue'" : "'dispatch-workflow'"
    if (token === undefined)
      throw new ConfigurationError(
        `Input 'github-token' is required with ${why}, e.g. github-token: \${{ github.token }}`,
      )
    const repository = getOptionalInput('repository') ?? process.env['GITHUB_REPOSITORY']
    const [owner, repo, ...rest] = (repository ?? '').split('/')
    if (!owner || !repo || rest.length > 0)
      throw new ConfigurationError(
        `Input 'repository' must be owner/name (it defaults to GITHUB_REPOSITORY), got '${repository ?? ''}'`,
      )
    github = { token, owner, repo }
  }
  const marker = getOptionalInput('issue-marker') ?? 'drift-check'
  if (!MARKER.test(marker))
    throw new ConfigurationError(
      `Input 'issue-marker' may hold letters, digits and . _ - only, got '${marker}'`,
    )
  return {
    reference,
    current,
    currentFormat: getEnumInput('current-format', ['auto', 'dataset', 'prediction-log'] as const, 'auto'),
    columns: getListInput('columns'),
    exclude: getListInput('exclude-columns'),
    columnOptions: readColumnOptions(getOptionalInput('column-options')),
    shareThreshold: getNumberInput('share-threshold', { min: 0, max: 1, default: 0.5 }),
    minSamples: getNumberInput('min-samples', { integer: true, min: 1, default: 30 }),
    failOnDrift: getBooleanInput('fail-on-drift', false),
    reportPath:
      getPathInput('report-path') ??
      resolve(process.env['GITHUB_WORKSPACE'] || process.cwd(), 'drift-report.json'),
    issue: openIssue
      ? { title: getOptionalInput('issue-title') ?? 'Data drift detected', marker }
      : undefined,
    dispatch:
      workflow === undefined
        ? undefined
        : {
            workflow,
            ref: getOptionalInput('dispatch-ref') ?? 'main',
            inputs: readDispatchInputs(getOptionalInput('dispatch-inputs')),
          },
    github,
  }
}
