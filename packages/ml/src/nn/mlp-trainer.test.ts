import { mulberry32 } from '../train/seeded-random.js'
import { trainTabular, type TabularColumn } from '../train/train-tabular.js'
import { tabularTrainer } from '../train/trainers.js'
import type { TrainProgress } from '../train/trainer.js'
import { checkOnnxModel } from './__fixtures__/python-reference.js'

/** Classes driven by a ring in (x1, x2) and a colour: not linearly separable, so the hidden layer has to work. */
function ring(rows: number, seed: number): TabularColumn[] {
  const random = mulberry32(seed)
  const x1: Array<number | null> = []
  const x2: Array<number | null> = []
  const colour: Array<string | null> = []
  const label: string[] = []
  for (let i = 0; i < rows; i++) {
    const a = random() * 4 - 2
    const b = random() * 4 - 2
    const c = ['red', 'green', 'blue'][Math.floor(random() * 3)]!
    const r = Math.hypot(a, b) + (c === 'red' ? 0.4 : 0)
    x1.push(i % 31 === 0 ? null : a)
    x2.push(b)
    colour.push(c)
    label.push(r < 1 ? 'inner' : r < 1.8 ? 'middle' : 'outer')
  }
  return [
    { name: 'x1', kind: 'numeric', values: x1 },
    { name: 'x2', kind: 'numeric', values: x2 },
    { name: 'colour', kind: 'categorical', values: colour },
    { name: 'label', kind: 'categorical', values: label },
  ]
}

describe('mlp trainer (TF.js)', () => {
  const columns = ring(1500, 9)
  const params = { hidden_layer_sizes: [24, 12], max_iter: 60, learning_rate_init: 0.01, batch_size: 64 }

  it('learns a non-linear boundary; onnxruntime agrees with tfjs within 1e-5; one progress point per epoch', async () => {
    const progress: TrainProgress[] = []
    const trained = await trainTabular({
      columns,
      target: 'label',
      trainer: tabularTrainer('mlp'),
      params,
      seed: 3,
      onProgress: (p) => progress.push(p),
    })
    expect(trained.exportError).toBeLessThan(1e-5)
    expect(trained.score.metrics.accuracy).toBeGreaterThan(0.85)
    expect(progress.length).toBe(trained.details.epochs)
    expect(progress.map((p) => p.step)).toEqual(progress.map((_, i) => i + 1))
    expect(progress.every((p) => p.unit === 'epoch' && p.validationLoss !== undefined)).toBe(true)
    // Training loss falls: the last epoch well below the first.
    expect(progress.at(-1)!.trainLoss!).toBeLessThan(progress[0]!.trainLoss! * 0.5)
    expect(checkOnnxModel(trained.onnx)).toBe('ok')
  })

  it('is deterministic with a seed, and another seed gives another model', async () => {
    const small = { ...params, max_iter: 5, early_stopping: false }
    const fit = (seed: number) =>
      trainTabular({ columns, target: 'label', trainer: tabularTrainer('mlp'), params: small, seed })
    const [a, b, c] = [await fit(1), await fit(1), await fit(2)]
    expect(Buffer.from(a.onnx).equals(Buffer.from(b.onnx))).toBe(true)
    expect(Buffer.from(a.onnx).equals(Buffer.from(c.onnx))).toBe(false)
    expect(a.details).toMatchObject({ epochs: 5, stopped_early: false })
  })

  it('binary: two softmax outputs in class order', async () => {
    const binary = columns.map((c) =>
      c.name === 'label' ? { ...c, values: c.values.map((v) => (v === 'outer' ? 'yes' : 'no')) } : c,
    )
    const trained = await trainTabular({
      columns: binary,
      target: 'label',
      trainer: tabularTrainer('mlp'),
      params: { ...params, max_iter: 30 },
      seed: 4,
    })
    expect(trained.classes).toEqual(['no', 'yes'])
    expect(trained.exportError).toBeLessThan(1e-5)
    expect(trained.score.metrics.roc_auc).toBeGreaterThan(0.9)
  })

  it('refuses unknown or out-of-range parameters by name', async () => {
    const run = (p: Record<string, unknown>) =>
      trainTabular({ columns, target: 'label', trainer: tabularTrainer('mlp'), params: p })
    await expect(run({ hidden_layers: [3] })).rejects.toThrow(/mlp has no parameter 'hidden_layers'/)
    await expect(run({ hidden_layer_sizes: [0] })).rejects.toThrow(/'hidden_layer_sizes' must be/)
  })
})
