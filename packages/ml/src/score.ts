import {
  averagePrecision,
  classificationReport,
  logLoss,
  rocAuc,
  type ClassificationReport,
} from './metrics.js'

/** The metric names every stage uses (logged to MLflow, compared by the gate), snake_case as MLflow users write them. */
export type MetricName =
  'accuracy' | 'precision_macro' | 'recall_macro' | 'f1_macro' | 'roc_auc' | 'pr_auc' | 'log_loss'

/** Whether a larger value is better, for the gate's default direction and for search. */
export const GREATER_IS_BETTER: Readonly<Record<MetricName, boolean>> = {
  accuracy: true,
  precision_macro: true,
  recall_macro: true,
  f1_macro: true,
  roc_auc: true,
  pr_auc: true,
  log_loss: false,
}

export interface ClassifierScore {
  metrics: Partial<Record<MetricName, number>>
  report: ClassificationReport
  /** Class index predicted per row (arg max of the probabilities, first on ties as ONNX ArgMax). */
  predicted: Int32Array
}

/**
 * Scores class probabilities (row-major, `classCount` per row) against class indices. ROC-AUC and PR-AUC are
 * for binary tasks only (positive class = index 1), as in sklearn's `roc_auc_score(y, p[:, 1])`.
 */
export function scoreClassifier(
  actual: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  classCount: number,
): ClassifierScore {
  const rows = actual.length
  if (probabilities.length !== rows * classCount) {
    throw new Error(`${probabilities.length} probabilities for ${rows} rows x ${classCount} classes`)
  }
  const predicted = new Int32Array(rows)
  const perRow: number[][] = []
  for (let i = 0; i < rows; i++) {
    let best = 0
    const row: number[] = []
    for (let c = 0; c < classCount; c++) {
      const p = probabilities[i * classCount + c]!
      row.push(p)
      if (p > row[best]!) best = c
    }
    predicted[i] = best
    perRow.push(row)
  }
  const report = classificationReport(actual, predicted, classCount)
  const metrics: ClassifierScore['metrics'] = {
    accuracy: report.accuracy,
    precision_macro: report.macro.precision,
    recall_macro: report.macro.recall,
    f1_macro: report.macro.f1,
    log_loss: logLoss(actual, perRow),
  }
  if (classCount === 2) {
    const positive = perRow.map((row) => row[1]!)
    const hasBoth = report.perClass.every((c) => c.support > 0)
    // One class only in the holdout: AUC is undefined (sklearn raises); leave it out rather than report NaN.
    if (hasBoth) {
      metrics.roc_auc = rocAuc(actual, positive)
      metrics.pr_auc = averagePrecision(actual, positive)
    }
  }
  return { metrics, report, predicted }
}

/** The metric a task is judged by unless the user picks another. */
export function defaultPrimaryMetric(classCount: number): MetricName {
  return classCount === 2 ? 'roc_auc' : 'f1_macro'
}
