import { execFileSync } from 'node:child_process'
import { averagePrecision, classificationReport, logLoss, rocAuc } from './metrics.js'

/** A small seeded generator, so the comparison data is the same on every run. */
function seeded(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 4294967296
  }
}

/** Runs scikit-learn (Debian python3-sklearn) on the same arrays: the reference these metrics must equal. */
function sklearn(payload: object): Record<string, unknown> {
  const script = `
import json, sys
from sklearn import metrics
d = json.load(sys.stdin)
y, s, p, yc, pc = d['y'], d['s'], d['p'], d['yc'], d['pc']
out = {
  'roc': metrics.roc_auc_score(y, s),
  'ap': metrics.average_precision_score(y, s),
  'logloss': metrics.log_loss(yc, p, labels=list(range(len(p[0])))),
  'acc': metrics.accuracy_score(yc, pc),
  'cm': metrics.confusion_matrix(yc, pc, labels=list(range(len(p[0])))).tolist(),
  'f1': metrics.f1_score(yc, pc, average='macro', zero_division=0),
  'prec': metrics.precision_score(yc, pc, average='macro', zero_division=0),
  'rec': metrics.recall_score(yc, pc, average='macro', zero_division=0),
}
print(json.dumps(out))`
  return JSON.parse(
    execFileSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(payload), encoding: 'utf8' }),
  )
}

describe('metrics agree with scikit-learn', () => {
  const random = seeded(42)
  const n = 3000
  const y = Array.from({ length: n }, () => (random() < 0.2 ? 1 : 0))
  // Scores with signal and many ties (rounded), the case where definitions differ most.
  const s = y.map((label) => Math.round((random() + label * 0.6) * 20) / 20)
  const classes = 3
  const p = Array.from({ length: n }, () => {
    const raw = Array.from({ length: classes }, () => random() + 0.05)
    const total = raw.reduce((a, b) => a + b, 0)
    return raw.map((v) => v / total)
  })
  const yc = Array.from({ length: n }, () => Math.floor(random() * classes))
  const pc = p.map((row, i) => (random() < 0.5 ? yc[i]! : row.indexOf(Math.max(...row))))
  const reference = sklearn({ y, s, p, yc, pc })

  it('ROC-AUC and average precision (with ties) to 1e-12', () => {
    expect(rocAuc(y, s)).toBeCloseTo(reference.roc as number, 12)
    expect(averagePrecision(y, s)).toBeCloseTo(reference.ap as number, 12)
  })

  it('log loss to 1e-12', () => {
    expect(logLoss(yc, p)).toBeCloseTo(reference.logloss as number, 12)
  })

  it('accuracy, confusion matrix and macro precision/recall/F1', () => {
    const report = classificationReport(yc, pc, classes)
    expect(report.accuracy).toBeCloseTo(reference.acc as number, 12)
    expect(report.confusion).toEqual(reference.cm)
    expect(report.macro.f1).toBeCloseTo(reference.f1 as number, 12)
    expect(report.macro.precision).toBeCloseTo(reference.prec as number, 12)
    expect(report.macro.recall).toBeCloseTo(reference.rec as number, 12)
  })

  it('refuses a ROC-AUC with one class', () => {
    expect(() => rocAuc([1, 1], [0.2, 0.3])).toThrow(/both classes/)
  })
})
