import { readFile, stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { ConfigurationError } from '@mlops/kit'
import { readModelBundle, type ModelBundle } from '@mlops/ml'
import {
  downloadModel,
  hasErrorCode,
  parseModelUri,
  RESOURCE_DOES_NOT_EXIST,
  INVALID_PARAMETER_VALUE,
  type ModelVersion,
  type TrackingStore,
} from '@mlops/mlflow'

/** A registered model version, when the model came through the registry. */
export interface RegistryRef {
  name: string
  version: string
}

export type LoadedModel =
  | { kind: 'bundle'; bundle: ModelBundle; label: string; registry: RegistryRef | undefined }
  | { kind: 'metrics'; metrics: Record<string, number>; label: string }

export const isRegistryUri = (value: string): boolean => /^(models|runs):\//i.test(value.trim())

/** The registered model name of a models:/ URI, for the default baseline and for promotion. */
export function registeredName(uri: string): string | undefined {
  if (!/^models:\//i.test(uri.trim())) return undefined
  const parsed = parseModelUri(uri)
  return 'name' in parsed ? parsed.name : undefined
}

/** Downloads a registered model (or a runs:/ one) into a fresh folder and reads it as a bundle. */
export async function loadFromRegistry(
  uri: string,
  store: TrackingStore,
  dest: string,
): Promise<{ bundle: ModelBundle; version: ModelVersion | undefined }> {
  const downloaded = await downloadModel(uri, store, dest)
  return { bundle: await readModelBundle(downloaded.path), version: downloaded.modelVersion }
}

/** An alias that does not exist (yet) is "no champion", not an error: the first model has none. */
export function isMissingAlias(error: unknown): boolean {
  return hasErrorCode(error, INVALID_PARAMETER_VALUE) || hasErrorCode(error, RESOURCE_DOES_NOT_EXIST)
}

/** train's metrics.json ({metrics: {...}}), a bundle.json, or a flat {metric: value} object. */
export function metricsFromJson(text: string, file: string): Record<string, number> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new ConfigurationError(`${file} is not valid JSON: ${(error as Error).message}`)
  }
  const holder = (value as { metrics?: unknown } | null)?.metrics ?? value
  if (holder === null || typeof holder !== 'object' || Array.isArray(holder)) {
    throw new ConfigurationError(`${file} holds no metrics object ({"metrics": {"roc_auc": 0.71, ...}})`)
  }
  const metrics = Object.fromEntries(
    Object.entries(holder).filter((entry): entry is [string, number] => typeof entry[1] === 'number'),
  )
  if (Object.keys(metrics).length === 0) throw new ConfigurationError(`${file} holds no numeric metrics`)
  return metrics
}

/** A local baseline or candidate: a bundle folder, or (baseline only) a metrics JSON file. */
export async function loadLocal(
  path: string,
  input: string,
  label: string,
  allowMetrics: boolean,
): Promise<LoadedModel> {
  const full = resolve(path)
  const stats = await stat(full).catch(() => undefined)
  if (stats === undefined) {
    throw new ConfigurationError(
      `Input '${input}' is '${label}', which is neither a models:/ URI nor an existing folder or file`,
    )
  }
  if (stats.isDirectory())
    return { kind: 'bundle', bundle: await readModelBundle(full), label, registry: undefined }
  if (allowMetrics && full.endsWith('.json')) {
    return { kind: 'metrics', metrics: metricsFromJson(await readFile(full, 'utf8'), label), label }
  }
  throw new ConfigurationError(
    `Input '${input}' must be a model bundle folder${allowMetrics ? ' or a metrics .json file' : ''}, got the file '${label}'`,
  )
}
