import { mulberry32 } from '../train/seeded-random.js'

function fillSample(random: () => number, sample: Int32Array): Int32Array {
  const rows = sample.length
  for (let i = 0; i < rows; i++) sample[i] = Math.floor(random() * rows)
  return sample
}

/**
 * Row indices of `resamples` bootstrap samples (n rows drawn with replacement), from a seeded generator so the
 * same gate run gives the same interval on every machine. The interval draws the same stream one sample at a
 * time; this materialised form is for handing the exact indices to SciPy/NumPy.
 */
export function bootstrapIndices(rows: number, resamples: number, seed: number): Int32Array[] {
  const random = mulberry32(seed)
  return Array.from({ length: resamples }, () => fillSample(random, new Int32Array(rows)))
}

/** NumPy's default percentile ("linear": interpolate between the two nearest ranks), q in [0, 100]. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN
  const position = (q / 100) * (sorted.length - 1)
  const below = Math.floor(position)
  const above = Math.min(sorted.length - 1, below + 1)
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below)
}

export interface BootstrapInterval {
  /** The statistic on all rows (candidate minus baseline). */
  estimate: number
  low: number
  high: number
  confidence: number
  /** Resamples the interval is made of. */
  resamples: number
  /** Resamples where the statistic was undefined (e.g. one class only, so no ROC-AUC), left out. */
  skipped: number
}

export interface BootstrapOptions {
  rows: number
  resamples: number
  seed: number
  confidence: number
}

/**
 * Percentile interval of a paired statistic: each resample draws the same rows for both models, so the spread
 * reflects the difference between them and not the difference between two draws of data. `statistic` returns
 * undefined when it cannot be computed on a sample. Samples are drawn one at a time (the same stream as
 * `bootstrapIndices`), so memory stays at one sample however many resamples are asked for.
 */
export function pairedBootstrapInterval(
  options: BootstrapOptions,
  statistic: (rows: Int32Array) => number | undefined,
): BootstrapInterval {
  const { rows, resamples, seed, confidence } = options
  if (!(confidence > 0 && confidence < 1)) throw new Error(`confidence must be in (0, 1), got ${confidence}`)
  const random = mulberry32(seed)
  const sample = new Int32Array(rows)
  const values: number[] = []
  for (let r = 0; r < resamples; r++) {
    const value = statistic(fillSample(random, sample))
    if (value !== undefined && Number.isFinite(value)) values.push(value)
  }
  values.sort((a, b) => a - b)
  const tail = ((1 - confidence) / 2) * 100
  return {
    estimate: statistic(Int32Array.from({ length: rows }, (_, i) => i)) ?? Number.NaN,
    low: percentile(values, tail),
    high: percentile(values, 100 - tail),
    confidence,
    resamples: values.length,
    skipped: resamples - values.length,
  }
}
