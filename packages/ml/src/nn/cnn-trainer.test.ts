import * as ort from 'onnxruntime-node'
import { ParamError, resolveParams } from '../train/params.js'
import type { TrainProgress } from '../train/trainer.js'
import { checkOnnxModel, loadSklearnDigits, type Digits } from './__fixtures__/python-reference.js'
import { cnnTrainer, type ImageTrainerInput } from './cnn-trainer.js'
import { IMAGE_INPUT } from './export-network.js'
import { tf } from './tfjs-cpu.js'

/**
 * scikit-learn's 8x8 digits (values 0-16, scaled to 0-255 as a decoded image would be) on a small budget: a
 * regression guard that the CNN learns. bench/cnn-digits.mjs trains the full model and measures >= 97%.
 */
const CLASSES = [...'0123456789']
let digits: Digits
beforeAll(() => {
  digits = loadSklearnDigits()
})

function images(rows: readonly number[]): { pixels: Float32Array; labels: Int32Array } {
  const pixels = new Float32Array(rows.length * 64)
  rows.forEach((r, i) =>
    pixels.set(
      digits.images[r]!.map((v) => Math.min(255, v * 16)),
      i * 64,
    ),
  )
  return { pixels, labels: Int32Array.from(rows, (r) => digits.target[r]!) }
}

const input = (rows: readonly number[], params: Record<string, unknown>, seed = 1): ImageTrainerInput => {
  const { pixels, labels } = images(rows)
  return {
    pixels,
    labels,
    count: rows.length,
    height: 8,
    width: 8,
    channels: 1,
    classes: CLASSES,
    params: resolveParams(cnnTrainer.params, params, 'cnn'),
    seed,
  }
}

const SMALL = { filters: [8, 16], dense_units: [32], epochs: 8, validation_fraction: 0, learning_rate: 0.005 }

describe('cnn trainer on sklearn digits', () => {
  it('reaches >= 90% test accuracy in 8 epochs, and onnxruntime agrees with tfjs within 1e-5', async () => {
    const progress: TrainProgress[] = []
    const fitted = await cnnTrainer.fit({
      ...input(digits.train, SMALL),
      onProgress: (p) => progress.push(p),
    })
    expect(progress.map((p) => [p.unit, p.step, p.total])).toEqual(
      Array.from({ length: 8 }, (_, i) => ['epoch', i + 1, 8]),
    )

    const test = images(digits.test)
    const session = await ort.InferenceSession.create(fitted.onnx)
    const out = await session.run({
      [IMAGE_INPUT]: new ort.Tensor('float32', test.pixels, [digits.test.length, 8, 8, 1]),
    })
    await session.release()
    const fromOnnx = out.probabilities!.data as Float32Array
    const fromTfjs = fitted.predictProba(test.pixels, digits.test.length)
    let worst = 0
    fromTfjs.forEach((p, i) => (worst = Math.max(worst, Math.abs(p - fromOnnx[i]!))))
    expect(worst).toBeLessThan(1e-5)

    const labels = out.label!.data as string[]
    const correct = labels.filter((label, i) => label === String(test.labels[i])).length
    expect(correct / digits.test.length).toBeGreaterThanOrEqual(0.9)
    expect(checkOnnxModel(fitted.onnx)).toBe('ok')
  })

  it('is deterministic with a seed; another seed gives other weights', async () => {
    const subset = digits.train.slice(0, 200)
    const tiny = { ...SMALL, epochs: 2, validation_fraction: 0.2 }
    const a = await cnnTrainer.fit(input(subset, tiny, 5))
    // Every tensor of a fit is released: a long search of many fits must not grow.
    const tensors = tf.memory().numTensors
    const b = await cnnTrainer.fit(input(subset, tiny, 5))
    const c = await cnnTrainer.fit(input(subset, tiny, 6))
    expect(Buffer.from(a.onnx).equals(Buffer.from(b.onnx))).toBe(true)
    expect(a.curve).toEqual(b.curve)
    expect(tf.memory().numTensors).toBe(tensors)
    expect(Buffer.from(a.onnx).equals(Buffer.from(c.onnx))).toBe(false)
  })

  it('refuses an even kernel size by parameter name', async () => {
    await expect(cnnTrainer.fit(input(digits.train.slice(0, 10), { kernel_size: 4 }))).rejects.toThrow(
      ParamError,
    )
    await expect(cnnTrainer.fit(input(digits.train.slice(0, 10), { kernel_size: 4 }))).rejects.toThrow(
      /'kernel_size' must be odd, got 4/,
    )
  })
})
