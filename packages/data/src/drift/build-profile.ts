import type { ColumnTable } from '../columns.js'
import { DataError } from '../errors.js'
import { REFERENCE_PROFILE_SCHEMA, type ReferenceColumn, type ReferenceProfile } from './profile-types.js'
import { compressToQuantiles, meanAndStd, sampleFromValues, type WeightedSample } from './weighted-sample.js'

export interface BuildReferenceProfileOptions {
  exclude?: string[]
  /**
   * Distinct values kept per column before a numeric column is compressed to this many quantiles (categorical:
   * the most frequent labels). Default 1000, so a reference of up to 1000 rows, where the p-value tests are the
   * default, is always stored exactly. `Infinity` keeps everything (detectDrift does that for raw reference data).
   */
  maxPoints?: number
}

/** The reference side of every drift test, small enough for reference.json in the model bundle. */
export function buildReferenceProfile(
  table: ColumnTable,
  options: BuildReferenceProfileOptions = {},
): ReferenceProfile {
  const exclude = new Set(options.exclude ?? [])
  const maxPoints = options.maxPoints ?? 1000
  if (!(maxPoints >= 2)) throw new DataError(`maxPoints must be at least 2, got ${maxPoints}`)
  const columns: ReferenceColumn[] = []
  for (const column of table.columns) {
    if (exclude.has(column.name)) continue
    const sample = sampleFromValues(column.values)
    const numeric = column.kind === 'numeric'
    const unique = sample.values.length
    const base = {
      name: column.name,
      kind: unique === 2 ? ('binary' as const) : numeric ? ('numeric' as const) : ('categorical' as const),
      valueType: numeric ? ('number' as const) : ('string' as const),
      count: sample.total,
      missing: table.rows - sample.total,
      unique,
    }
    if (numeric) {
      const values = sample.values as number[]
      const moments = sample.total > 0 ? meanAndStd(sample) : undefined
      const stored = unique > maxPoints ? compressToQuantiles(sample, maxPoints) : sample
      columns.push({
        ...base,
        exact: stored === sample,
        values: stored.values,
        weights: stored.weights,
        ...(moments && {
          mean: moments.mean,
          std: moments.std,
          min: values[0]!,
          max: values[values.length - 1]!,
        }),
      })
    } else {
      const stored = unique > maxPoints ? mostFrequent(sample, maxPoints) : sample
      columns.push({
        ...base,
        exact: stored === sample,
        values: stored.values,
        weights: stored.weights,
        ...(stored !== sample && { otherCount: sample.total - stored.total }),
      })
    }
  }
  return { schema: REFERENCE_PROFILE_SCHEMA, rows: table.rows, columns }
}

function mostFrequent(sample: WeightedSample, keep: number): WeightedSample {
  const order = sample.weights
    .map((weight, index) => ({ weight, index }))
    .sort((a, b) => b.weight - a.weight)
    .slice(0, keep)
    .map((entry) => entry.index)
    .sort((a, b) => a - b)
  const weights = order.map((index) => sample.weights[index]!)
  return {
    values: order.map((index) => (sample.values as string[])[index]!),
    weights,
    total: weights.reduce((sum, w) => sum + w, 0),
  }
}
