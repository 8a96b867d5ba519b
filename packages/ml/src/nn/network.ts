import { mulberry32 } from '../train/seeded-random.js'

/** A fully connected layer: `weights` is [inputs x units], row-major, as tfjs matMul and ONNX Gemm take it. */
export interface DenseLayer {
  inputs: number
  units: number
  weights: Float32Array
  bias: Float32Array
}

/**
 * A 'same'-padded, stride-1 convolution followed by ReLU and a 2x2 max pool. `weights` is tfjs' filter layout
 * [kernel, kernel, inChannels, filters]; the ONNX export transposes it to [filters, inChannels, kernel, kernel].
 */
export interface ConvLayer {
  kernel: number
  inChannels: number
  filters: number
  weights: Float32Array
  bias: Float32Array
}

/**
 * A trained network as plain numbers: conv blocks (none for an MLP), then dense layers with ReLU between them;
 * the last dense layer gives one logit per class. Inputs are NHWC images or feature rows.
 */
export interface Network {
  conv: ConvLayer[]
  dense: DenseLayer[]
}

/** The per-sample input shape: [features] for tables, [height, width, channels] for images. */
export type InputShape = readonly [number] | readonly [number, number, number]

/** Spatial size after a 2x2 'valid' max pool: floor, as both tfjs and ONNX MaxPool (ceil_mode 0) compute it. */
export const pooled = (size: number): number => Math.floor(size / 2)

/** The size of the flattened conv output that feeds the first dense layer. */
export function flattenedSize(shape: InputShape, conv: readonly { filters: number }[]): number {
  if (shape.length === 1) return shape[0]
  let [h, w] = shape
  for (let i = 0; i < conv.length; i++) {
    h = pooled(h)
    w = pooled(w)
  }
  if (conv.length > 0 && (h < 1 || w < 1)) {
    throw new Error(`${conv.length} conv blocks halve a ${shape[0]}x${shape[1]} image to nothing; use fewer`)
  }
  return h * w * (conv.length === 0 ? shape[2] : conv[conv.length - 1]!.filters)
}

/**
 * Seeded He-uniform weights for layers followed by ReLU and Glorot-uniform for the logits layer, zero biases:
 * Keras' usual choices, drawn from mulberry32 so a seed gives the same network everywhere.
 */
export function initNetwork(
  shape: InputShape,
  architecture: { filters: readonly number[]; kernel: number; hidden: readonly number[]; classes: number },
  seed: number,
): Network {
  const random = mulberry32(seed)
  const uniform = (count: number, limit: number) =>
    Float32Array.from({ length: count }, () => (random() * 2 - 1) * limit)
  const conv: ConvLayer[] = []
  let channels = shape.length === 3 ? shape[2] : 0
  for (const filters of architecture.filters) {
    const k = architecture.kernel
    const fanIn = k * k * channels
    conv.push({
      kernel: k,
      inChannels: channels,
      filters,
      weights: uniform(k * k * channels * filters, Math.sqrt(6 / fanIn)),
      bias: new Float32Array(filters),
    })
    channels = filters
  }
  const dense: DenseLayer[] = []
  let inputs = flattenedSize(shape, conv)
  const units = [...architecture.hidden, architecture.classes]
  units.forEach((n, i) => {
    const last = i === units.length - 1
    const limit = last ? Math.sqrt(6 / (inputs + n)) : Math.sqrt(6 / inputs)
    dense.push({ inputs, units: n, weights: uniform(inputs * n, limit), bias: new Float32Array(n) })
    inputs = n
  })
  return { conv, dense }
}
