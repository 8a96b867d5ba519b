import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import * as ort from 'onnxruntime-node'
import { readModelBundle, type ModelBundle } from '@mlops/ml'
import { downloadModel, fromEnvironment, openTrackingStore, parseModelUri } from '@mlops/mlflow'
import type { ServeConfig } from '../config.js'
import { IMAGE_TENSOR_INPUT, modelSchema, type ModelSchema, type RowValues } from './model-schema.js'

/** The model cannot be served as configured; the message names the URI or file. */
export class ModelLoadError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ModelLoadError'
  }
}

/** One session.run over a batch: `labels[i]` and `probabilities[i * classes .. (i + 1) * classes)` per row. */
export interface BatchOutput {
  labels: string[]
  probabilities: Float32Array
  classes: number
}

export interface LoadedModel {
  name: string
  version: string
  /** sha256 of model.onnx, so two pods can tell whether they serve the same graph. */
  digest: string
  uri: string
  dir: string
  schema: ModelSchema
  /** reference.json text when the bundle has one (live drift). */
  reference: string | undefined
  infer(rows: readonly RowValues[]): Promise<BatchOutput>
  release(): Promise<void>
}

interface Located {
  dir: string
  registryName: string | undefined
  registryVersion: string | undefined
  cleanup: (() => Promise<void>) | undefined
}

/** A local folder is used in place; models:/, runs:/, s3:// and mlflow-artifacts:/ go through packages/mlflow. */
async function locateBundle(config: ServeConfig, env: Record<string, string | undefined>): Promise<Located> {
  let parsed
  try {
    parsed = parseModelUri(config.modelUri)
  } catch (error) {
    throw new ModelLoadError(`MODEL_URI: ${(error as Error).message}`)
  }
  if (parsed.kind === 'local') {
    const dir = resolve(parsed.path)
    const found = await stat(dir).catch(() => undefined)
    if (!found?.isDirectory()) throw new ModelLoadError(`MODEL_URI ${config.modelUri}: no such folder`)
    return { dir, registryName: undefined, registryVersion: undefined, cleanup: undefined }
  }
  const store = await openTrackingStore(
    fromEnvironment({ ...env, MLFLOW_TRACKING_URI: config.mlflowTrackingUri }),
    {
      // s3:// and mlflow-artifacts:/ need no registry; the FileStore opened anyway must not land in the
      // (read-only) working directory of the container.
      defaultRoot:
        parsed.kind === 'artifact' ? `${config.modelCacheDir.replace(/\/+$/, '')}-mlruns` : 'mlruns',
    },
  )
  // Each load gets its own folder, so a hot reload never overwrites files the running model came from.
  const dest = await mkdtemp(join(config.modelCacheDir.replace(/\/+$/, '') + '-'))
  try {
    const downloaded = await downloadModel(config.modelUri, store, dest)
    return {
      dir: downloaded.path,
      registryName: downloaded.modelVersion?.name,
      registryVersion: downloaded.modelVersion?.version,
      cleanup: () => rm(dest, { recursive: true, force: true }),
    }
  } catch (error) {
    await rm(dest, { recursive: true, force: true })
    throw new ModelLoadError(`MODEL_URI ${config.modelUri}: ${(error as Error).message}`, { cause: error })
  }
}

function feedsFor(schema: ModelSchema, rows: readonly RowValues[]): Record<string, ort.Tensor> {
  const count = rows.length
  const feeds: Record<string, ort.Tensor> = {}
  if (schema.imageTensor) {
    const { width, height, channels } = schema.image!
    const size = width * height * channels
    const data = new Float32Array(count * size)
    for (let r = 0; r < count; r++) data.set(rows[r] as number[], r * size)
    feeds[IMAGE_TENSOR_INPUT] = new ort.Tensor('float32', data, [count, height, width, channels])
    return feeds
  }
  const { features } = schema
  for (let c = 0; c < features.length; c++) {
    const feature = features[c]!
    if (feature.kind === 'numeric') {
      const data = new Float32Array(count)
      for (let r = 0; r < count; r++) data[r] = rows[r]![c] as number
      feeds[feature.name] = new ort.Tensor('float32', data, [count, 1])
    } else {
      const data: string[] = new Array(count)
      for (let r = 0; r < count; r++) data[r] = rows[r]![c] as string
      feeds[feature.name] = new ort.Tensor('string', data, [count, 1])
    }
  }
  return feeds
}

