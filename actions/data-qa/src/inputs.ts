import {
  ConfigurationError,
  getBooleanInput,
  getEnumInput,
  getListInput,
  getOptionalInput,
  getPathInput,
  getRequiredInput,
} from '@mlops/kit'

export interface Inputs {
  datasets: string[]
  format: 'auto' | 'csv' | 'jsonl' | 'parquet'
  delimiter: string | undefined
  expectations: string | undefined
  labelColumn: string | undefined
  testDatasets: string[]
  failOn: 'error' | 'warning'
  reportDir: string
  annotations: boolean
  dvcRemote: { remoteName: string } | { remote: { url: string } } | undefined
}

const DELIMITER_NAMES: Record<string, string> = {
  auto: 'auto',
  '\\t': '\t',
  tab: '\t',
  comma: ',',
  semicolon: ';',
  pipe: '|',
}

/** Every input is read and checked here, before any data is touched, so a typo fails in the first second. */
export function getInputs(): Inputs {
  getRequiredInput('dataset')
  const rawDelimiter = getOptionalInput('delimiter') ?? 'auto'
  const delimiter = DELIMITER_NAMES[rawDelimiter.toLowerCase()] ?? rawDelimiter
  if (delimiter.length !== 1 && delimiter !== 'auto') {
    throw new ConfigurationError(
      `Input 'delimiter' must be one character, 'auto' or '\\t', got '${rawDelimiter}'`,
    )
  }
  return {
    datasets: getListInput('dataset'),
    format: getEnumInput('format', ['auto', 'csv', 'jsonl', 'parquet'] as const, 'auto'),
    delimiter: delimiter === 'auto' ? undefined : delimiter,
    expectations: getPathInput('expectations', { mustExist: 'file' }),
    labelColumn: getOptionalInput('label-column'),
    testDatasets: getListInput('test-dataset'),
    failOn: getEnumInput('fail-on', ['error', 'warning'] as const, 'error'),
    reportDir: getPathInput('report-dir', {}) ?? 'data-qa-report',
    annotations: getBooleanInput('annotations', true),
    dvcRemote: dvcRemoteInput(getOptionalInput('dvc-remote')),
  }
}

/** `dvc-remote`: a URL replaces the configured remote's url; a bare word picks a remote of .dvc/config. */
function dvcRemoteInput(value: string | undefined): Inputs['dvcRemote'] {
  if (value === undefined) return undefined
  if (value.startsWith('s3://')) return { remote: { url: value } }
  if (/^[A-Za-z0-9_.-]+$/.test(value)) return { remoteName: value }
  throw new ConfigurationError(
    `Input 'dvc-remote' must be a remote name from .dvc/config or an s3:// URL, got '${value}'`,
  )
}
