/**
 * KLL quantile sketch (Karnin, Lang & Liberty 2016). Chosen over t-digest because its rank error is bounded
 * whatever the distribution: data columns are often discrete (counts, scores, codes with heavy ties), where
 * t-digest's interpolation between centroids misplaces the cdf, and a data-quality check would rather have a
 * uniform, predictable error than sharp tails on smooth data only.
 *
 * Level h holds items of weight 2^h. A compaction sorts a level and moves every other item (random offset) up
 * a level with double weight, so the total weight stays exactly n. Level 0 is an unsorted buffer of k items,
 * compacted only when full: one native typed-array sort per k adds, instead of the textbook's small
 * compactions every few adds (fewer compactions also means less error). Levels above hold at most
 * k * (2/3)^depth items (at least 8), about 3k in all, so the sketch keeps about 4k numbers (plus 8 per level,
 * log2(n / k) levels) whatever n is. Until the first k items it is exact.
 */
export class KllSketch {
  readonly k: number
  private readonly buffer: Float64Array
  private buffered = 0
  // levels[h] for h >= 1 is sorted; levels[0] is unused (the buffer is level 0).
  private readonly levels: number[][] = [[]]
  private capacities: number[] = [0]
  private n = 0
  private minimum = Infinity
  private maximum = -Infinity
  private randomState = 0x2545f491
  // Sorted view for queries, rebuilt lazily after adds.
  private sortedValues: Float64Array | undefined
  private cumulativeWeights: Float64Array | undefined

  constructor(k = 400) {
    if (!Number.isInteger(k) || k < 8) throw new RangeError(`KLL k must be a whole number >= 8, got ${k}`)
    this.k = k
    this.buffer = new Float64Array(k)
  }

  get count(): number {
    return this.n
  }

  get min(): number {
    return this.n === 0 ? NaN : this.minimum
  }

  get max(): number {
    return this.n === 0 ? NaN : this.maximum
  }

  /** Numbers currently kept: about 4k whatever n is. */
  get retained(): number {
    let total = this.buffered
    for (const level of this.levels) total += level.length
    return total
  }

  add(x: number): void {
    if (x !== x) return
    this.buffer[this.buffered++] = x
    this.n++
    if (x < this.minimum) this.minimum = x
    if (x > this.maximum) this.maximum = x
    this.sortedValues = undefined
    if (this.buffered === this.k) this.compactBuffer()
  }

  /**
   * The value at fraction q of the data, interpolating between neighbouring ranks like numpy's default
   * ('linear'), so small inputs give the same answer as an exact computation. NaN when empty.
   */
  quantile(q: number): number {
    if (this.n === 0 || Number.isNaN(q)) return NaN
    if (q <= 0) return this.minimum
    if (q >= 1) return this.maximum
    const position = q * (this.n - 1)
    const below = Math.floor(position)
    const fraction = position - below
    const a = this.valueAtRank(below)
    const value = fraction === 0 ? a : a + fraction * (this.valueAtRank(below + 1) - a)
    return Math.min(this.maximum, Math.max(this.minimum, value))
  }

  /** Fraction of the data <= x. */
  cdf(x: number): number {
    return this.n === 0 ? NaN : this.rank(x, true) / this.n
  }

  /** Estimated number of items < x (or <= x when `inclusive`): an integer, exact below min and above max. */
  rank(x: number, inclusive = false): number {
    if (this.n === 0) return 0
    const { values, cumulative } = this.view()
    let lo = 0
    let hi = values.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (inclusive ? values[mid]! <= x : values[mid]! < x) lo = mid + 1
      else hi = mid
    }
    return lo === 0 ? 0 : cumulative[lo - 1]!
  }

  /** The item covering 0-based rank r, an item of weight w covering w consecutive ranks. */
  private valueAtRank(r: number): number {
    const { values, cumulative } = this.view()
    let lo = 0
    let hi = values.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (cumulative[mid]! > r) hi = mid
      else lo = mid + 1
    }
    return values[lo]!
  }

  private view(): { values: Float64Array; cumulative: Float64Array } {
    if (this.sortedValues && this.cumulativeWeights) {
      return { values: this.sortedValues, cumulative: this.cumulativeWeights }
    }
    const items: Array<{ value: number; weight: number }> = []
    for (let i = 0; i < this.buffered; i++) items.push({ value: this.buffer[i]!, weight: 1 })
    for (let h = 1; h < this.levels.length; h++) {
      const weight = 2 ** h
      for (const value of this.levels[h]!) items.push({ value, weight })
    }
    items.sort((a, b) => a.value - b.value)
    const values = new Float64Array(items.length)
    const cumulative = new Float64Array(items.length)
    let total = 0
    for (let i = 0; i < items.length; i++) {
      values[i] = items[i]!.value
      total += items[i]!.weight
      cumulative[i] = total
    }
    this.sortedValues = values
    this.cumulativeWeights = cumulative
    return { values, cumulative }
  }

  private compactBuffer(): void {
    const sorted = this.buffer.sort()
    // k may be odd: the odd item out stays in the buffer at weight 1, so the total weight is preserved exactly.
    const start = this.k % 2
    this.promote(1, sorted, start)
    this.buffered = start
    for (let h = 1; h < this.levels.length; h++) {
      const level = this.levels[h]!
      if (level.length < this.capacities[h]!) continue
      const odd = level.length % 2
      this.promote(h + 1, level, odd)
      this.levels[h] = odd === 1 ? [level[0]!] : []
    }
  }

  /** Moves every other item of sorted `items[start..]` up into level `target` with double weight. */
  private promote(target: number, items: ArrayLike<number>, start: number): void {
    if (target === this.levels.length) this.addLevel()
    const promoted: number[] = []
    for (let i = start + this.randomBit(); i < items.length; i += 2) promoted.push(items[i]!)
    this.levels[target] = mergeSorted(this.levels[target]!, promoted)
  }

  private addLevel(): void {
    this.levels.push([])
    // The top level holds k items and each level below two thirds of the one above.
    const top = this.levels.length - 1
    this.capacities = this.levels.map((_, h) =>
      h === 0 ? this.k : Math.max(8, Math.ceil(this.k * (2 / 3) ** (top - h))),
    )
  }

  private randomBit(): number {
    // xorshift32 with a fixed seed: the same data always gives the same sketch.
    let x = this.randomState
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.randomState = x
    return (x >>> 0) & 1
  }
}

function mergeSorted(a: number[], b: number[]): number[] {
  if (a.length === 0) return b
  const merged = new Array<number>(a.length + b.length)
  let i = 0
  let j = 0
  let out = 0
  while (i < a.length && j < b.length) merged[out++] = a[i]! <= b[j]! ? a[i++]! : b[j++]!
  while (i < a.length) merged[out++] = a[i++]!
  while (j < b.length) merged[out++] = b[j++]!
  return merged
}
