import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { exportLinearClassifier } from '../onnx/linear-model.js'
import type { FeatureSpec } from '../onnx/preprocess.js'
import { readModelBundle, writeModelBundle } from './model-bundle.js'

const features: FeatureSpec[] = [
  { name: 'age', kind: 'numeric', fill: 60, mean: 60, std: 10 },
  { name: 'admission_type', kind: 'categorical', categories: ['Elective', 'Emergency'] },
]
const onnx = exportLinearClassifier(features, {
  classes: ['0', '1'],
  weights: [[0.5, 0.2, -0.1]],
  intercepts: [0],
})
const info = {
  task: 'binary' as const,
  target: 'readmitted_30d',
  labels: ['0', '1'],
  features,
  modelType: 'logistic-regression',
  params: { c: 1 },
  metrics: { roc_auc: 0.7 },
  dataHash: 'sha256:abc',
  gitSha: null,
}

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bundle-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

describe('model bundle', () => {
  it('round-trips, and the MLmodel signature names exactly the graph inputs onnxruntime sees', async () => {
    await writeModelBundle(dir, { onnx, info, reference: { rows: 1 } })
    const bundle = await readModelBundle(dir)
    expect(bundle.info).toMatchObject(info)
    expect(bundle.mlmodel.inputs).toEqual([
      { name: 'age', type: 'float' },
      { name: 'admission_type', type: 'string' },
    ])
    const session = await ort.InferenceSession.create(bundle.onnx)
    expect([...session.inputNames]).toEqual(bundle.mlmodel.inputs.map((i) => i.name))
    expect([...session.outputNames]).toEqual(bundle.mlmodel.outputs.map((o) => o.name))
  })

  it('says which file is missing or wrong', async () => {
    await expect(readModelBundle(dir)).rejects.toThrow(/MLmodel is missing: .* is not a model bundle/)
    await writeModelBundle(dir, { onnx, info })
    await writeFile(join(dir, 'bundle.json'), '{"schema": "other@9"')
    await expect(readModelBundle(dir)).rejects.toThrow(/bundle\.json: not valid JSON/)
    await writeFile(
      join(dir, 'bundle.json'),
      JSON.stringify({ ...info, schema: 'mlops-actions/bundle@1', features: [features[0]] }),
    )
    await expect(readModelBundle(dir)).rejects.toThrow(
      /signature inputs \(age,admission_type\) differ from bundle\.json features \(age\)/,
    )
  })
})
