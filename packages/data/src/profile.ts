import { INTEGER, NOT_NUMERIC, scanNumber, stringKind, widenType } from './infer.js'
import type { NumberScan } from './infer.js'
import { HyperLogLog } from './sketch/hyperloglog.js'
import { KllSketch } from './sketch/kll.js'
import { hash64 } from './sketch/hash.js'
import { HeavyHitters } from './sketch/heavy-hitters.js'
import type { Cell, ColumnType } from './types.js'

export interface ProfileOptions {
  /** Most frequent values reported per column. Default 10. */
  topK?: number
  /** Equal-width histogram bins between min and max. Default 20. */
  histogramBins?: number
  /** Quantiles reported for numeric columns, as fractions. Default p1 p5 p25 p50 p75 p95 p99. */
  quantiles?: number[]
}

export interface NumericProfile {
  min: number
  max: number
  mean: number
  /** Sample standard deviation (n - 1); 0 for a single value. */
  std: number
  /** Keyed 'p1', 'p5', ..., 'p99' (a quantile of 0.999 is 'p99.9'). */
  quantiles: Record<string, number>
  /** `edges` has one more entry than `counts`; every bin is [lo, hi) except the last, which includes max. */
  histogram: { edges: number[]; counts: number[] }
}

export interface ColumnProfile {
  name: string
  type: ColumnType
  /** Rows seen. */
  count: number
  nulls: number
  nullRate: number
  /** Distinct non-null values: exact up to 2000, a HyperLogLog estimate beyond. */
  distinct: number
  nonNull: number
  /** Over the cells that are numbers; only for integer and number columns. */
  numeric?: NumericProfile
  /** Lengths of the string cells; only for string columns. */
  text?: { minLength: number; maxLength: number; meanLength: number }
  /**
   * Most frequent values as strings, most frequent first. Exact counts while the column has at most 2000
   * distinct values; beyond, lower bounds at most rows / 1000 short, and values seen once may be missing.
   */
  top: Array<{ value: string; count: number }>
  boolean?: { trueCount: number; falseCount: number }
}

export interface DatasetProfile {
  rows: number
  columns: ColumnProfile[]
}

export const DEFAULT_QUANTILES: readonly number[] = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]
const HEAVY_HITTER_CAPACITY = 1000

/** Running state of one column; every field has a fixed size whatever the row count. */
class ColumnState {
  type: ColumnType = 'empty'
  nulls = 0
  // Numeric stats are kept while the column may still turn out numeric, and dropped once it cannot.
  numericActive = true
  numericCount = 0
  mean = 0
  m2 = 0
  min = Infinity
  max = -Infinity
  sketch: KllSketch | undefined = new KllSketch()
  textCount = 0
  minLength = Infinity
  maxLength = 0
  totalLength = 0
  trueCount = 0
  falseCount = 0
  readonly distinct = new HyperLogLog()
  readonly top = new HeavyHitters(HEAVY_HITTER_CAPACITY)

  constructor(readonly name: string) {}

  widen(kind: ColumnType): void {
    const type = widenType(this.type, kind)
    this.type = type
    if (type !== 'integer' && type !== 'number' && type !== 'empty') {
      this.numericActive = false
      this.sketch = undefined
    }
  }

  addNumber(x: number): void {
    // Infinity is a number kind but has no place in a mean or a histogram.
    if (!this.numericActive || x === Infinity || x === -Infinity) return
    const n = ++this.numericCount
    const delta = x - this.mean
    this.mean += delta / n
    this.m2 += delta * (x - this.mean)
    if (x < this.min) this.min = x
    if (x > this.max) this.max = x
    this.sketch!.add(x)
  }
}

/**
 * Builds a dataset profile in one pass over the records, in memory that does not grow with the row count:
 * exact counts, min, max, mean and std (Welford), a KLL sketch for quantiles and the histogram, HyperLogLog
 * for distinct counts and Misra-Gries for the most frequent values.
 */
export class ProfileBuilder {
  private readonly states: ColumnState[]
  private readonly byName: Map<string, ColumnState>
  private readonly topK: number
  private readonly histogramBins: number
  private readonly quantiles: readonly number[]
  private rows = 0

  constructor(
    readonly columns: string[],
    options: ProfileOptions = {},
  ) {
    this.states = columns.map((name) => new ColumnState(name))
    this.byName = new Map(this.states.map((state) => [state.name, state]))
    this.topK = options.topK ?? 10
    this.histogramBins = options.histogramBins ?? 20
    this.quantiles = options.quantiles ?? DEFAULT_QUANTILES
    if (!Number.isInteger(this.histogramBins) || this.histogramBins < 1) {
      throw new RangeError(`histogramBins must be a whole number >= 1, got ${this.histogramBins}`)
    }
    for (const q of this.quantiles) {
      if (!(q >= 0 && q <= 1)) throw new RangeError(`quantiles must be fractions from 0 to 1, got ${q}`)
    }
  }

