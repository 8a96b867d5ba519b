import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { rocAuc } from '../metrics.js'
import { exportLinearClassifier, predictLinear } from '../onnx/linear-model.js'
import { predictWithOnnx } from './evaluate-onnx.js'
import { designMatrix, fitFeatureSpecs, trainTestSplit, type ColumnData } from './features.js'
import { fitLogisticRegression } from './logistic-regression.js'

/**
 * The embedded readmission example end to end: fit on a seeded split, export one ONNX graph with the
 * preprocessing inside, score the holdout with onnxruntime, and compare with scikit-learn's equivalent
 * pipeline on the same rows. (scripts/examples.sh generates the data; npm test runs it first.)
 */
const file = resolve(import.meta.dirname, '../../../../examples/readmission/data/reference.csv')
const ROWS = 30_000
const TARGET = 'readmitted_30d'

function loadColumns(): {
  columns: ColumnData[]
  kinds: Record<string, 'numeric' | 'categorical'>
  y: number[]
} {
  const lines = readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .slice(0, ROWS + 1)
  const header = lines[0]!.split(',')
  const cells = lines.slice(1).map((l) => l.split(','))
  const kinds: Record<string, 'numeric' | 'categorical'> = {}
  const columns: ColumnData[] = []
  header.forEach((name, c) => {
    if (name === TARGET || name === 'patient_id') return
    const raw = cells.map((r) => r[c]!)
    const numeric = raw.every((v) => v === '' || Number.isFinite(Number(v)))
    kinds[name] = numeric ? 'numeric' : 'categorical'
    columns.push({ name, values: raw.map((v) => (v === '' ? null : numeric ? Number(v) : v)) })
  })
  const t = header.indexOf(TARGET)
  return { columns, kinds, y: cells.map((r) => Number(r[t])) }
}

function sklearnAuc(
  columns: ColumnData[],
  kinds: Record<string, string>,
  y: number[],
  train: number[],
  test: number[],
): number {
  const script = `
import json, sys
import numpy as np, pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
d = json.load(sys.stdin)
df = pd.DataFrame({c['name']: c['values'] for c in d['columns']})
num = [n for n, k in d['kinds'].items() if k == 'numeric']
cat = [n for n, k in d['kinds'].items() if k == 'categorical']
df[num] = df[num].astype(float)
df[cat] = df[cat].fillna('')
pre = ColumnTransformer([('num', make_pipeline(SimpleImputer(strategy='mean'), StandardScaler()), num),
                         ('cat', OneHotEncoder(handle_unknown='ignore'), cat)])
model = Pipeline([('pre', pre), ('lr', LogisticRegression(C=1.0, max_iter=5000, tol=1e-8))])
y = np.array(d['y'])
model.fit(df.iloc[d['train']], y[d['train']])
print(roc_auc_score(y[d['test']], model.predict_proba(df.iloc[d['test']])[:, 1]))`
  const payload = JSON.stringify({ columns, kinds, y, train, test })
  return Number(
    execFileSync('/usr/bin/python3', ['-c', script], {
      input: payload,
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    }),
  )
}

describe('logistic regression on the readmission example', () => {
  const { columns, kinds, y } = loadColumns()
  const { train, test } = trainTestSplit(y.length, 0.2, 42)
  const specs = fitFeatureSpecs(
    columns.map((c) => ({ name: c.name, values: train.map((r) => c.values[r]!) })),
    kinds,
  )
  const x = designMatrix(specs, columns, train)
  const width = x.length / train.length
  const model = fitLogisticRegression(
    x,
    train.map((r) => y[r]!),
    { rows: train.length, features: width, classes: ['0', '1'] },
  )
  const onnx = exportLinearClassifier(specs, model)

  it('the exported graph gives the trainer in-memory probabilities within 1e-5 on the holdout', async () => {
    const { probabilities } = await predictWithOnnx(onnx, specs, columns, test)
    const holdout = designMatrix(specs, columns, test)
    let worst = 0
    test.forEach((_, i) => {
      const expected = predictLinear(model, Array.from(holdout.subarray(i * width, (i + 1) * width)))[1]!
      worst = Math.max(worst, Math.abs(probabilities[i * 2 + 1]! - expected))
    })
    expect(worst).toBeLessThan(1e-5)
  })

  it('ROC-AUC within 0.002 of scikit-learn on the same split', async () => {
    const { probabilities } = await predictWithOnnx(onnx, specs, columns, test)
    const ours = rocAuc(
      test.map((r) => y[r]!),
      test.map((_, i) => probabilities[i * 2 + 1]!),
    )
    const reference = sklearnAuc(columns, kinds, y, train, test)
    expect(ours).toBeGreaterThan(0.6)
    expect(Math.abs(ours - reference)).toBeLessThan(0.002)
  })

  it('names the row of a non-numeric value in a numeric column', () => {
    expect(() => fitFeatureSpecs([{ name: 'age', values: [1, 'x', 3] }], { age: 'numeric' })).toThrow(
      /column 'age' is numeric but row 2 holds "x"/,
    )
  })
})
