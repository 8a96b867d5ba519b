import { execFileSync } from 'node:child_process'
import { predictLinear } from '../onnx/linear-model.js'
import { fitLogisticRegression } from './logistic-regression.js'

function seeded(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 4294967296
  }
}

/** n rows of d standard-ish features with labels drawn from a known softmax model. */
function dataset(n: number, d: number, classes: number, seed: number) {
  const random = seeded(seed)
  const x = new Float64Array(n * d)
  const y: number[] = []
  const truth = Array.from({ length: classes }, () => Array.from({ length: d }, () => random() * 2 - 1))
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < d; f++) x[i * d + f] = (random() + random() + random() - 1.5) * 2
    const z = truth.map((w) => w.reduce((s, wf, f) => s + wf * x[i * d + f]!, 0))
    const e = z.map((v) => Math.exp(v))
    const total = e.reduce((a, b) => a + b, 0)
    let u = random() * total
    y.push(e.findIndex((v) => (u -= v) < 0))
  }
  return { x, y }
}

/** scikit-learn's LogisticRegression (lbfgs, C=1) on the same matrix: its probabilities are the reference. */
function sklearnProbabilities(x: Float64Array, y: number[], d: number): number[][] {
  const script = `
import json, sys
import numpy as np
from sklearn.linear_model import LogisticRegression
p = json.load(sys.stdin)
X = np.array(p['x']).reshape(-1, p['d'])
m = LogisticRegression(C=1.0, tol=1e-10, max_iter=20000).fit(X, p['y'])
print(json.dumps(m.predict_proba(X).tolist()))`
  return JSON.parse(
    execFileSync('/usr/bin/python3', ['-c', script], {
      input: JSON.stringify({ x: [...x], y, d }),
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    }),
  )
}

describe('fitLogisticRegression matches scikit-learn LogisticRegression(C=1, lbfgs)', () => {
  it.each([
    ['binary', 2],
    ['multinomial', 3],
  ])('%s: probabilities within 1e-5 of sklearn on every row', (_, classCount) => {
    const n = 2000
    const d = 5
    const { x, y } = dataset(n, d, classCount, 7 + classCount)
    const classes = Array.from({ length: classCount }, (_, i) => `c${i}`)
    const model = fitLogisticRegression(x, y, { rows: n, features: d, classes })
    expect(model.converged).toBe(true)
    const reference = sklearnProbabilities(x, y, d)
    let worst = 0
    for (let i = 0; i < n; i++) {
      const ours = predictLinear(model, Array.from(x.subarray(i * d, (i + 1) * d)))
      ours.forEach((p, c) => (worst = Math.max(worst, Math.abs(p - reference[i]![c]!))))
    }
    expect(worst).toBeLessThan(1e-5)
  })

  it('rejects a design matrix of the wrong size', () => {
    expect(() =>
      fitLogisticRegression(new Float64Array(5), [0, 1], { rows: 2, features: 3, classes: ['a', 'b'] }),
    ).toThrow(/expected 2 x 3/)
  })
})
