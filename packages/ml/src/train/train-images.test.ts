import { checkOnnxModel } from '../nn/__fixtures__/python-reference.js'
import { scoreClassifier } from '../score.js'
import { TrainingDataError } from './features.js'
import { ParamError } from './params.js'
import { parseSearchSpace } from './search.js'
import { mulberry32 } from './seeded-random.js'
import {
  compositeAlpha,
  predictImagesWithOnnx,
  stratifiedSplit,
  trainImages,
  type ImageSet,
} from './train-images.js'
import type { TrainProgress } from './trainer.js'

/**
 * Bars on a noisy 8x8 background: class 0 a horizontal bar, 1 a vertical one, 2 a diagonal, in one of four
 * middle places.
 * Easy for a CNN, impossible for a constant guess (a third right).
 */
function bars(perClass: number, seed: number): ImageSet {
  const random = mulberry32(seed)
  const count = perClass * 3
  const pixels = new Float32Array(count * 64)
  const labels = new Int32Array(count)
  for (let i = 0; i < count; i++) {
    const kind = i % 3
    labels[i] = kind
    const at = 2 + Math.floor(random() * 4)
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        const on = kind === 0 ? y === at : kind === 1 ? x === at : (x - y + 8) % 8 === at
        pixels[i * 64 + y * 8 + x] = on ? 200 + random() * 55 : random() * 60
      }
    }
  }
  return {
    pixels,
    count,
    height: 8,
    width: 8,
    channels: 1,
    labels,
    classes: ['horizontal', 'vertical', 'diagonal'],
  }
}

const FAST = { filters: [4], dense_units: [16], epochs: 12, validation_fraction: 0, learning_rate: 0.01 }

describe('stratifiedSplit', () => {
  it('holds out the share of every class, seeded, disjoint and complete', () => {
    const labels = Int32Array.from({ length: 103 }, (_, i) => (i < 50 ? 0 : i < 90 ? 1 : 2))
    const a = stratifiedSplit(labels, 0.2, 7)
    expect(stratifiedSplit(labels, 0.2, 7)).toEqual(a)
    expect(stratifiedSplit(labels, 0.2, 8).test).not.toEqual(a.test)
    expect([...a.train, ...a.test].sort((x, y) => x - y)).toEqual(Array.from(labels, (_, i) => i))
    const held = [0, 1, 2].map((c) => a.test.filter((r) => labels[r] === c).length)
    expect(held).toEqual([10, 8, 3])
  })

  it('keeps at least one image of a class on each side, and a lone image in training', () => {
    const { train, test } = stratifiedSplit(Int32Array.from([0, 0, 1, 1, 1, 2]), 0.01, 1)
    expect(test.length).toBe(2)
    expect(train).toContain(5)
  })
})

describe('compositeAlpha', () => {
  it('drops alpha over black as serve does, and leaves grey and RGB alone', () => {
    const greyAlpha = Float32Array.from([200, 255, 200, 0, 100, 51])
    expect(compositeAlpha(greyAlpha, 2)).toEqual({ pixels: Float32Array.from([200, 0, 20]), channels: 1 })
    const rgba = Float32Array.from([10, 20, 30, 255, 10, 20, 30, 0])
    expect(compositeAlpha(rgba, 4)).toEqual({ pixels: Float32Array.from([10, 20, 30, 0, 0, 0]), channels: 3 })
    const rgb = Float32Array.from([1, 2, 3])
    expect(compositeAlpha(rgb, 3).pixels).toBe(rgb)
  })
})

describe('trainImages', () => {
  it('learns bars; the metrics are the exported graph run by onnxruntime on the stratified holdout', async () => {
    const set = bars(30, 3)
    const progress: TrainProgress[] = []
    const trained = await trainImages({
      ...set,
      params: FAST,
      seed: 11,
      onProgress: (p) => progress.push(p),
    })
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1))
    expect(trained.rows).toEqual({ train: 72, test: 18, droppedMissingTarget: 0 })
    expect(trained.task).toBe('multiclass')
    expect(trained.exportError).toBeLessThan(1e-5)
    expect(trained.score.metrics.accuracy).toBeGreaterThanOrEqual(0.9)
    expect(checkOnnxModel(trained.onnx)).toBe('ok')

    // Independently: run the graph on the held-out images and score its output.
    const rows = trained.split.test
    const pixels = new Float32Array(rows.length * 64)
    rows.forEach((r, i) => pixels.set(set.pixels.subarray(r * 64, (r + 1) * 64), i * 64))
    const out = await predictImagesWithOnnx(trained.onnx, {
      pixels,
      count: rows.length,
      height: 8,
      width: 8,
      channels: 1,
    })
    const actual = Int32Array.from(rows, (r) => set.labels[r]!)
    expect(trained.score.metrics).toEqual(scoreClassifier(actual, out.probabilities, 3).metrics)
    expect(out.labels.filter((l, i) => l === set.classes[actual[i]!]).length / rows.length).toBe(
      trained.score.metrics.accuracy,
    )
  })

  it('searches on the training part only, keeps every trial and refits the best', async () => {
    const set = bars(12, 5)
    const space = parseSearchSpace('holdout: 0.25\nparams:\n  learning_rate: [0.00001, 0.01]\n', 'space.yml')
    const seen: number[] = []
    const trained = await trainImages({
      ...set,
      params: { ...FAST, epochs: 6 },
      search: space,
      seed: 2,
      onTrial: (_, index) => seen.push(index),
    })
    expect(seen).toEqual([0, 1])
    const search = trained.search!
    expect(search.validation).toBe('holdout of 25%')
    expect(search.trials.map((t) => t.params.learning_rate)).toEqual([0.00001, 0.01])
    // Each trial is the given params with the searched ones replaced.
    expect(search.trials.map((t) => t.params.epochs)).toEqual([6, 6])
    // A step size of 1e-5 barely moves the weights in 6 epochs: the larger one must win.
    expect(search.best).toBe(1)
    expect(trained.params.learning_rate).toBe(0.01)
  })

  it('refuses one class, a bad parameter, and pixels that do not match the shape', async () => {
    const set = bars(4, 1)
    await expect(trainImages({ ...set, labels: new Int32Array(set.count) })).rejects.toThrow(
      new TrainingDataError("the images have only one class ('horizontal'); a classifier needs two or more"),
    )
    await expect(trainImages({ ...set, params: { kernel: 3 } })).rejects.toThrow(ParamError)
    await expect(trainImages({ ...set, height: 9 })).rejects.toThrow(
      /768 pixel values for 12 images of 8x9x1/,
    )
  })
})
