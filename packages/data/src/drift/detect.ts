import { didYouMean } from '../closest-match.js'
import type { ColumnTable, TableColumn } from '../columns.js'
import { DataError } from '../errors.js'
import { toNumber } from '../infer.js'
import { buildReferenceProfile } from './build-profile.js'
import { ksTwoSample } from './ks-two-sample.js'
import type { ReferenceColumn, ReferenceProfile } from './profile-types.js'
import {
  binShares,
  chiSquareTest,
  jensenShannonDistance,
  normedWasserstein,
  populationStabilityIndex,
  proportionZTest,
} from './statistics.js'
import { sampleFromValues, type WeightedSample } from './weighted-sample.js'

export const DRIFT_METHODS = ['ks', 'chisquare', 'z', 'wasserstein', 'jensenshannon', 'psi'] as const
export type DriftMethod = (typeof DRIFT_METHODS)[number]

/** Evidently's default thresholds (PSI: the common 0.2 "significant shift" rule). */
export const DEFAULT_THRESHOLDS: Readonly<Record<DriftMethod, number>> = {
  ks: 0.05,
  chisquare: 0.05,
  z: 0.05,
  wasserstein: 0.1,
  jensenshannon: 0.1,
  psi: 0.2,
}

const P_VALUE_METHODS = new Set<DriftMethod>(['ks', 'chisquare', 'z'])
const NUMERIC_ONLY = new Set<DriftMethod>(['ks', 'wasserstein'])
// Evidently: up to this many reference rows the p-value tests are the default, above it the distances
// (p-values flag every tiny shift on large samples).
const SMALL_REFERENCE_ROWS = 1000

export interface ColumnDriftOptions {
  method?: DriftMethod
  /** p-value below which (ks, chisquare, z) or distance at/above which (wasserstein, jensenshannon, psi) drifts. */
  threshold?: number
}

export interface DriftOptions {
  /** Columns to test (default: every reference column the current data has). Unknown names are an error. */
  columns?: string[]
  exclude?: string[]
  /** Per-column method and threshold; a column the reference does not have is an error. */
  perColumn?: Record<string, ColumnDriftOptions>
  /** Dataset drift when drifted columns / tested columns >= this. Default 0.5. */
  shareThreshold?: number
  /** Fewer non-null current values than this -> 'not enough data' (never drifted). Default 30. */
  minSamples?: number
}

export interface ColumnDrift {
  column: string
  kind: string
  method: string
  score: number
  threshold: number
  drifted: boolean
  status: 'ok' | 'drift' | 'not enough data'
  currentCount: number
  /** 'p_value': drifts when score < threshold; 'distance': drifts when score >= threshold. */
  scoreType: 'p_value' | 'distance'
  /** Test statistic behind a p-value (KS D, chi-square, z). */
  statistic?: number
}

export interface DriftReport {
  columns: ColumnDrift[]
  driftedShare: number
  datasetDrift: boolean
  shareThreshold: number
  referenceRows: number
  currentRows: number
  /** Reference columns the current data does not have (e.g. the target in a prediction log): not tested. */
  missingColumns: string[]
  minSamples: number
}

/**
 * Per-column drift tests with Evidently's defaults, from raw reference data or from a stored profile (the raw
 * data goes through the same profile, kept exact, so both give the same answer while the profile is exact).
 */
export function detectDrift(
  reference: ReferenceProfile | ColumnTable,
  current: ColumnTable,
  options: DriftOptions = {},
): DriftReport {
  const profile =
    'schema' in reference ? reference : buildReferenceProfile(reference, { maxPoints: Infinity })
  const shareThreshold = options.shareThreshold ?? 0.5
  if (!(shareThreshold >= 0 && shareThreshold <= 1))
    throw new DataError(`share threshold must be between 0 and 1, got ${shareThreshold}`)
  const minSamples = options.minSamples ?? 30
  if (!Number.isInteger(minSamples) || minSamples < 1)
    throw new DataError(`minimum sample size must be a whole number >= 1, got ${minSamples}`)
  const referenceNames = profile.columns.map((column) => column.name)
  const currentByName = new Map(current.columns.map((column) => [column.name, column]))
  // Excluding a column the reference lacks is harmless (a bundle's reference.json already leaves ids out).
  for (const name of [...(options.columns ?? []), ...Object.keys(options.perColumn ?? {})]) {
    if (!referenceNames.includes(name))
      throw new DataError(
        `column '${name}' is not in the reference data${didYouMean(name, referenceNames)}`,
        {
          column: name,
        },
      )
  }
  for (const name of options.columns ?? []) {
    if (!currentByName.has(name))
      throw new DataError(
        `column '${name}' is not in the current data${didYouMean(name, [...currentByName.keys()])}`,
        {
          column: name,
        },
      )
  }
  const exclude = new Set(options.exclude ?? [])
  const wanted = (options.columns ?? referenceNames).filter((name) => !exclude.has(name))
  const missingColumns = wanted.filter((name) => !currentByName.has(name))
  const columns = wanted
    .filter((name) => currentByName.has(name))
    .map((name) =>
      testColumn(
        profile.columns.find((column) => column.name === name)!,
        currentByName.get(name)!,
        profile.rows,
        options.perColumn?.[name] ?? {},
        minSamples,
      ),
    )
  const drifted = columns.filter((column) => column.drifted).length
  const driftedShare = columns.length === 0 ? 0 : drifted / columns.length
  return {
    columns,
    driftedShare,
    datasetDrift: columns.length > 0 && driftedShare >= shareThreshold,
    shareThreshold,
    referenceRows: profile.rows,
    currentRows: current.rows,
    missingColumns,
    minSamples,
  }
}

