import * as ort from 'onnxruntime-node'
import { mulberry32 } from '../train/seeded-random.js'
import { checkOnnxModel } from './__fixtures__/python-reference.js'
import { exportCnnClassifier, exportMlpClassifier, IMAGE_INPUT, normalizePixels } from './export-network.js'
import { predictNetwork } from './fit-network.js'
import { initNetwork, type Network } from './network.js'

/** Random biases too, so a bias wired to the wrong place shows up (initNetwork leaves them at zero). */
function withBiases(network: Network, seed: number): Network {
  const random = mulberry32(seed)
  const jitter = (b: Float32Array) => b.map(() => random() - 0.5)
  return {
    conv: network.conv.map((l) => ({ ...l, bias: jitter(l.bias) })),
    dense: network.dense.map((l) => ({ ...l, bias: jitter(l.bias) })),
  }
}

const maxDifference = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length)
  let worst = 0
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!))
  return worst
}

describe('exportCnnClassifier', () => {
  // Non-square, odd-sized, three-channel images: transposes, padding and floor pooling all have to be right.
  const [height, width, channels] = [7, 10, 3]
  const classes = ['cat', 'dog', 'fox', 'owl']
  const network = withBiases(
    initNetwork([height, width, channels], { filters: [4, 6], kernel: 3, hidden: [12], classes: 4 }, 11),
    12,
  )
  const normalization = { mean: [120, 100, 80], scale: [1 / 60, 1 / 50, 1 / 40] }
  const count = 9
  const random = mulberry32(5)
  const pixels = Float32Array.from({ length: count * height * width * channels }, () =>
    Math.floor(random() * 256),
  )
  const onnx = exportCnnClassifier(network, { height, width, channels }, normalization, classes)

  it('onnxruntime gives the tfjs probabilities within 1e-5, normalisation inside the graph', async () => {
    const session = await ort.InferenceSession.create(onnx)
    expect(session.inputNames).toEqual([IMAGE_INPUT])
    const out = await session.run({
      [IMAGE_INPUT]: new ort.Tensor('float32', pixels, [count, height, width, channels]),
    })
    const expected = predictNetwork(network, normalizePixels(pixels, channels, normalization), count, [
      height,
      width,
      channels,
    ])
    expect(maxDifference(out.probabilities!.data as Float32Array, expected)).toBeLessThan(1e-5)
    const labels = out.label!.data as string[]
    for (let i = 0; i < count; i++) {
      const row = [...expected.subarray(i * 4, i * 4 + 4)]
      expect(labels[i]).toBe(classes[row.indexOf(Math.max(...row))])
    }
    await session.release()
  })

  it('passes onnx.checker.check_model', () => {
    expect(checkOnnxModel(onnx)).toBe('ok')
  })

  it('refuses a network whose logits do not match the classes', () => {
    expect(() =>
      exportCnnClassifier(network, { height, width, channels }, normalization, ['a', 'b']),
    ).toThrow(/4 logits for 2 classes/)
  })

  it('refuses more conv blocks than the image can be halved by', () => {
    expect(() =>
      initNetwork([4, 4, 1], { filters: [2, 2, 2], kernel: 3, hidden: [], classes: 2 }, 1),
    ).toThrow(/3 conv blocks halve a 4x4 image to nothing/)
  })
})

describe('exportMlpClassifier', () => {
  it('Gemm/Relu layers after the preprocessing nodes match tfjs within 1e-5 and pass the checker', async () => {
    const specs = [
      { name: 'age', kind: 'numeric' as const, fill: 50, mean: 48, std: 12 },
      { name: 'ward', kind: 'categorical' as const, categories: ['a', 'b', 'c'] },
    ]
    const network = withBiases(initNetwork([4], { filters: [], kernel: 1, hidden: [8, 5], classes: 2 }, 3), 4)
    const onnx = exportMlpClassifier(specs, network, ['no', 'yes'])
    const ages = [30, NaN, 71, 50]
    const wards = ['b', 'a', 'zzz', 'c']
    const session = await ort.InferenceSession.create(onnx)
    const out = await session.run({
      age: new ort.Tensor('float32', Float32Array.from(ages), [4, 1]),
      ward: new ort.Tensor('string', wards, [4, 1]),
    })
    // The design matrix the preprocessing computes: imputed, standardised age; one-hot ward (unknown -> zeros).
    const x = Float32Array.from(
      ages.flatMap((a, i) => [
        ((Number.isNaN(a) ? 50 : a) - 48) / 12,
        ...['a', 'b', 'c'].map((w) => (wards[i] === w ? 1 : 0)),
      ]),
    )
    const expected = predictNetwork(network, x, 4, [4])
    expect(maxDifference(out.probabilities!.data as Float32Array, expected)).toBeLessThan(1e-5)
    expect(checkOnnxModel(onnx)).toBe('ok')
    await session.release()
  })
})
