/**
 * Classification metrics with scikit-learn's definitions, so numbers logged here compare with numbers users
 * already have: ROC-AUC with ties averaged, PR-AUC as average precision (step-wise, not trapezoidal),
 * log loss with probabilities clipped to [eps, 1 - eps], macro averages over the classes present.
 */

/** Area under the ROC curve for binary labels (1 = positive) and scores; ties count half (Mann-Whitney U). */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const n = labels.length
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!)
  let positives = 0
  let rankSum = 0
  for (let i = 0; i < n;) {
    let j = i
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++
    const averageRank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!] === 1) {
        positives++
        rankSum += averageRank
      }
    }
    i = j + 1
  }
  const negatives = n - positives
  if (positives === 0 || negatives === 0) throw new Error('ROC-AUC needs both classes in the labels')
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives)
}

/** Average precision: sum over thresholds of (recall step) x precision, as sklearn's average_precision_score. */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const n = labels.length
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!)
  let totalPositives = 0
  for (let i = 0; i < n; i++) if (labels[i] === 1) totalPositives++
  if (totalPositives === 0) throw new Error('average precision needs at least one positive label')
  let truePositives = 0
  let seen = 0
  let previousRecall = 0
  let ap = 0
  for (let i = 0; i < n;) {
    // A threshold takes all tied scores at once.
    let j = i
    while (j < n && scores[order[j]!] === scores[order[i]!]) {
      if (labels[order[j]!] === 1) truePositives++
      seen++
      j++
    }
    const recall = truePositives / totalPositives
    ap += (recall - previousRecall) * (truePositives / seen)
    previousRecall = recall
    i = j
  }
  return ap
}

/** Mean negative log-likelihood; `probabilities[i][c]`, `labels[i]` a class index. */
export function logLoss(
  labels: ArrayLike<number>,
  probabilities: ReadonlyArray<ArrayLike<number>>,
  eps = 1e-15,
): number {
  let total = 0
  for (let i = 0; i < labels.length; i++) {
    const row = probabilities[i]!
    let sum = 0
    for (let c = 0; c < row.length; c++) sum += row[c]!
    // sklearn renormalises each row before clipping's effect, so rows that do not sum to 1 still compare.
    const p = Math.min(1 - eps, Math.max(eps, row[labels[i]!]! / sum))
    total -= Math.log(p)
  }
  return total / labels.length
}

export interface ClassificationReport {
  accuracy: number
  /** confusion[actual][predicted], in class index order. */
  confusion: number[][]
  perClass: Array<{ precision: number; recall: number; f1: number; support: number }>
  macro: { precision: number; recall: number; f1: number }
}

/** Accuracy, confusion matrix and precision/recall/F1 per class and macro (zero where undefined, as sklearn's zero_division=0). */
export function classificationReport(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classCount: number,
): ClassificationReport {
  const confusion = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0))
  let correct = 0
  for (let i = 0; i < actual.length; i++) {
    confusion[actual[i]!]![predicted[i]!]!++
    if (actual[i] === predicted[i]) correct++
  }
  const perClass = confusion.map((row, c) => {
    const truePositives = row[c]!
    const support = row.reduce((a, b) => a + b, 0)
    const predictedCount = confusion.reduce((sum, r) => sum + r[c]!, 0)
    const precision = predictedCount === 0 ? 0 : truePositives / predictedCount
    const recall = support === 0 ? 0 : truePositives / support
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)
    return { precision, recall, f1, support }
  })
  const mean = (key: 'precision' | 'recall' | 'f1') =>
    perClass.reduce((sum, c) => sum + c[key], 0) / classCount
  return {
    accuracy: correct / actual.length,
    confusion,
    perClass,
    macro: { precision: mean('precision'), recall: mean('recall'), f1: mean('f1') },
  }
}
