import { dvcRemoteSetting } from '@mlops/data'
import {
  ConfigurationError,
  getBooleanInput,
  getEnumInput,
  getListInput,
  getOptionalInput,
  getPathInput,
} from '@mlops/kit'

/** An image dataset to check instead of a table. */
export interface ImageInputs {
  /** A folder, or a DVC reference (`.dvc` file, `dvc.lock:<path>`) to a tracked folder; undefined: auto-detect. */
  folder: string | undefined
  labels: string | undefined
  masks: string | undefined
  maskClasses: number[] | undefined
}

export interface Inputs {
  datasets: string[]
  images: ImageInputs
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

/** `0, 1, 2` or `0-20, 255`: the values a segmentation mask may hold. */
export function parseMaskClasses(raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined
  const values = new Set<number>()
  for (const item of raw.split(/[\s,]+/).filter(Boolean)) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(item)
    const from = range ? Number(range[1]) : NaN
    const to = range?.[2] === undefined ? from : Number(range[2])
    if (!range || to < from || to > 255) {
      throw new ConfigurationError(
        `Input 'mask-classes' takes whole numbers 0-255 and ranges such as '0-20', got '${item}'`,
      )
    }
    for (let v = from; v <= to; v++) values.add(v)
  }
  if (values.size === 0) throw new ConfigurationError(`Input 'mask-classes' is set but lists no values`)
  return [...values].sort((a, b) => a - b)
}

/** Every input is read and checked here, before any data is touched, so a typo fails in the first second. */
export function getInputs(): Inputs {
  const datasets = getListInput('dataset')
  const folder = getOptionalInput('images')
  if (datasets.length === 0 && folder === undefined) {
    throw new ConfigurationError(
      "Set input 'dataset' (CSV, JSONL or Parquet files) or 'images' (a folder of PNG or JPEG images).",
    )
  }
  if (datasets.length > 0 && folder !== undefined) {
    throw new ConfigurationError("Set either 'dataset' or 'images', not both: one run checks one dataset.")
  }
  const rawDelimiter = getOptionalInput('delimiter') ?? 'auto'
  const delimiter = DELIMITER_NAMES[rawDelimiter.toLowerCase()] ?? rawDelimiter
  if (delimiter.length !== 1 && delimiter !== 'auto') {
    throw new ConfigurationError(
      `Input 'delimiter' must be one character, 'auto' or '\\t', got '${rawDelimiter}'`,
    )
  }
  return {
    datasets,
    images: {
      folder,
      labels: getPathInput('labels', { mustExist: 'file' }),
      masks: getPathInput('masks', { mustExist: 'directory' }),
      maskClasses: parseMaskClasses(getOptionalInput('mask-classes')),
    },
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
