import { ParamError, type ParamSpec, type Params } from '../train/params.js'
import type { TrainProgress } from '../train/trainer.js'
import { exportCnnClassifier, normalizePixels, type PixelNormalization } from './export-network.js'
import { initNetwork } from './network.js'

/** What an image trainer is given: raw NHWC pixels (0-255 as decoded), class index per image. */
export interface ImageTrainerInput {
  pixels: Float32Array
  count: number
  height: number
  width: number
  channels: number
  labels: Int32Array
  classes: string[]
  /** Resolved with resolveParams(trainer.params, given, trainer.name). */
  params: Params
  seed: number
  onProgress?: (progress: TrainProgress) => void
}

export interface FittedImageModel {
  /** The whole graph: `image` [N, H, W, C] raw pixels in, `label` and `probabilities` out. */
  onnx: Uint8Array
  /** The trainer's own probabilities [count x classes] for raw NHWC pixels, normalised as the graph does. */
  predictProba(pixels: Float32Array, count: number): Float64Array
  normalization: PixelNormalization
  curve: TrainProgress[]
  details: Record<string, number | boolean | string>
}

export interface ImageTrainer {
  name: string
  params: Readonly<Record<string, ParamSpec>>
  fit(input: ImageTrainerInput): Promise<FittedImageModel>
}

/** Per-channel mean and 1/std of the training pixels, or 1/255 scaling; kept in the graph either way. */
export function fitNormalization(
  pixels: Float32Array,
  channels: number,
  mode: 'standardize' | 'scale',
): PixelNormalization {
  if (mode === 'scale') return { mean: Array(channels).fill(0), scale: Array(channels).fill(1 / 255) }
  const sum = new Float64Array(channels)
  const squares = new Float64Array(channels)
  for (let i = 0; i < pixels.length; i++) {
    sum[i % channels]! += pixels[i]!
    squares[i % channels]! += pixels[i]! * pixels[i]!
  }
  const n = pixels.length / channels
  const mean = [...sum].map((s) => s / n)
  const std = [...squares].map((q, c) => Math.sqrt(Math.max(0, q / n - mean[c]! ** 2)))
  return { mean, scale: std.map((s) => (s > 0 ? 1 / s : 1)) }
}

/**
 * A small CNN for image classification (the digits case): per `filters` entry one 'same' conv + ReLU + 2x2 max
 * pool block, then dense ReLU layers and a softmax. Trained with TF.js on the cpu backend, Adam, seeded.
 */
export const cnnTrainer: ImageTrainer = {
  name: 'cnn',
  params: {
    filters: {
      kind: 'integers',
      default: [16, 32],
      min: 1,
      doc: 'filters per conv block (each halves the size)',
    },
    kernel_size: { kind: 'integer', default: 3, min: 1, doc: 'odd conv kernel size' },
    dense_units: { kind: 'integers', default: [64], min: 1, doc: 'units per hidden dense layer' },
    epochs: { kind: 'integer', default: 40, min: 1, doc: 'epochs at most' },
    batch_size: { kind: 'integer', default: 32, min: 1, doc: 'images per step' },
    learning_rate: { kind: 'number', default: 2e-3, min: 0, exclusiveMin: true, doc: 'Adam step size' },
    alpha: { kind: 'number', default: 1e-4, min: 0, doc: 'L2 penalty on the weights' },
    validation_fraction: {
      kind: 'number',
      default: 0.1,
      min: 0,
      max: 0.5,
      doc: 'share held out for early stopping; 0 trains all epochs on everything',
    },
    patience: { kind: 'integer', default: 8, min: 1, doc: 'epochs without improvement before stopping' },
    normalization: {
      kind: 'choice',
      default: 'standardize',
      choices: ['standardize', 'scale'],
      doc: 'standardize: per-channel mean/std of the training pixels; scale: x / 255',
    },
  },
  async fit({ pixels, count, height, width, channels, labels, classes, params, seed, onProgress }) {
    const kernel = params.kernel_size as number
    if (kernel % 2 === 0)
      throw new ParamError(`cnn parameter 'kernel_size' must be odd, got ${kernel}`, 'kernel_size')
    if (pixels.length !== count * height * width * channels) {
      throw new Error(`${pixels.length} pixel values for ${count} images of ${height}x${width}x${channels}`)
    }
    const shape = [height, width, channels] as const
    const normalization = fitNormalization(pixels, channels, params.normalization as 'standardize' | 'scale')
    const network = initNetwork(
      shape,
      {
        filters: params.filters as number[],
        kernel,
        hidden: params.dense_units as number[],
        classes: classes.length,
      },
      seed,
    )
    // TF.js loads only when a network is trained, so importing @mlops/ml stays light for everything else.
    const { fitNetwork, predictNetwork, TFJS_VERSION } = await import('./fit-network.js')
    const result = await fitNetwork({
      x: normalizePixels(pixels, channels, normalization),
      y: labels,
      rows: count,
      shape,
      classes: classes.length,
      network,
      epochs: params.epochs as number,
      batchSize: params.batch_size as number,
      learningRate: params.learning_rate as number,
      alpha: params.alpha as number,
      validationFraction: params.validation_fraction as number,
      patience: params.patience as number,
      tol: 0,
      seed,
      ...(onProgress ? { onProgress } : {}),
    })
    return {
      onnx: exportCnnClassifier(result.network, { height, width, channels }, normalization, classes),
      predictProba: (raw, n) =>
        predictNetwork(result.network, normalizePixels(raw, channels, normalization), n, shape),
      normalization,
      curve: result.curve,
      details: {
        epochs: result.epochs,
        best_epoch: result.bestEpoch,
        stopped_early: result.stoppedEarly,
        tfjs: TFJS_VERSION,
      },
    }
  },
}
