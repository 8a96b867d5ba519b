import { exportLinearClassifier } from '../onnx/linear-model.js'
import type { FeatureSpec } from '../onnx/preprocess.js'
import {
  checkSameSignature,
  evaluateOnHoldout,
  EvaluationInputError,
  prepareHoldout,
  type HoldoutColumn,
} from './evaluate-holdout.js'

const features: FeatureSpec[] = [
  { name: 'age', kind: 'numeric', fill: 50, mean: 50, std: 10 },
  { name: 'ward', kind: 'categorical', categories: ['a', 'b'] },
]
const info = { features, labels: ['no', 'yes'], target: 'outcome' }
// p(yes) = sigmoid((age - 50) / 10 + 2 * [ward = b] - 1)
const onnx = exportLinearClassifier(features, {
  classes: ['no', 'yes'],
  weights: [[1, 0, 2]],
  intercepts: [-1],
})

const columns: HoldoutColumn[] = [
  { name: 'age', kind: 'numeric', values: [30, 70, null, 55] },
  { name: 'ward', kind: 'categorical', values: ['a', 'b', 'b', 'zz'] },
  { name: 'outcome', kind: 'categorical', values: ['no', 'yes', '', 'yes'] },
]

describe('evaluateOnHoldout', () => {
  it('runs the graph (preprocessing included) and scores the labelled rows', async () => {
    const holdout = prepareHoldout(info, columns)
    expect(holdout.rows).toEqual([0, 1, 3])
    expect(holdout.unlabelled).toBe(1)
    const result = await evaluateOnHoldout({ onnx, info }, holdout)
    const sigmoid = (z: number) => 1 / (1 + Math.exp(-z))
    // Row 3: an unseen ward is all zeros in the one-hot encoding.
    const expected = [sigmoid(-2 - 1), sigmoid(2 + 2 - 1), sigmoid(0.5 - 1)]
    expected.forEach((p, i) => expect(result.probabilities[i * 2 + 1]).toBeCloseTo(p, 5))
    expect([...result.predicted]).toEqual([0, 1, 0])
    expect(result.metrics.accuracy).toBeCloseTo(2 / 3, 12)
    expect(result.confusion).toEqual([
      [1, 0],
      [1, 1],
    ])
    expect(result.sizeBytes).toBe(onnx.byteLength)
    expect(result.latencyMsPerRow).toBeGreaterThan(0)
  })
})

describe('inputs that cannot be compared name the column', () => {
  it.each([
    [
      'a missing input column',
      columns.filter((c) => c.name !== 'ward'),
      /the holdout has no column 'ward', which the model takes as input/,
    ],
    [
      'text in a numeric input',
      [{ name: 'age', kind: 'categorical' as const, values: ['old'] }, ...columns.slice(1)],
      /column 'age' is numeric in the model but holds text in the holdout \(e\.g\. "old"\)/,
    ],
    [
      'a label the model does not know',
      [...columns.slice(0, 2), { name: 'outcome', kind: 'categorical' as const, values: ['no', 'maybe'] }],
      /column 'outcome' holds 'maybe' in row 2 of the holdout, a class the model does not know \(classes: no, yes\)/,
    ],
  ])('%s', (_, table, message) => {
    expect(() => prepareHoldout(info, table)).toThrow(EvaluationInputError)
    expect(() => prepareHoldout(info, table)).toThrow(message)
  })

  it.each([
    [
      'an input only the champion has',
      { ...info, features: [features[0]!] },
      /the champion takes column 'ward', which the candidate does not/,
    ],
    [
      'an input of another kind',
      {
        ...info,
        features: [features[0]!, { name: 'ward', kind: 'numeric' as const, fill: 0, mean: 0, std: 1 }],
      },
      /column 'ward' is numeric in the candidate but categorical in the champion/,
    ],
    ['other classes', { ...info, labels: ['no', 'yes', 'later'] }, /the models predict different classes/],
  ])('signature mismatch: %s', (_, candidate, message) => {
    expect(() => checkSameSignature(candidate, info)).toThrow(message)
  })
})
