/**
 * ROC-AUC of many resamples of the same rows, without sorting each resample: the rows are ordered by score once,
 * and a resample is a count per row. Walking the order with those counts gives the Mann-Whitney U with ties
 * counted half, which is what `rocAuc` computes from average ranks on the expanded sample (the tests check the two
 * agree). O(n) per resample instead of O(n log n) plus allocation: a 100k-row holdout with 1000 resamples stays
 * in seconds.
 */
export interface RocAucResampler {
  /** undefined when the sample holds one class only (AUC undefined). */
  auc(sample: Int32Array): number | undefined
}

export function rocAucResampler(labels: ArrayLike<number>, scores: ArrayLike<number>): RocAucResampler {
  const n = labels.length
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!)
  // Start of the tie group each sorted position belongs to.
  const groupEnd = new Int32Array(n)
  for (let i = n - 1; i >= 0; i--) {
    groupEnd[i] = i + 1 < n && scores[order[i + 1]!] === scores[order[i]!] ? groupEnd[i + 1]! : i + 1
  }
  const counts = new Int32Array(n)
  return {
    auc(sample) {
      counts.fill(0)
      for (let i = 0; i < sample.length; i++) counts[sample[i]!]!++
      let negativesBelow = 0
      let positives = 0
      let u = 0
      for (let i = 0; i < n;) {
        const end = groupEnd[i]!
        let groupPositives = 0
        let groupNegatives = 0
        for (let k = i; k < end; k++) {
          const row = order[k]!
          if (labels[row] === 1) groupPositives += counts[row]!
          else groupNegatives += counts[row]!
        }
        u += groupPositives * (negativesBelow + groupNegatives / 2)
        negativesBelow += groupNegatives
        positives += groupPositives
        i = end
      }
      if (positives === 0 || negativesBelow === 0) return undefined
      return u / (positives * negativesBelow)
    },
  }
}
