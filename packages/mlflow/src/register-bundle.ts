import { readFile, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { MlflowError } from './errors.js'
import type { TrackingStore } from './tracking-store.js'
import type { KeyValue, MetricInput, ModelVersion } from './types.js'

/** The tag that makes registration idempotent: re-running one workflow run finds its version by it. */
export const RUN_KEY_TAG = 'mlops_actions_run_key'
/** MLflow's own limit for a param value (longer ones are refused by the server). */
const PARAM_VALUE_LIMIT = 6000

export interface RegisterBundleOptions {
  store: TrackingStore
  bundleDir: string
  experiment: string
  modelName: string
  alias: string
  runName?: string
  /** Identifies the workflow run (server/repo/run id); the same key never registers twice. undefined: always new. */
  runKey?: string
  /** Tags for the run: git sha, ref, workflow URL... plus the user's. */
  tags?: Record<string, string>
  /** Extra files logged under the run's `reports/` artifact folder. */
  reports?: string[]
  userId?: string
  now?: () => number
}

export interface RegisterBundleResult {
  runId: string
  experimentId: string
  version: string
  modelUri: string
  aliasUri: string
  /** true when an earlier attempt of the same workflow run had already registered it. */
  reused: boolean
}

interface BundleJson {
  params?: Record<string, unknown>
  metrics?: Record<string, unknown>
  /** Per-step values for learning curves: metric -> value at step i. */
  curves?: Record<string, unknown>
  dataHash?: string
  modelType?: string
}

async function readBundleJson(bundleDir: string): Promise<BundleJson> {
  if (!(await stat(join(bundleDir, 'MLmodel')).catch(() => undefined))?.isFile()) {
    throw new MlflowError(`${bundleDir} is not an MLflow model folder: it has no MLmodel file`, {
      errorCode: 'INVALID_MODEL',
    })
  }
  try {
    return JSON.parse(await readFile(join(bundleDir, 'bundle.json'), 'utf8')) as BundleJson
  } catch (error) {
    // A bring-your-own model folder may have no bundle.json: register it without params and metrics.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new MlflowError(`${join(bundleDir, 'bundle.json')} is not valid JSON`, {
      errorCode: 'INVALID_MODEL',
    })
  }
}

/** Params are strings in MLflow; objects become JSON. Over-long values are refused by the server, so say so here. */
function paramsOf(bundle: BundleJson): KeyValue[] {
  return Object.entries(bundle.params ?? {}).map(([key, value]) => {
    const text = typeof value === 'string' ? value : JSON.stringify(value)
    if (text.length > PARAM_VALUE_LIMIT) {
      throw new MlflowError(
        `param '${key}' is ${text.length} characters; MLflow accepts at most ${PARAM_VALUE_LIMIT}`,
        {
          errorCode: 'INVALID_PARAMETER_VALUE',
        },
      )
    }
    return { key, value: text }
  })
}

function metricsOf(bundle: BundleJson, timestamp: number): MetricInput[] {
  const finals = Object.entries(bundle.metrics ?? {})
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
    .map(([key, value]) => ({ key, value, timestamp, step: 0 }))
  const curves = Object.entries(bundle.curves ?? {}).flatMap(([key, values]) =>
    Array.isArray(values)
      ? values.filter((v) => typeof v === 'number').map((value, step) => ({ key, value, timestamp, step }))
      : [],
  )
  return [...curves, ...finals.filter((m) => !(m.key in (bundle.curves ?? {})))]
}

async function existingVersion(
  store: TrackingStore,
  modelName: string,
  runKey: string,
): Promise<ModelVersion | undefined> {
  const quote = (s: string) => `'${s.replace(/'/g, "\\'")}'`
  const versions = await store.searchModelVersions({
    filter: `name = ${quote(modelName)} and tags.${RUN_KEY_TAG} = ${quote(runKey)}`,
  })
  return versions.sort((a, b) => Number(a.version) - Number(b.version))[0]
}

/**
 * Logs a model bundle as an MLflow run (params, metrics with steps, the folder as the `model` artifact,
 * reports), registers `runs:/<run>/model` as a new version and points the alias at it. With a runKey the
 * whole operation is idempotent: a second call finds the version by tag and only re-points the alias.
 */
export async function registerModelBundle(options: RegisterBundleOptions): Promise<RegisterBundleResult> {
  const { store, bundleDir, modelName, alias } = options
  const now = options.now ?? Date.now
  const bundle = await readBundleJson(bundleDir)
  const uris = (version: string) => ({
    modelUri: `models:/${modelName}/${version}`,
    aliasUri: `models:/${modelName}@${alias}`,
  })

  if (options.runKey !== undefined) {
    const found = await existingVersion(store, modelName, options.runKey)
    if (found?.runId) {
      await store.setAlias(modelName, alias, found.version)
      const run = await store.getRun(found.runId)
      return {
        runId: found.runId,
        experimentId: run.info.experimentId,
        version: found.version,
        ...uris(found.version),
        reused: true,
      }
    }
  }

  const experiment = await store.getOrCreateExperiment(options.experiment)
  const tags = {
    ...(bundle.dataHash ? { data_hash: bundle.dataHash } : {}),
    ...options.tags,
    ...(options.runKey === undefined ? {} : { [RUN_KEY_TAG]: options.runKey }),
  }
  const run = await store.createRun({
    experimentId: experiment.experimentId,
    ...(options.runName === undefined ? {} : { runName: options.runName }),
    ...(options.userId === undefined ? {} : { userId: options.userId }),
    startTime: now(),
    tags,
  })
  const runId = run.info.runId
  try {
    await store.logBatch(runId, { params: paramsOf(bundle), metrics: metricsOf(bundle, now()) })
    await store.uploadArtifacts(runId, bundleDir, 'model')
    for (const report of options.reports ?? []) await store.uploadArtifact(runId, report, 'reports')
    await store.updateRun(runId, { status: 'FINISHED', endTime: now() })
  } catch (error) {
    // Leave the run marked FAILED rather than RUNNING forever; the original error is what the user needs.
    await store.updateRun(runId, { status: 'FAILED', endTime: now() }).catch(() => undefined)
    throw error
  }
  await store.getOrCreateRegisteredModel(modelName)
  const version = await store.createModelVersion({
    name: modelName,
    source: `runs:/${runId}/model`,
    runId,
    description: `${bundle.modelType ?? 'model'} from run ${options.runName ?? runId} (${basename(bundleDir)})`,
    tags: options.runKey === undefined ? {} : { [RUN_KEY_TAG]: options.runKey },
  })
  await store.setAlias(modelName, alias, version.version)
  return {
    runId,
    experimentId: experiment.experimentId,
    version: version.version,
    ...uris(version.version),
    reused: false,
  }
}
