import { mulberry32 } from '../train/seeded-random.js'
import {
  convSameFilterGradient,
  convSameForward,
  convSameInputGradient,
  maxPool2Backward,
  maxPool2Forward,
} from './conv-kernels.js'
import { tf, useCpuBackend } from './tfjs-cpu.js'

/** The hand-written loops against tfjs' own conv2d / maxPool and their gradients, on odd, non-square shapes. */
const random = mulberry32(21)
const randoms = (count: number) => Float32Array.from({ length: count }, () => random() * 2 - 1)
const close = (actual: ArrayLike<number>, expected: ArrayLike<number>) => {
  expect(actual.length).toBe(expected.length)
  let worst = 0
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!))
  expect(worst).toBeLessThan(1e-5)
}

beforeAll(() => useCpuBackend())

describe.each([
  [3, { n: 2, height: 5, width: 7, channels: 3 }, 4],
  [5, { n: 1, height: 6, width: 4, channels: 2 }, 3],
  [1, { n: 3, height: 3, width: 3, channels: 1 }, 2],
])('conv %i x %i, shape %j, %i filters', (kernel, shape, filters) => {
  const input = randoms(shape.n * shape.height * shape.width * shape.channels)
  const weights = randoms(kernel * kernel * shape.channels * filters)
  const dy = randoms(shape.n * shape.height * shape.width * filters)
  const dims = [shape.n, shape.height, shape.width, shape.channels] as [number, number, number, number]
  const wDims = [kernel, kernel, shape.channels, filters] as [number, number, number, number]

  it('forward equals tf.conv2d(same)', () => {
    const expected = tf.conv2d(tf.tensor4d(input, dims), tf.tensor4d(weights, wDims), 1, 'same').dataSync()
    close(convSameForward(input, shape, weights, kernel, filters), expected)
  })

  it('input and filter gradients equal tfjs gradients', () => {
    const upstream = tf.tensor4d(dy, [shape.n, shape.height, shape.width, filters])
    const [dx, dw] = tf.grads((x: tf.Tensor, w: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), upstream)),
    )([tf.tensor4d(input, dims), tf.tensor4d(weights, wDims)])
    close(convSameInputGradient(dy, shape, weights, kernel, filters), dx!.dataSync())
    close(convSameFilterGradient(input, shape, dy, kernel, filters), dw!.dataSync())
  })
})

describe('maxPool2', () => {
  const shape = { n: 2, height: 5, width: 6, channels: 3 }
  const input = randoms(2 * 5 * 6 * 3)
  const dims = [2, 5, 6, 3] as [number, number, number, number]

  it('forward and gradient equal tf.maxPool(2, 2, valid), odd sizes floored', () => {
    const { out, from } = maxPool2Forward(input, shape)
    close(out, tf.maxPool(tf.tensor4d(input, dims), 2, 2, 'valid').dataSync())
    const dy = randoms(out.length)
    const upstream = tf.tensor4d(dy, [2, 2, 3, 3])
    const dx = tf.grad((x: tf.Tensor) =>
      tf.sum(tf.mul(tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'), upstream)),
    )(tf.tensor4d(input, dims))
    close(maxPool2Backward(dy, from, input.length), dx.dataSync())
  })
})
