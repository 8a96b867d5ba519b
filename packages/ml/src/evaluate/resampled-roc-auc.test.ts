import { rocAuc } from '../metrics.js'
import { mulberry32 } from '../train/seeded-random.js'
import { bootstrapIndices } from './paired-bootstrap.js'
import { rocAucResampler } from './resampled-roc-auc.js'

describe('rocAucResampler', () => {
  it('equals rocAuc on every materialised resample, ties included', () => {
    const random = mulberry32(9)
    const rows = 300
    const labels = Int32Array.from({ length: rows }, () => (random() < 0.25 ? 1 : 0))
    // Scores rounded to 2 decimals: many ties, within and across classes.
    const scores = Float64Array.from(labels, (y) => Math.round((random() + y * 0.3) * 100) / 100)
    const resampler = rocAucResampler(labels, scores)
    for (const sample of bootstrapIndices(rows, 50, 3)) {
      const expected = rocAuc(
        Int32Array.from(sample, (r) => labels[r]!),
        Float64Array.from(sample, (r) => scores[r]!),
      )
      expect(resampler.auc(sample)).toBe(expected)
    }
  })

  it('is undefined for a sample with one class only', () => {
    const resampler = rocAucResampler([0, 1, 0], [0.1, 0.9, 0.2])
    expect(resampler.auc(Int32Array.from([0, 2, 0]))).toBeUndefined()
  })
})
