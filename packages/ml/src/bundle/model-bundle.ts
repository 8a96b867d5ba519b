import { randomUUID } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FeatureSpec } from '../onnx/preprocess.js'
import { BundleFormatError, MODEL_FILE, parseMlModel, renderMlModel, type MlModel } from './mlmodel.js'

export const BUNDLE_SCHEMA = 'mlops-actions/bundle@1'

/**
 * The picture an image model takes, as serve reads it: an upload becomes width x height x channels pixels, 0-255
 * as decoded times `scale` (1 for the CNN, whose normalisation is inside the graph).
 */
export interface BundleImageInput {
  width: number
  height: number
  /** Grey or RGB: an alpha channel is composited away before training, as serve does with uploads. */
  channels: 1 | 3
  scale: number
}

/** The graph input of an image model (IMAGE_INPUT in nn/export-network.ts). */
export const BUNDLE_IMAGE_INPUT = 'image'

/** bundle.json: what a model is and where it came from, for the gate, the registry and the server. */
export interface BundleInfo {
  schema: typeof BUNDLE_SCHEMA
  task: 'binary' | 'multiclass'
  target: string
  labels: string[]
  features: FeatureSpec[]
  modelType: string
  params: Record<string, unknown>
  metrics: Record<string, number>
  dataHash: string
  gitSha: string | null
  createdAt: string
  /**
   * Image models: with no `features`, the graph takes one `image` tensor and MLmodel has a tensor signature; with
   * pixel feature columns (width x height x channels of them), it only tells serve how to turn an upload into them.
   */
  image?: BundleImageInput
}

export interface ModelBundle {
  dir: string
  mlmodel: MlModel
  info: BundleInfo
  onnx: Uint8Array
}

/** Writes an MLflow model directory with the ONNX flavor plus bundle.json (and reference.json when given). */
export async function writeModelBundle(
  dir: string,
  bundle: {
    onnx: Uint8Array
    info: Omit<BundleInfo, 'schema' | 'createdAt'>
    reference?: unknown
    now?: Date
  },
): Promise<ModelBundle> {
  const now = bundle.now ?? new Date()
  const info: BundleInfo = { schema: BUNDLE_SCHEMA, ...bundle.info, createdAt: now.toISOString() }
  const mlmodel: MlModel = {
    modelUuid: randomUUID().replace(/-/g, ''),
    // MLflow's own format: UTC, space-separated, microseconds.
    utcTimeCreated: now.toISOString().replace('T', ' ').replace('Z', '000'),
    onnxVersion: '1.12.0',
    inputs: info.features.map((f) => ({ name: f.name, type: f.kind === 'numeric' ? 'float' : 'string' })),
    ...(info.image && info.features.length === 0
      ? {
          tensorInputs: [
            {
              name: BUNDLE_IMAGE_INPUT,
              dtype: 'float32' as const,
              shape: [-1, info.image.height, info.image.width, info.image.channels],
            },
          ],
        }
      : {}),
    outputs: [
      { name: 'label', dtype: 'str', shape: [-1] },
      { name: 'probabilities', dtype: 'float32', shape: [-1, info.labels.length] },
    ],
    metadata: { producer: 'mlops-actions', task: info.task, target: info.target },
  }
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, MODEL_FILE), bundle.onnx)
  await writeFile(join(dir, 'MLmodel'), renderMlModel(mlmodel))
  await writeFile(join(dir, 'bundle.json'), JSON.stringify(info, null, 2) + '\n')
  if (bundle.reference !== undefined)
    await writeFile(join(dir, 'reference.json'), JSON.stringify(bundle.reference) + '\n')
  return { dir, mlmodel, info, onnx: bundle.onnx }
}

async function readText(dir: string, name: string): Promise<string> {
  try {
    return await readFile(join(dir, name), 'utf8')
  } catch {
    throw new BundleFormatError(
      `${join(dir, name)} is missing: ${dir} is not a model bundle (MLmodel, model.onnx, bundle.json)`,
    )
  }
}

/** Reads a bundle back, checking that MLmodel, bundle.json and the graph agree; every problem names the file. */
export async function readModelBundle(dir: string): Promise<ModelBundle> {
  const mlmodel = parseMlModel(await readText(dir, 'MLmodel'), join(dir, 'MLmodel'))
  const infoFile = join(dir, 'bundle.json')
  let info: BundleInfo
  try {
    info = JSON.parse(await readText(dir, 'bundle.json')) as BundleInfo
  } catch (error) {
    if (error instanceof BundleFormatError) throw error
    throw new BundleFormatError(`${infoFile}: not valid JSON`)
  }
  if (info.schema !== BUNDLE_SCHEMA)
    throw new BundleFormatError(`${infoFile}: schema is ${String(info.schema)}, expected ${BUNDLE_SCHEMA}`)
  if (info.image && info.features.length === 0) {
    const { width, height, channels } = info.image
    const expected = JSON.stringify([{ name: BUNDLE_IMAGE_INPUT, shape: [-1, height, width, channels] }])
    const found = JSON.stringify((mlmodel.tensorInputs ?? []).map((t) => ({ name: t.name, shape: t.shape })))
    if (found !== expected) {
      throw new BundleFormatError(
        `${dir}: MLmodel signature inputs (${found}) differ from bundle.json image (${expected})`,
      )
    }
  }
  const signature = mlmodel.inputs.map((i) => i.name).join(',')
  const features = info.features.map((f) => f.name).join(',')
  if (signature !== features) {
    throw new BundleFormatError(
      `${dir}: MLmodel signature inputs (${signature}) differ from bundle.json features (${features})`,
    )
  }
  let onnx: Uint8Array
  try {
    onnx = new Uint8Array(await readFile(join(dir, MODEL_FILE)))
  } catch {
    throw new BundleFormatError(`${join(dir, MODEL_FILE)} is missing`)
  }
  return { dir, mlmodel, info, onnx }
}
