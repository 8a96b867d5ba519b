import onnxProto from 'onnx-proto'
import * as ort from 'onnxruntime-node'
import { adaptExternalModel, ExternalModelError } from './adapt-external.js'
import { GraphBuilder, ML_DOMAIN } from './graph-builder.js'
import { exportLinearClassifier } from './linear-model.js'

const { onnx } = onnxProto

/** A skl2onnx-shaped model: one [N, 2] input, probabilities [N, 2] = softmax of the input (easy to check). */
function singleTensorModel(type: 'float' | 'double', width = 2, zipmap = false): Uint8Array {
  const graph = new GraphBuilder('user')
  graph.input('float_input', type, ['N', width])
  const [p] = graph.node('Softmax', ['float_input'], { attributes: { axis: 1 } })
  if (zipmap) {
    graph.node('ZipMap', [p!], {
      outputs: ['output_probability'],
      domain: ML_DOMAIN,
      attributes: { classlabels_strings: ['a', 'b'] },
    })
  } else {
    graph.node('Identity', [p!], { outputs: ['output_probability'] })
    graph.output('output_probability', type, ['N', 2])
  }
  if (!zipmap) return graph.toBytes()
  // skl2onnx's default: a sequence of maps from class to probability, which GraphBuilder cannot declare.
  const model = onnx.ModelProto.decode(graph.toBytes())
  model.graph!.output = [
    onnx.ValueInfoProto.create({
      name: 'output_probability',
      type: {
        sequenceType: {
          elemType: {
            mapType: {
              keyType: onnx.TensorProto.DataType.STRING,
              valueType: { tensorType: { elemType: 1 } },
            },
          },
        },
      },
    }),
  ]
  return onnx.ModelProto.encode(model).finish()
}

const numeric = [
  { name: 'x1', kind: 'numeric' as const },
  { name: 'x2', kind: 'numeric' as const },
]

describe('adaptExternalModel', () => {
  test.each(['float', 'double'] as const)(
    'a single %s tensor input gets one input per column; labels are added',
    async (type) => {
      const adapted = adaptExternalModel(singleTensorModel(type), numeric, ['a', 'b'], 'model.onnx')
      const session = await ort.InferenceSession.create(adapted)
      expect(session.inputNames).toEqual(['x1', 'x2'])
      expect(session.outputNames).toEqual(['label', 'probabilities'])
      const out = await session.run({
        x1: new ort.Tensor('float32', Float32Array.from([0, 2]), [2, 1]),
        x2: new ort.Tensor('float32', Float32Array.from([1, 0]), [2, 1]),
      })
      // softmax([0, 1]) = [0.2689, 0.7311]; softmax([2, 0]) = [0.8808, 0.1192]
      expect(Array.from(out.probabilities!.data as Float32Array).map((v) => Number(v.toFixed(4)))).toEqual([
        0.2689, 0.7311, 0.8808, 0.1192,
      ])
      expect(out.label!.data).toEqual(['b', 'a'])
    },
  )

  test("the project's own graphs pass through unchanged", () => {
    const own = exportLinearClassifier([{ name: 'x1', kind: 'numeric', fill: 0, mean: 0, std: 1 }], {
      classes: ['a', 'b'],
      weights: [[1]],
      intercepts: [0],
    })
    expect(adaptExternalModel(own, [numeric[0]!], ['a', 'b'], 'm.onnx')).toBe(own)
  })

  test.each([
    [
      'a ZipMap output',
      singleTensorModel('float', 2, true),
      numeric,
      /returns probabilities as a ZipMap \('output_probability'\).*'zipmap': False/,
    ],
    [
      'a width that is not the feature count',
      singleTensorModel('float', 3),
      numeric,
      /has shape \[N, 3\], but there are 2 feature columns \(x1, x2\)/,
    ],
    [
      'categorical columns with a single tensor',
      singleTensorModel('float'),
      [numeric[0]!, { name: 'colour', kind: 'categorical' as const }],
      /the columns colour are categorical/,
    ],
    [
      'bytes that are not ONNX',
      new TextEncoder().encode('garbage\n'),
      numeric,
      /^m\.onnx is not an ONNX model/,
    ],
  ])('refuses %s with a message', (_, bytes, features, message) => {
    expect(() => adaptExternalModel(bytes, features, ['a', 'b'], 'm.onnx')).toThrow(ExternalModelError)
    expect(() => adaptExternalModel(bytes, features, ['a', 'b'], 'm.onnx')).toThrow(message)
  })
})
