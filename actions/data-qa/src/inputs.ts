import { dvcRemoteSetting } from '@mlops/data'
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
  dvcRemote: ReturnType<typeof dvcRemoteSetting>
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
    dvcRemote: dvcRemoteSetting(getOptionalInput('dvc-remote')),
  }
}
