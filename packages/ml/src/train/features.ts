import { mulberry32 } from './seeded-random.js'
import type { FeatureSpec } from '../onnx/preprocess.js'

/** One column of training data as plain values: what the train action hands over after reading the table. */
export interface ColumnData {
  name: string
  values: ReadonlyArray<number | string | null>
}

export class TrainingDataError extends Error {}

/**
 * Fits the in-graph preprocessing on the training split only (so no holdout statistics leak in):
 * numeric -> mean imputation and standardisation (population std, as sklearn's StandardScaler);
 * categorical -> sorted categories seen in training, unknown ones encoded as all zeros.
 */
export function fitFeatureSpecs(
  columns: readonly ColumnData[],
  kinds: Readonly<Record<string, 'numeric' | 'categorical'>>,
  options: { maxCategories?: number } = {},
): FeatureSpec[] {
  const maxCategories = options.maxCategories ?? 100
  return columns.map((column) => {
    const kind = kinds[column.name]
    if (kind === 'numeric') {
      let count = 0
      let mean = 0
      let m2 = 0
      column.values.forEach((value, row) => {
        if (value === null) return
        if (typeof value !== 'number' || Number.isNaN(value)) {
          throw new TrainingDataError(
            `column '${column.name}' is numeric but row ${row + 1} holds ${JSON.stringify(value)}`,
          )
        }
        count++
        const delta = value - mean
        mean += delta / count
        m2 += delta * (value - mean)
      })
      if (count === 0)
        throw new TrainingDataError(`column '${column.name}' has no values in the training split`)
      return { name: column.name, kind: 'numeric', fill: mean, mean, std: Math.sqrt(m2 / count) }
    }
    if (kind === 'categorical') {
      const categories = [
        ...new Set(column.values.filter((v): v is string | number => v !== null && v !== '').map(String)),
      ].sort()
      if (categories.length > maxCategories) {
        throw new TrainingDataError(
          `column '${column.name}' has ${categories.length} categories (more than ${maxCategories}); drop it or treat it as an id`,
        )
      }
      return { name: column.name, kind: 'categorical', categories }
    }
    throw new TrainingDataError(`no feature kind for column '${column.name}'`)
  })
}

/** Row-major design matrix with exactly the features the graph computes, for the given rows. */
export function designMatrix(
  specs: readonly FeatureSpec[],
  columns: readonly ColumnData[],
  rows: readonly number[],
): Float64Array {
  const byName = new Map(columns.map((c) => [c.name, c.values]))
  const width = specs.reduce((n, s) => n + (s.kind === 'numeric' ? 1 : s.categories.length), 0)
  const x = new Float64Array(rows.length * width)
  let offset = 0
  for (const spec of specs) {
    const values = byName.get(spec.name)!
    if (spec.kind === 'numeric') {
      const scale = spec.std > 0 ? 1 / spec.std : 1
      rows.forEach((row, i) => {
        const v = values[row]
        x[i * width + offset] =
          ((typeof v === 'number' && !Number.isNaN(v) ? v : spec.fill) - spec.mean) * scale
      })
      offset++
    } else {
      const index = new Map(spec.categories.map((c, i) => [c, i]))
      rows.forEach((row, i) => {
        const v = values[row]
        const at = v === null || v === undefined ? undefined : index.get(String(v))
        if (at !== undefined) x[i * width + offset + at] = 1
      })
      offset += spec.categories.length
    }
  }
  return x
}

/** A seeded shuffle split, so the same seed gives the same holdout on every machine. */
export function trainTestSplit(
  rows: number,
  testShare: number,
  seed: number,
): { train: number[]; test: number[] } {
  const next = mulberry32(seed)
  const order = Array.from({ length: rows }, (_, i) => i)
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    ;[order[i], order[j]] = [order[j]!, order[i]!]
  }
  const testCount = Math.round(rows * testShare)
  return {
    test: order.slice(0, testCount).sort((a, b) => a - b),
    train: order.slice(testCount).sort((a, b) => a - b),
  }
}
