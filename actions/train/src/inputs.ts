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
  IMAGE_TRAINERS,
  parseSearchSpace,
  tabularTrainer,
  TABULAR_TRAINERS,
  type ImageTrainer,
  type SearchSpace,
  type TabularTrainer,
} from '@mlops/ml'
import { parse } from 'yaml'

export const TASKS = ['tabular', 'image-classification'] as const

export interface Inputs {
  task: (typeof TASKS)[number]
  datasets: string[]
  /** Tabular only (image labels come from class folders or the labels CSV). */
  target: string
  trainer: TabularTrainer
  /** Image classification only. */
  imageTrainer: ImageTrainer | undefined
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

/** Image classification: `model-type` must be an image trainer, and the tabular-only inputs must be unset. */
function imageInputs(modelType: string | undefined, tabularOnly: Record<string, boolean>): ImageTrainer {
  const name = modelType ?? 'cnn'
  if (!(name in IMAGE_TRAINERS)) {
    throw new ConfigurationError(
      `Input 'model-type' '${name}' trains on tables; with task 'image-classification' it must be one of ${Object.keys(IMAGE_TRAINERS).join(', ')}`,
    )
  }
  const given = Object.keys(tabularOnly).filter((input) => tabularOnly[input])
  if (given.length > 0) {
    throw new ConfigurationError(
      `Input${given.length > 1 ? 's' : ''} ${given.map((i) => `'${i}'`).join(', ')} appl${given.length > 1 ? 'y' : 'ies'} to task 'tabular', not to 'image-classification' (labels come from the class folders or the labels CSV)`,
    )
  }
  return IMAGE_TRAINERS[name]!
}

/** Every input is read and checked before any data is read, so a typo fails in the first second. */
export function getInputs(): Inputs {
  const task = getEnumInput('task', TASKS, 'tabular')
  const given = getOptionalInput('model-type')
  if (task === 'tabular' && given !== undefined && given in IMAGE_TRAINERS) {
    throw new ConfigurationError(
      `Input 'model-type' '${given}' trains on images: set 'task: image-classification' and point 'dataset' at an image folder (class sub-folders) or a labels CSV (file,label)`,
    )
  }
  const modelType = task === 'tabular' ? (given ?? 'logistic-regression') : 'logistic-regression'
  if (!(modelType in TABULAR_TRAINERS)) {
    throw new ConfigurationError(
      `Input 'model-type' must be one of ${Object.keys(TABULAR_TRAINERS).join(', ')}, got '${modelType}'`,
    )
  }
  const imageTrainer =
    task === 'image-classification'
      ? imageInputs(given, {
          target: getOptionalInput('target') !== undefined,
          command: getOptionalInput('command') !== undefined,
          'exclude-columns': getOptionalInput('exclude-columns') !== undefined,
          'categorical-columns': getOptionalInput('categorical-columns') !== undefined,
          format: (getOptionalInput('format') ?? 'auto') !== 'auto',
        })
      : undefined
  const searchFile = getPathInput('search-space', { mustExist: 'file' })
  const command = getOptionalInput('command')
  const params = parseParams(getOptionalInput('params'))
  if (command !== undefined && (searchFile !== undefined || Object.keys(params).length > 0)) {
    throw new ConfigurationError(
      "Inputs 'params' and 'search-space' apply to the built-in trainers, not to 'command'",
    )
  }
  return {
    task,
    datasets: getListInput('dataset'),
    target: task === 'tabular' ? getRequiredInput('target') : 'label',
    trainer: tabularTrainer(modelType),
    imageTrainer,
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
