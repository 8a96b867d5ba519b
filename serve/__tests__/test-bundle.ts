import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildReferenceProfile } from '@mlops/data'
import {
  GraphBuilder,
  mulberry32,
  tabularTrainer,
  trainTabular,
  tabularBundleInfo,
  writeModelBundle,
  type TabularColumn,
} from '@mlops/ml'

const logisticRegressionTrainer = tabularTrainer('logistic-regression')

/** Three numeric and two categorical columns driving a binary label, with some missing values. */
export function syntheticTable(rows: number, seed: number, shift = 0): TabularColumn[] {
  const random = mulberry32(seed)
  const columns: Record<string, Array<number | string | null>> = {
    age: [],
    bmi: [],
    visits: [],
    ward: [],
    insulin: [],
    label: [],
  }
  for (let i = 0; i < rows; i++) {
    const age = 20 + random() * 60 + shift * 30
    const bmi = 18 + random() * 20
    const visits = Math.floor(random() * 6)
    const ward = ['cardio', 'neuro', 'ortho'][Math.floor(random() * 3)]!
    const insulin = random() < 0.4 ? 'yes' : 'no'
    const score =
      (age - 50) / 15 + (ward === 'cardio' ? 1 : 0) + (insulin === 'yes' ? 0.8 : -0.3) + (random() - 0.5)
    columns.age!.push(i % 19 === 0 ? null : age)
    columns.bmi!.push(bmi)
    columns.visits!.push(visits)
    columns.ward!.push(ward)
    columns.insulin!.push(i % 23 === 0 ? null : insulin)
    columns.label!.push(score > 0.3 ? 'yes' : 'no')
  }
  const kinds: Record<string, 'numeric' | 'categorical'> = {
    age: 'numeric',
    bmi: 'numeric',
    visits: 'numeric',
    ward: 'categorical',
    insulin: 'categorical',
    label: 'categorical',
  }
  return Object.entries(columns).map(([name, values]) => ({ name, kind: kinds[name]!, values }))
}

/** A real bundle (trained logistic regression exported to ONNX, reference.json) in a fresh temp folder. */
export async function tabularBundle(options: { reference?: boolean; seed?: number } = {}): Promise<string> {
  const columns = syntheticTable(600, options.seed ?? 11)
  const trained = await trainTabular({
    columns,
    target: 'label',
    trainer: logisticRegressionTrainer,
    seed: 1,
  })
  const dir = await mkdtemp(join(tmpdir(), 'serve-bundle-'))
  const reference =
    options.reference === false
      ? undefined
      : buildReferenceProfile(
          {
            files: [],
            rows: 600,
            columns: columns.map((c) => ({ name: c.name, kind: c.kind, values: [...c.values] })),
          },
          { exclude: ['label'] },
        )
  await writeModelBundle(dir, {
    onnx: trained.onnx,
    info: tabularBundleInfo(trained, { target: 'label', modelType: 'logistic-regression', dataHash: 'test' }),
    reference,
  })
  return dir
}

/** 8x8 grayscale pictures, bright on top ('top') or at the bottom ('bottom'), as pixel0..pixel63 columns. */
export async function imageBundle(): Promise<string> {
  const random = mulberry32(5)
  const pixels: number[][] = Array.from({ length: 64 }, () => [])
  const label: string[] = []
  for (let i = 0; i < 300; i++) {
    const top = i % 2 === 0
    for (let p = 0; p < 64; p++) {
      const upper = p < 32
      pixels[p]!.push(Math.round((upper === top ? 200 : 30) + random() * 40))
    }
    label.push(top ? 'top' : 'bottom')
  }
  const columns: TabularColumn[] = [
    ...pixels.map((values, p) => ({ name: `pixel${p}`, kind: 'numeric' as const, values })),
    { name: 'label', kind: 'categorical', values: label },
  ]
  const trained = await trainTabular({
    columns,
    target: 'label',
    trainer: logisticRegressionTrainer,
    seed: 1,
  })
  const dir = await mkdtemp(join(tmpdir(), 'serve-image-bundle-'))
  await writeModelBundle(dir, {
    onnx: trained.onnx,
    info: tabularBundleInfo(trained, { target: 'label', modelType: 'logistic-regression', dataHash: 'test' }),
  })
  return dir
}

/**
 * An image model whose graph takes one `image` tensor [N, 8, 8, 1] (the bundle layout of packages/ml's networks,
 * no feature columns): a fixed linear head that says 'top' when the upper half is brighter.
 */
export async function imageTensorBundle(): Promise<string> {
  const graph = new GraphBuilder('image_halves')
  const image = graph.input('image', 'float', ['N', 8, 8, 1])
  const shape = graph.constant('flat_shape', { type: 'int64', dims: [2], values: [-1, 64] })
  const [flat] = graph.node('Reshape', [image, shape])
  // Columns: [bottom, top]; weights row-major [64, 2].
  const weights = Array.from({ length: 64 }, (_, p) => (p < 32 ? [-4, 4] : [4, -4])).flat()
  const w = graph.constant('w', { type: 'float', dims: [64, 2], values: weights })
  const [logits] = graph.node('MatMul', [flat!, w])
  const [probabilities] = graph.node('Softmax', [logits!], {
    outputs: ['probabilities'],
    attributes: { axis: 1 },
  })
  const [index] = graph.node('ArgMax', [probabilities!], { attributes: { axis: 1, keepdims: 0 } })
  const names = graph.constant('names', { type: 'string', dims: [2], values: ['bottom', 'top'] })
  graph.node('Gather', [names, index!], { outputs: ['label'], attributes: { axis: 0 } })
  graph.output('label', 'string', ['N'])
  graph.output('probabilities', 'float', ['N', 2])
  const dir = await mkdtemp(join(tmpdir(), 'serve-image-tensor-'))
  await writeModelBundle(dir, {
    onnx: graph.toBytes({ docString: 'test image model' }),
    info: {
      task: 'binary',
      target: 'label',
      labels: ['bottom', 'top'],
      features: [],
      modelType: 'test-image',
      params: {},
      metrics: {},
      dataHash: 'test',
      gitSha: null,
      image: { width: 8, height: 8, channels: 1, scale: 1 / 255 },
    },
  })
  return dir
}