/** Creates the session and checks that its inputs and outputs are the bundle's contract. */
export async function openModel(
  bundle: ModelBundle,
  intraOpThreads: number,
): Promise<{
  schema: ModelSchema
  infer: LoadedModel['infer']
  release: () => Promise<void>
}> {
  let schema: ModelSchema
  try {
    schema = modelSchema(bundle.info)
  } catch (error) {
    throw new ModelLoadError(`${join(bundle.dir, 'bundle.json')}: ${(error as Error).message}`)
  }
  let session: ort.InferenceSession
  try {
    session = await ort.InferenceSession.create(bundle.onnx, {
      intraOpNumThreads: intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // The arena keeps the largest batch's buffers for good, so RSS would follow the largest burst ever seen;
      // small per-run allocations from malloc keep memory flat at no measurable cost for these graphs.
      enableCpuMemArena: false,
      // Idle intra-op threads would otherwise spin on the cores the event loop needs between runs.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    })
  } catch (error) {
    throw new ModelLoadError(
      `${join(bundle.dir, 'model.onnx')}: onnxruntime cannot load it: ${(error as Error).message}`,
    )
  }
  const inputs = schema.imageTensor ? [IMAGE_TENSOR_INPUT] : schema.features.map((f) => f.name)
  const missing = inputs.filter((name) => !session.inputNames.includes(name))
  if (
    missing.length > 0 ||
    !session.outputNames.includes('label') ||
    !session.outputNames.includes('probabilities')
  ) {
    await session.release()
    throw new ModelLoadError(
      `${join(bundle.dir, 'model.onnx')}: graph inputs (${session.inputNames.join(', ')}) and outputs ` +
        `(${session.outputNames.join(', ')}) do not match the bundle: expected ${schema.imageTensor ? 'an image tensor input' : 'one input per feature column'} and outputs label, probabilities`,
    )
  }
  const fetches = ['label', 'probabilities']
  const infer = async (rows: readonly RowValues[]): Promise<BatchOutput> => {
    const out = await session.run(feedsFor(schema, rows), fetches)
    const probabilities = out.probabilities!
    return {
      labels: out.label!.data as string[],
      probabilities: probabilities.data as Float32Array,
      classes: probabilities.dims[1]!,
    }
  }
  return { schema, infer, release: () => session.release() }
}

/** A row of typical values (training means, first category) for the warm-up inference. */
export function warmUpRow(bundle: ModelBundle, schema: ModelSchema): RowValues {
  if (schema.imageTensor) return new Array<number>(schema.features.length).fill(0)
  return bundle.info.features.map((f) => (f.kind === 'numeric' ? f.mean : (f.categories[0] ?? '')))
}

/**
 * Loads MODEL_URI, opens the session and runs a warm-up inference: a model that loads but cannot predict
 * must never report ready.
 */
export async function loadModel(
  config: ServeConfig,
  env: Record<string, string | undefined> = process.env,
): Promise<LoadedModel> {
  const located = await locateBundle(config, env)
  try {
    let bundle: ModelBundle
    try {
      bundle = await readModelBundle(located.dir)
    } catch (error) {
      throw new ModelLoadError(`MODEL_URI ${config.modelUri}: ${(error as Error).message}`, { cause: error })
    }
    const opened = await openModel(bundle, config.intraOpThreads)
    try {
      const warm = await opened.infer([warmUpRow(bundle, opened.schema)])
      if (warm.labels.length !== 1 || warm.classes !== bundle.info.labels.length) {
        throw new ModelLoadError(
          `${located.dir}: warm-up inference returned ${warm.labels.length} rows of ${warm.classes} classes; bundle.json lists ${bundle.info.labels.length} labels`,
        )
      }
    } catch (error) {
      await opened.release()
      if (error instanceof ModelLoadError) throw error
      throw new ModelLoadError(`${located.dir}: warm-up inference failed: ${(error as Error).message}`, {
        cause: error,
      })
    }
    const reference = await readFile(join(located.dir, 'reference.json'), 'utf8').catch(() => undefined)
    return {
      name: config.modelName ?? located.registryName ?? 'model',
      version: config.modelVersion ?? located.registryVersion ?? 'local',
      digest: 'sha256:' + createHash('sha256').update(bundle.onnx).digest('hex'),
      uri: config.modelUri,
      dir: located.dir,
      schema: opened.schema,
      reference,
      infer: opened.infer,
      release: async () => {
        await opened.release()
        await located.cleanup?.()
      },
    }
  } catch (error) {
    await located.cleanup?.()
    throw error
  }
}