  /** One record, cells in `columns` order; a missing trailing cell counts as null. */
  add(values: readonly Cell[]): void {
    this.rows++
    const states = this.states
    for (let i = 0; i < states.length; i++) {
      const state = states[i]!
      const cell = values[i]
      let key: string
      if (typeof cell === 'string') {
        key = cell
        const length = cell.length
        state.textCount++
        state.totalLength += length
        if (length < state.minLength) state.minLength = length
        if (length > state.maxLength) state.maxLength = length
        // A string column stays a string column: no need to classify its cells any more.
        if (state.type !== 'string') observeString(state, cell)
      } else if (typeof cell === 'number') {
        if (cell !== cell) {
          state.nulls++
          continue
        }
        key = String(cell)
        if (state.type !== 'string') {
          const kind = Number.isInteger(cell) ? 'integer' : 'number'
          if (state.type !== kind) state.widen(kind)
          state.addNumber(cell)
        }
      } else if (typeof cell === 'boolean') {
        key = cell ? 'true' : 'false'
        if (state.type !== 'boolean') state.widen('boolean')
        if (cell) state.trueCount++
        else state.falseCount++
      } else {
        state.nulls++
        continue
      }
      hash64(key, cellHash)
      state.distinct.addHash(cellHash[0]!, cellHash[1]!)
      state.top.add(key, cellHash[0]!)
    }
  }

  /** The q quantile of a numeric column so far; undefined for an unknown or non-numeric column. */
  quantile(column: string, q: number): number | undefined {
    const state = this.byName.get(column)
    if (!state?.sketch || state.numericCount === 0 || !isNumericType(state.type)) return undefined
    return state.sketch.quantile(q)
  }

  finish(): DatasetProfile {
    return { rows: this.rows, columns: this.states.map((state) => this.columnProfile(state)) }
  }

  private columnProfile(state: ColumnState): ColumnProfile {
    const rows = this.rows
    const nonNull = rows - state.nulls
    const distinct = state.top.exact
      ? state.top.size
      : Math.min(nonNull, Math.max(state.top.size, state.distinct.estimate()))
    const profile: ColumnProfile = {
      name: state.name,
      type: state.type,
      count: rows,
      nulls: state.nulls,
      nullRate: rows === 0 ? 0 : state.nulls / rows,
      distinct,
      nonNull,
      top: state.top.top(this.topK),
    }
    if (isNumericType(state.type) && state.sketch && state.numericCount > 0) {
      profile.numeric = this.numericProfile(state, state.sketch)
    }
    if (state.type === 'string' && state.textCount > 0) {
      profile.text = {
        minLength: state.minLength,
        maxLength: state.maxLength,
        meanLength: state.totalLength / state.textCount,
      }
    }
    if (state.type === 'boolean')
      profile.boolean = { trueCount: state.trueCount, falseCount: state.falseCount }
    return profile
  }

  private numericProfile(state: ColumnState, sketch: KllSketch): NumericProfile {
    const n = state.numericCount
    const quantiles: Record<string, number> = {}
    for (const q of this.quantiles) quantiles[quantileKey(q)] = sketch.quantile(q)
    return {
      min: state.min,
      max: state.max,
      mean: state.mean,
      std: n > 1 ? Math.sqrt(state.m2 / (n - 1)) : 0,
      quantiles,
      histogram: histogram(sketch, state.min, state.max, n, this.histogramBins),
    }
  }
}

const scan: NumberScan = { kind: NOT_NUMERIC }
// Each cell is hashed once, for both the distinct count and the frequent values.
const cellHash = new Uint32Array(2)

function observeString(state: ColumnState, cell: string): void {
  const first = cell.charCodeAt(0)
  // Most cells of a numeric column: a digit or a sign or a point, parsed in the same scan that classifies them.
  if ((first >= 48 && first <= 57) || first === 45 || first === 43 || first === 46) {
    const value = scanNumber(cell, scan)
    if (scan.kind !== NOT_NUMERIC) {
      const kind = scan.kind === INTEGER ? 'integer' : 'number'
      if (state.type !== kind) state.widen(kind)
      state.addNumber(value)
      return
    }
  }
  const kind = stringKind(cell)
  if (kind === 'boolean') {
    if (cell.length === 4) state.trueCount++
    else state.falseCount++
  }
  if (state.type !== kind) state.widen(kind === 'null' ? 'empty' : kind)
}

function isNumericType(type: ColumnType): boolean {
  return type === 'integer' || type === 'number'
}

/** 0.05 -> 'p5', 0.999 -> 'p99.9' (rounded so that 0.07 * 100 = 7.000000000000001 reads 'p7'). */
export function quantileKey(q: number): string {
  return `p${Number((q * 100).toPrecision(12))}`
}

/**
 * Equal-width bins from the sketch's ranks: count of [lo, hi) is rank(hi) - rank(lo), so the counts are
 * integers summing to n with no second pass over the data (exact while the sketch is).
 */
function histogram(
  sketch: KllSketch,
  min: number,
  max: number,
  n: number,
  bins: number,
): { edges: number[]; counts: number[] } {
  if (min === max) return { edges: [min, max], counts: [n] }
  const edges: number[] = []
  for (let i = 0; i < bins; i++) edges.push(min + ((max - min) * i) / bins)
  edges.push(max)
  const counts: number[] = []
  let below = 0
  for (let i = 1; i < bins; i++) {
    const rank = sketch.rank(edges[i]!)
    counts.push(rank - below)
    below = rank
  }
  counts.push(n - below)
  return { edges, counts }
}
