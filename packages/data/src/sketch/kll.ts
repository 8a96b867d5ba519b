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
  // levels[h] for h >= 1 holds its sorted items in [0, sizes[h]); levels[0] is unused (the buffer is level 0).
  // Typed arrays that grow by doubling and are merged into in place: a compaction allocates nothing.
  private readonly levels: Float64Array[] = [new Float64Array(0)]
  private readonly sizes: number[] = [0]
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
    for (const size of this.sizes) total += size
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
      const level = this.levels[h]!
      for (let i = 0; i < this.sizes[h]!; i++) items.push({ value: level[i]!, weight })
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
    const sorted = sortBuffer(this.buffer)
    // k may be odd: the odd item out stays in the buffer at weight 1, so the total weight is preserved exactly.
    const start = this.k % 2
    this.promote(1, sorted, start, this.k)
    this.buffered = start
    for (let h = 1; h < this.levels.length; h++) {
      const size = this.sizes[h]!
      if (size < this.capacities[h]!) continue
      const odd = size % 2
      this.promote(h + 1, this.levels[h]!, odd, size)
      // The odd item out is the smallest, already at index 0.
      this.sizes[h] = odd
    }
  }

  /** Moves every other item of sorted `items[start, end)` up into level `target` with double weight. */
  private promote(target: number, items: Float64Array, start: number, end: number): void {
    if (target === this.levels.length) this.addLevel()
    const first = start + this.randomBit()
    const count = (end - first + 1) >>> 1
    const size = this.sizes[target]!
    let level = this.levels[target]!
    if (size + count > level.length) {
      const grown = new Float64Array(Math.max(size + count, 2 * level.length, 16))
      grown.set(level.subarray(0, size))
      this.levels[target] = level = grown
    }
    // Merged from the back, in place: the level's items move right only as far as the promoted ones need room.
    let i = size - 1
    let j = first + 2 * (count - 1)
    let out = size + count - 1
    while (j >= first) {
      const promoted = items[j]!
      if (i >= 0 && level[i]! > promoted) level[out--] = level[i--]!
      else {
        level[out--] = promoted
        j -= 2
      }
    }
    this.sizes[target] = size + count
  }

  private addLevel(): void {
    this.levels.push(new Float64Array(0))
    this.sizes.push(0)
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

// Scratch space for sortBuffer, shared by every sketch (a sort never runs inside another) and grown to the largest k.
let bucketOf = new Int32Array(0)
let bucketEnds = new Int32Array(0)
let scattered = new Float64Array(0)
// Buckets up to this size are insertion-sorted; larger ones mean the values cluster and go to the native sort.
const SMALL_BUCKET = 16

/**
 * Sorts `values` in place, ascending. A comparison sort mispredicts a branch on about every other comparison of
 * random data, which made it most of the profile's cost; spreading the values into one bucket per item by
 * their position between min and max, then insertion-sorting the few items each bucket gets, is three linear
 * passes for the spread-out columns data mostly has. Clustered data (heavy tails, or outliers stretching the
 * range) fills some buckets with many items, and those get the native sort: never much worse than sorting
 * the whole buffer natively.
 */
export function sortBuffer(values: Float64Array): Float64Array {
  const n = values.length
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < n; i++) {
    const x = values[i]!
    if (x < min) min = x
    if (x > max) max = x
  }
  const scale = (n - 1) / (max - min)
  // All equal; or a range too wide for a double (an infinity, or max - min overflowing) to spread values over.
  if (!(max > min) || !Number.isFinite(scale) || scale === 0) return max > min ? values.sort() : values
  if (bucketOf.length < n) {
    bucketOf = new Int32Array(n)
    bucketEnds = new Int32Array(n + 1)
    scattered = new Float64Array(n)
  }
  const ends = bucketEnds
  ends.fill(0, 0, n + 1)
  for (let i = 0; i < n; i++) {
    // (x - min) * scale lies in [0, n - 1], up to rounding: the clamp keeps a rounded-up max in the last bucket.
    const bucket = Math.min(n - 1, ((values[i]! - min) * scale) | 0)
    bucketOf[i] = bucket
    ends[bucket + 1]!++
  }
  for (let b = 0; b < n; b++) ends[b + 1]! += ends[b]!
  // ends[b] is now where bucket b starts; scattering advances it to where bucket b ends.
  for (let i = 0; i < n; i++) scattered[ends[bucketOf[i]!]!++] = values[i]!
  let start = 0
  for (let b = 0; b < n; b++) {
    const end = ends[b]!
    const size = end - start
    if (size === 1) values[start] = scattered[start]!
    else if (size > 1 && size <= SMALL_BUCKET) {
      values[start] = scattered[start]!
      for (let i = start + 1; i < end; i++) {
        const x = scattered[i]!
        let j = i - 1
        while (j >= start && values[j]! > x) {
          values[j + 1] = values[j]!
          j--
        }
        values[j + 1] = x
      }
    } else if (size > SMALL_BUCKET) {
      let same = true
      const first = scattered[start]!
      for (let i = start; i < end; i++) {
        values[i] = scattered[i]!
        if (scattered[i] !== first) same = false
      }
      if (!same) values.subarray(start, end).sort()
    }
    start = end
  }
  return values
}
