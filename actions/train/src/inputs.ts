import { readFileSync } from 'node:fs'
import { dvcRemoteSetting } from '@mlops/data'
import {
  ConfigurationError,
  getEnumInput,
  getListInput,
  getNumberInput,
  getOptionalInput,
  getPathInput,
  getRequiredInput,
} from '@mlops/kit'
import {
  parseSearchSpace,
  tabularTrainer,
  TABULAR_TRAINERS,
  type SearchSpace,
  type TabularTrainer,
} from '@mlops/ml'
import { parse } from 'yaml'

export interface Inputs {
  datasets: string[]
  target: string
  trainer: TabularTrainer
  params: Record<string, unknown>
  search: SearchSpace | undefined
  exclude: string[]
  categorical: string[]
  testSize: number
  seed: number
  outputDir: string
  command: string | undefined
  format: 'auto' | 'csv' | 'jsonl' | 'parquet'
  dvcRemote: ReturnType<typeof dvcRemoteSetting>
}

function parseParams(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {}
  let value: unknown
  try {
    value = parse(text)
  } catch (error) {
    throw new ConfigurationError(
      `Input 'params' is not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`,
    )
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigurationError(
      `Input 'params' must be a mapping such as '{C: 0.5, max_iter: 500}', got ${JSON.stringify(value)}`,
    )
  }
  return value as Record<string, unknown>
}

/** Every input is read and checked before any data is read, so a typo fails in the first second. */
export function getInputs(): Inputs {
  const modelType = getOptionalInput('model-type') ?? 'logistic-regression'
  if (!(modelType in TABULAR_TRAINERS)) {
    throw new ConfigurationError(
      `Input 'model-type' must be one of ${Object.keys(TABULAR_TRAINERS).join(', ')}, got '${modelType}'`,
    )
  }
  const searchFile = getPathInput('search-space', { mustExist: 'file' })
  const command = getOptionalInput('command')
  const params = parseParams(getOptionalInput('params'))
  if (command !== undefined && (searchFile !== undefined || Object.keys(params).length > 0)) {
    throw new ConfigurationError(
      "Inputs 'params' and 'search-space' apply to the built-in trainers, not to 'command'",
    )
  }
  return {
    datasets: getListInput('dataset'),
    target: getRequiredInput('target'),
    trainer: tabularTrainer(modelType),
    params,
    search:
      searchFile === undefined ? undefined : parseSearchSpace(readFileSync(searchFile, 'utf8'), searchFile),
    exclude: getListInput('exclude-columns'),
    categorical: getListInput('categorical-columns'),
    testSize: getNumberInput('test-size', { min: 0.01, max: 0.9 }),
    seed: getNumberInput('seed', { integer: true, min: 0 }),
    outputDir: getPathInput('output-dir') ?? 'model',
    command,
    format: getEnumInput('format', ['auto', 'csv', 'jsonl', 'parquet'] as const, 'auto'),
    dvcRemote: dvcRemoteSetting(getOptionalInput('dvc-remote')),
  }
}
