import { readFileSync } from 'node:fs'
import {
  ConfigurationError,
  getBooleanInput,
  getEnumInput,
  getListInput,
  getNumberInput,
  getOptionalInput,
  getPathInput,
  getRequiredInput,
} from '@mlops/kit'
import { GREATER_IS_BETTER, parseGateThresholds, type GateThresholds, type MetricName } from '@mlops/ml'

export interface Inputs {
  candidate: string
  datasets: string[]
  /** The holdout's label column; undefined: the models' target. */
  target: string | undefined
  /** undefined: the champion alias of the candidate's registered model, if it is registered. */
  baseline: string | undefined
  thresholds: GateThresholds
  format: 'auto' | 'csv' | 'jsonl' | 'parquet'
  promote: boolean
  championAlias: string
  gateName: string
  comment: boolean
  /** undefined outside a runner (the literal default expression) or when empty. */
  token: string | undefined
  history: number
  reportDir: string
  trackingUri: string | undefined
  mlrunsDir: string
}

function readThresholds(): GateThresholds {
  let inline = getOptionalInput('thresholds')
  let file = getPathInput('thresholds-file', { mustExist: 'file' })
  // One line naming a .yml/.yaml file: the reusable workflows pass "a YAML string or a file" through one input.
  if (inline !== undefined && /^[^\n{}:]+\.ya?ml$/i.test(inline)) {
    if (file !== undefined)
      throw new ConfigurationError("Set either 'thresholds' or 'thresholds-file', not both")
    file = getPathInput('thresholds', { mustExist: 'file' })
    inline = undefined
  }
  if (inline !== undefined && file !== undefined) {
    throw new ConfigurationError("Set either 'thresholds' or 'thresholds-file', not both")
  }
  const thresholds =
    file !== undefined
      ? parseGateThresholds(readFileSync(file, 'utf8'), file)
      : parseGateThresholds(inline ?? '', inline === undefined ? 'defaults' : "input 'thresholds'")
  const primary = getOptionalInput('primary-metric')
  if (primary !== undefined) {
    if (!(primary in GREATER_IS_BETTER)) {
      throw new ConfigurationError(
        `Input 'primary-metric' must be one of ${Object.keys(GREATER_IS_BETTER).join(', ')}, got '${primary}'`,
      )
    }
    thresholds.primary = primary as MetricName
  }
  if (getOptionalInput('require-significance') !== undefined) {
    thresholds.requireSignificance = getBooleanInput('require-significance', false)
  }
  return thresholds
}

// MLflow's alias rules: letters, digits, _ and -; `latest` and `v<N>` are reserved.
function checkAlias(alias: string): string {
  if (!/^[\w-]+$/.test(alias) || alias.toLowerCase() === 'latest' || /^v\d+$/i.test(alias)) {
    throw new ConfigurationError(
      `Input 'champion-alias' must be letters, digits, _ and - (not latest or v<N>), got '${alias}'`,
    )
  }
  return alias
}

/** Every input is read and checked before any model or data is loaded, so a typo fails at once. */
export function getInputs(): Inputs {
  const token = getOptionalInput('github-token')
  const gateName = getOptionalInput('gate-name') ?? 'quality-gate'
  if (!/^[A-Za-z0-9_.:/@-]+$/.test(gateName) || gateName.includes('--')) {
    throw new ConfigurationError(
      `Input 'gate-name' may hold letters, digits and . _ : / @ - (no '--'), got '${gateName}'`,
    )
  }
  const baseline = getOptionalInput('baseline')
  const datasets = getListInput('holdout')
  if (datasets.length === 0)
    throw new ConfigurationError("Input 'holdout' is required: the holdout data file(s)")
  return {
    candidate: getRequiredInput('candidate'),
    datasets,
    target: getOptionalInput('target'),
    baseline,
    thresholds: readThresholds(),
    format: getEnumInput('format', ['auto', 'csv', 'jsonl', 'parquet'] as const, 'auto'),
    promote: getBooleanInput('promote', false),
    championAlias: checkAlias(getOptionalInput('champion-alias') ?? 'champion'),
    gateName,
    comment: getBooleanInput('comment', true),
    // Run outside GitHub (mlops CLI), the default is the unexpanded expression: no token.
    token: token === undefined || token.startsWith('${{') ? undefined : token,
    history: getNumberInput('history', { integer: true, min: 0, max: 100, default: 10 }),
    reportDir: getPathInput('report-dir') ?? 'quality-gate',
    trackingUri: getOptionalInput('tracking-uri'),
    mlrunsDir: getPathInput('mlruns-dir') ?? 'mlruns',
  }
}
