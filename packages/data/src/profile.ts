import { ArrayBatch } from './batch.js'
import { CsvBatch, NULL_CELL } from './csv.js'
import { INTEGER, NOT_NUMERIC, scanNumber, scanNumberAt, stringKind, widenType } from './infer.js'
import type { NumberScan } from './infer.js'
import { HyperLogLog } from './sketch/hyperloglog.js'
import { KllSketch } from './sketch/kll.js'
import { hash64At, hashNumber } from './sketch/hash.js'
import { HeavyHitters } from './sketch/heavy-hitters.js'
import type { Cell, ColumnType, RecordBatch } from './types.js'

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
    for (let i = 0; i < states.length; i++) addCell(states[i]!, values[i])
  }

  /**
   * Records of a batch, with the same result as `add` on each record in turn. CSV batches are read column by
   * column straight from the parsed text: a number is parsed and a cell hashed where it lies, and a string is
   * only made for a value the frequent-values table has not seen.
   */
  addBatch(batch: RecordBatch): void {
    if (!(batch instanceof CsvBatch)) {
      for (let row = 0; row < batch.length; row++) {
        this.add(batch instanceof ArrayBatch ? batch.records[row]!.values : batch.values(row))
      }
      return
    }
    const rows = batch.length
    this.rows += rows
    const { text, starts, ends, width } = batch
    const states = this.states
    const end = rows * width
    for (let column = 0; column < states.length; column++) {
      const state = states[column]!
      if (column >= width) {
        state.nulls += rows
        continue
      }
      for (let index = column; index < end; index += width) {
        const start = starts[index]!
        if (start >= 0) addText(state, text, start, ends[index]!)
        else if (start === NULL_CELL) state.nulls++
        else addCell(state, batch.strings.get(index))
      }
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

const scan: NumberScan = { kind: NOT_NUMERIC, canonical: false }
// Each cell is hashed once, for both the distinct count and the frequent values.
const cellHash = new Uint32Array(2)

function addCell(state: ColumnState, cell: Cell | undefined): void {
  if (typeof cell === 'string') {
    addText(state, cell, 0, cell.length)
    return
  }
  if (typeof cell === 'number') {
    if (cell !== cell) {
      state.nulls++
      return
    }
    if (state.type !== 'string') {
      const kind = Number.isInteger(cell) ? 'integer' : 'number'
      if (state.type !== kind) state.widen(kind)
      state.addNumber(cell)
    }
    // Keyed like the text String(cell) in a CSV: by its value when that text is canonical, else by the text.
    const text = String(cell)
    const value = scanNumber(text, scan)
    if (scan.canonical) countNumber(state, value)
    else countText(state, text, 0, text.length)
    return
  }
  if (typeof cell === 'boolean') {
    if (state.type !== 'boolean') state.widen('boolean')
    if (cell) state.trueCount++
    else state.falseCount++
    const key = cell ? 'true' : 'false'
    countText(state, key, 0, key.length)
    return
  }
  state.nulls++
}

/**
 * The string cell text[start, end) (the whole string for a record's cell, a stretch of the parsed text for a
 * CSV batch): types, lengths, numeric stats, distinct count and frequent values. A cell that is the canonical
 * text of a number is counted by its value, so the common numeric cell costs a parse and a few multiplications,
 * not a string and a hash over its characters.
 */
function addText(state: ColumnState, text: string, start: number, end: number): void {
  const length = end - start
  state.textCount++
  state.totalLength += length
  if (length < state.minLength) state.minLength = length
  if (length > state.maxLength) state.maxLength = length
  const first = text.charCodeAt(start)
  if (state.type !== 'string') {
    // A digit, a sign or a point: almost always a number, parsed in the same scan that classifies it.
    if (length > 0 && ((first >= 48 && first <= 57) || first === 45 || first === 43 || first === 46)) {
      const value = scanNumberAt(text, start, end, scan)
      if (scan.kind !== NOT_NUMERIC) {
        const kind = scan.kind === INTEGER ? 'integer' : 'number'
        if (state.type !== kind) state.widen(kind)
        state.addNumber(value)
        if (scan.canonical) countNumber(state, value)
        else countText(state, text, start, end)
        return
      }
    }
    observeNonNumeric(state, text.slice(start, end))
  } else if (length > 0 && ((first >= 48 && first <= 57) || first === 45)) {
    // A string column no longer needs the number, but the key must not depend on the column's type so far.
    const value = scanNumberAt(text, start, end, scan)
    if (scan.canonical) {
      countNumber(state, value)
      return
    }
  }
  countText(state, text, start, end)
}

function countNumber(state: ColumnState, value: number): void {
  hashNumber(value, cellHash)
  state.distinct.addHash(cellHash[0]!, cellHash[1]!)
  state.top.addNumber(value, cellHash[0]!)
}

function countText(state: ColumnState, text: string, start: number, end: number): void {
  hash64At(text, start, end, cellHash)
  state.distinct.addHash(cellHash[0]!, cellHash[1]!)
  state.top.addAt(text, start, end, cellHash[0]!)
}

/** A string cell that is not a number: a boolean, a datetime, or text. */
function observeNonNumeric(state: ColumnState, cell: string): void {
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