function testColumn(
  reference: ReferenceColumn,
  current: TableColumn,
  referenceRows: number,
  options: ColumnDriftOptions,
  minSamples: number,
): ColumnDrift {
  const numeric = reference.valueType === 'number'
  const ref: WeightedSample = {
    values: reference.values as number[] | string[],
    weights: reference.weights,
    total: reference.weights.reduce((sum, w) => sum + w, 0),
  }
  const cur = sampleFromValues(currentValues(reference, current))
  const method = options.method ?? defaultMethod(reference, ref, cur, referenceRows)
  if (!DRIFT_METHODS.includes(method))
    throw new DataError(
      `column '${reference.name}': unknown drift method '${method}' (use ${DRIFT_METHODS.join(', ')})`,
      {
        column: reference.name,
      },
    )
  if (NUMERIC_ONLY.has(method) && !numeric)
    throw new DataError(
      `column '${reference.name}': method '${method}' needs a numeric column, this one is categorical`,
      {
        column: reference.name,
      },
    )
  const scoreType = P_VALUE_METHODS.has(method) ? 'p_value' : 'distance'
  const threshold = options.threshold ?? DEFAULT_THRESHOLDS[method]
  if (!Number.isFinite(threshold) || threshold < 0 || (scoreType === 'p_value' && threshold > 1))
    throw new DataError(
      `column '${reference.name}': threshold ${threshold} is out of range for '${method}' (${scoreType === 'p_value' ? 'a p-value between 0 and 1' : 'a distance >= 0'})`,
      { column: reference.name },
    )
  const enough = cur.total >= minSamples && ref.total > 0
  const { score, statistic } =
    cur.total > 0 && ref.total > 0
      ? computeScore(method, reference, ref, cur)
      : { score: Number.NaN, statistic: undefined }
  const drifted = enough && (scoreType === 'p_value' ? score < threshold : score >= threshold)
  return {
    column: reference.name,
    kind: reference.kind,
    method,
    score,
    threshold,
    drifted,
    status: !enough ? 'not enough data' : drifted ? 'drift' : 'ok',
    currentCount: cur.total,
    scoreType,
    ...(statistic !== undefined && { statistic }),
  }
}

function defaultMethod(
  reference: ReferenceColumn,
  ref: WeightedSample,
  cur: WeightedSample,
  referenceRows: number,
): DriftMethod {
  // Evidently counts distinct values over both samples together.
  const distinct = reference.exact
    ? new Set<string | number>([...ref.values, ...cur.values]).size
    : Math.max(reference.unique, cur.values.length)
  const numeric = reference.valueType === 'number'
  if (referenceRows <= SMALL_REFERENCE_ROWS) {
    if (distinct <= 2) return 'z'
    return numeric && distinct > 5 ? 'ks' : 'chisquare'
  }
  return numeric && distinct > 5 ? 'wasserstein' : 'jensenshannon'
}

function computeScore(
  method: DriftMethod,
  reference: ReferenceColumn,
  ref: WeightedSample,
  cur: WeightedSample,
): { score: number; statistic?: number } {
  const numeric = reference.valueType === 'number'
  const range: [number, number] | undefined =
    numeric && reference.min !== undefined ? [reference.min, reference.max!] : undefined
  switch (method) {
    case 'ks': {
      const result = ksTwoSample(ref, cur)
      return { score: result.pValue, statistic: result.statistic }
    }
    case 'chisquare': {
      const result = chiSquareTest(ref, cur)
      return { score: result.pValue, statistic: result.statistic }
    }
    case 'z': {
      const result = proportionZTest(ref, cur)
      return { score: result.pValue, statistic: result.statistic }
    }
    case 'wasserstein':
      return { score: normedWasserstein(ref, cur, reference.std ?? 0) }
    case 'jensenshannon': {
      const shares = binShares(ref, cur, numeric, { referenceRange: range })
      return { score: jensenShannonDistance(shares.reference, shares.current) }
    }
    case 'psi': {
      const shares = binShares(ref, cur, numeric, { referenceRange: range, fillZeroes: true })
      return { score: populationStabilityIndex(shares.reference, shares.current) }
    }
  }
}

/** The current column in the reference's value type: numbers parsed from text, labels from numbers. */
function currentValues(reference: ReferenceColumn, current: TableColumn): Array<number | string | null> {
  if (reference.valueType === 'string')
    return current.kind === 'categorical'
      ? current.values
      : current.values.map((v) => (v === null ? null : String(v)))
  if (current.kind === 'numeric') return current.values
  return current.values.map((value) => {
    if (value === null) return null
    const number = toNumber(value)
    if (number === undefined)
      throw new DataError(
        `column '${reference.name}' is numeric in the reference but the current data holds ${JSON.stringify(value)}`,
        { column: reference.name },
      )
    return number
  })
}
