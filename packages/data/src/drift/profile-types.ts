export const REFERENCE_PROFILE_SCHEMA = 'mlops-actions/reference-profile@1'

/** binary = exactly two distinct values in the reference (numeric 0/1 or two labels); drives the Z-test default. */
export type ReferenceKind = 'numeric' | 'categorical' | 'binary'

/**
 * One column of the reference data as a weighted empirical distribution: `values` (sorted ascending for numbers,
 * by label for strings) with `weights` (how many reference rows hold each value). While a column has at most
 * `maxPoints` distinct values the distribution is the data itself (`exact: true`), so KS, chi-square, the
 * Z-test, Wasserstein, Jensen-Shannon and PSI give the same result as on the raw data. A numeric column with more
 * distinct values keeps `maxPoints` equally weighted quantiles instead (`exact: false`): the ECDF is then off by
 * at most 1/maxPoints, which moves Wasserstein by a fraction of the quantile spacing and KS by <= 1/maxPoints.
 */
export interface ReferenceColumn {
  name: string
  kind: ReferenceKind
  /** Type of the values: numbers for a numeric table column, strings otherwise. */
  valueType: 'number' | 'string'
  /** Non-null values. */
  count: number
  missing: number
  /** Distinct non-null values in the reference (exact, even when the distribution is compressed). */
  unique: number
  exact: boolean
  values: Array<number | string>
  weights: number[]
  /** Numeric columns: exact moments and range of the reference (population std, as numpy's default). */
  mean?: number
  std?: number
  min?: number
  max?: number
  /** Categorical columns with more than maxPoints labels: rows whose label was dropped from `values`. */
  otherCount?: number
}

export interface ReferenceProfile {
  schema: typeof REFERENCE_PROFILE_SCHEMA
  /** Rows of the reference table (null cells included); > 1000 switches to distance-based tests. */
  rows: number
  columns: ReferenceColumn[]
}
