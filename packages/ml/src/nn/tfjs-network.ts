import { tf, useCpuBackend } from './tfjs-cpu.js'
import {
  convSameFilterGradient,
  convSameForward,
  convSameInputGradient,
  maxPool2Backward,
  maxPool2Forward,
  type NhwcShape,
} from './conv-kernels.js'
import type { InputShape, Network } from './network.js'

const nhwc = (t: tf.Tensor4D): NhwcShape => {
  const [n, height, width, channels] = t.shape
  return { n, height, width, channels }
}
const values = (t: tf.Tensor) => t.dataSync() as Float32Array

/** A stride-1 'same' convolution (no bias) with both gradients, computed by the loops of conv-kernels. */
const convSame = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [input, filter, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc]
  save([input, filter])
  const [kernel, , , filters] = filter.shape
  const shape = nhwc(input)
  const out = convSameForward(values(input), shape, values(filter), kernel, filters)
  return {
    value: tf.tensor4d(out, [shape.n, shape.height, shape.width, filters]),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [x, w] = saved as [tf.Tensor4D, tf.Tensor4D]
      const grad = values(dy as tf.Tensor)
      return [
        tf.tensor4d(convSameInputGradient(grad, nhwc(x), values(w), kernel, filters), x.shape),
        tf.tensor4d(convSameFilterGradient(values(x), nhwc(x), grad, kernel, filters), w.shape),
      ]
    },
  }
}) as (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D

/** A 2x2 stride-2 max pool with its gradient, computed by the loops of conv-kernels. */
const maxPool2 = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [input, save] = args as [tf.Tensor4D, tf.GradSaveFunc]
  save([input])
  const shape = nhwc(input)
  const { out } = maxPool2Forward(values(input), shape)
  return {
    value: tf.tensor4d(out, [
      shape.n,
      Math.floor(shape.height / 2),
      Math.floor(shape.width / 2),
      shape.channels,
    ]),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [x] = saved as [tf.Tensor4D]
      const { from } = maxPool2Forward(values(x), nhwc(x))
      return [tf.tensor4d(maxPool2Backward(values(dy as tf.Tensor), from, x.size), x.shape)]
    },
  }
}) as (x: tf.Tensor4D) => tf.Tensor4D

/** The network's parameters as tfjs variables, for training; `snapshot()` reads them back as plain numbers. */
export class NetworkVariables {
  readonly variables: tf.Variable[]
  private readonly conv: { w: tf.Variable; b: tf.Variable }[]
  private readonly dense: { w: tf.Variable; b: tf.Variable }[]

  constructor(private readonly network: Network) {
    // tf.variable keeps its initial tensor alive unless that is disposed: tidy does so and keeps the variable.
    const variable = (make: () => tf.Tensor) => tf.tidy(() => tf.variable(make()))
    this.conv = network.conv.map((l) => ({
      w: variable(() => tf.tensor4d(l.weights, [l.kernel, l.kernel, l.inChannels, l.filters])),
      b: variable(() => tf.tensor1d(l.bias)),
    }))
    this.dense = network.dense.map((l) => ({
      w: variable(() => tf.tensor2d(l.weights, [l.inputs, l.units])),
      b: variable(() => tf.tensor1d(l.bias)),
    }))
    this.variables = [...this.conv, ...this.dense].flatMap((p) => [p.w, p.b])
  }

  /** Logits [N, classes] for a batch: NHWC images when the network has conv blocks, else [N, features]. */
  logits(x: tf.Tensor): tf.Tensor2D {
    let h: tf.Tensor = x
    for (const { w, b } of this.conv) {
      const activated = tf.relu(tf.add(convSame(h as tf.Tensor4D, w as tf.Tensor4D), b))
      h = maxPool2(activated as tf.Tensor4D)
    }
    let out = tf.reshape(h, [h.shape[0]!, -1]) as tf.Tensor2D
    this.dense.forEach(({ w, b }, i) => {
      out = tf.add(tf.matMul(out, w as tf.Tensor2D), b) as tf.Tensor2D
      if (i < this.dense.length - 1) out = tf.relu(out)
    })
    return out
  }

  /** Sum of squared weights (not biases), for the L2 penalty. */
  squaredWeights(): tf.Scalar {
    return tf.addN([...this.conv, ...this.dense].map(({ w }) => tf.sum(tf.square(w)))) as tf.Scalar
  }

  /** The current values as a plain Network. */
  snapshot(): Network {
    const read = (v: tf.Variable) => Float32Array.from(v.dataSync() as Float32Array)
    return {
      conv: this.network.conv.map((l, i) => ({
        ...l,
        weights: read(this.conv[i]!.w),
        bias: read(this.conv[i]!.b),
      })),
      dense: this.network.dense.map((l, i) => ({
        ...l,
        weights: read(this.dense[i]!.w),
        bias: read(this.dense[i]!.b),
      })),
    }
  }

  /** Puts the values of a snapshot back (early stopping keeps the best epoch's weights). */
  restore(network: Network): void {
    tf.tidy(() => this.assign(network))
  }

  private assign(network: Network): void {
    network.conv.forEach((l, i) => {
      this.conv[i]!.w.assign(tf.tensor4d(l.weights, [l.kernel, l.kernel, l.inChannels, l.filters]))
      this.conv[i]!.b.assign(tf.tensor1d(l.bias))
    })
    network.dense.forEach((l, i) => {
      this.dense[i]!.w.assign(tf.tensor2d(l.weights, [l.inputs, l.units]))
      this.dense[i]!.b.assign(tf.tensor1d(l.bias))
    })
  }

  dispose(): void {
    for (const v of this.variables) v.dispose()
  }
}

/**
 * Class probabilities [rows x classes] of a plain network, computed with tfjs in float32 as in training, in
 * chunks so a large holdout does not allocate one huge tensor.
 */
export function predictNetwork(
  network: Network,
  x: Float32Array,
  rows: number,
  shape: InputShape,
): Float64Array {
  const classes = network.dense[network.dense.length - 1]!.units
  const size = shape.reduce((a, b) => a * b, 1)
  const out = new Float64Array(rows * classes)
  useCpuBackend()
  const variables = new NetworkVariables(network)
  try {
    const CHUNK = 1024
    for (let start = 0; start < rows; start += CHUNK) {
      const count = Math.min(CHUNK, rows - start)
      const probabilities = tf.tidy(() => {
        const batch = tf.tensor(x.subarray(start * size, (start + count) * size), [count, ...shape])
        return tf.softmax(variables.logits(batch)).dataSync()
      })
      out.set(probabilities, start * classes)
    }
  } finally {
    variables.dispose()
  }
  return out
}
