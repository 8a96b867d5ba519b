import { hash64 } from './hash.js'

/** One tracked value: its true count lies in [count, count + error]. */
export interface HeavyHitter {
  value: string
  count: number
  error: number
}

/**
 * Misra-Gries heavy hitters with batched purges (the scheme of DataSketches' frequent-items sketch). Up to
 * 2 × capacity values are counted exactly; when a new value finds the table full, the median count is
 * subtracted from every counter and the counters that reach zero are dropped. Every reported count is then a
 * lower bound, short of the truth by at most the total subtracted (`error`, at most n / capacity).
 *
 * Chosen over Space-Saving, which evicts one value per unseen value: on a column of ids or continuous numbers
 * that is a delete, an insert and a heap repair on every row, several times slower than this amortised O(1)
 * purge. Counts are exact until the first purge, so a categorical column gets exact frequencies.
 *
 * The table is open addressing over the caller's hash (the profile hashes each cell once for this and for
 * HyperLogLog), which saves the second pass over the characters a Map would make to hash the key itself.
 */
export class HeavyHitters {
  readonly capacity: number
  private readonly maxSize: number
  private readonly mask: number
  // A key is a string, or a number standing for its canonical text (String(key)); see `addNumber`.
  private keys: Array<string | number | undefined>
  private hashes: Int32Array
  private counts: Float64Array
  private spare: { keys: Array<string | number | undefined>; hashes: Int32Array; counts: Float64Array }
  private readonly purgeCounts: Float64Array
  private used = 0
  private total = 0
  private subtracted = 0

  constructor(capacity = 1000) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`heavy-hitter capacity must be a whole number >= 1, got ${capacity}`)
    }
    this.capacity = capacity
    this.maxSize = 2 * capacity
    // At most half the slots in use keeps linear probes short.
    const slots = 2 ** Math.ceil(Math.log2(2 * this.maxSize))
    this.mask = slots - 1
    this.keys = new Array<string | number | undefined>(slots).fill(undefined)
    this.hashes = new Int32Array(slots)
    this.counts = new Float64Array(slots)
    this.spare = {
      keys: new Array<string | number | undefined>(slots).fill(undefined),
      hashes: new Int32Array(slots),
      counts: new Float64Array(slots),
    }
    this.purgeCounts = new Float64Array(this.maxSize)
  }

  /** Values added so far. */
  get count(): number {
    return this.total
  }

  /** Values tracked now; the exact distinct count while `exact` is true. */
  get size(): number {
    return this.used
  }

  /** True until the first purge: every count is exact and `size` is the distinct count. */
  get exact(): boolean {
    return this.subtracted === 0
  }

  /** How far below the truth any count may be. */
  get error(): number {
    return this.subtracted
  }

  /** `hash` must be a function of `value` alone; by default a 32-bit FNV-1a of it. */
  add(value: string, hash: number = hashString(value)): void {
    this.total++
    hash |= 0
    const keys = this.keys
    const mask = this.mask
    let slot = hash & mask
    for (;;) {
      const key = keys[slot]
      if (key === undefined) break
      if (this.hashes[slot] === hash && key === value) {
        this.counts[slot]!++
        return
      }
      slot = (slot + 1) & mask
    }
    if (this.used >= this.maxSize) {
      this.purge()
      slot = this.freeSlot(hash)
    }
    keys[slot] = ownString(value)
    this.hashes[slot] = hash
    this.counts[slot] = 1
    this.used++
  }

  /**
   * `add(text.slice(start, end), hash)` without making the string unless the value is new: a CSV profile looks
   * values up where they lie in the parsed text.
   */
  addAt(text: string, start: number, end: number, hash: number): void {
    this.total++
    hash |= 0
    const keys = this.keys
    const mask = this.mask
    const length = end - start
    let slot = hash & mask
    for (;;) {
      const key = keys[slot]
      if (key === undefined) break
      if (
        this.hashes[slot] === hash &&
        typeof key === 'string' &&
        key.length === length &&
        sameText(key, text, start)
      ) {
        this.counts[slot]!++
        return
      }
      slot = (slot + 1) & mask
    }
    if (this.used >= this.maxSize) {
      this.purge()
      slot = this.freeSlot(hash)
    }
    keys[slot] = ownString(text.slice(start, end))
    this.hashes[slot] = hash
    this.counts[slot] = 1
    this.used++
  }

  /**
   * Counts the text `String(value)` by its number: for a caller that knows the text is the number's canonical
   * form, so that the number and the text are interchangeable as keys. Such a caller must pass every canonical
   * numeric text this way and never as a string, or one text would be counted under two keys. -0 is not
   * canonical (String(-0) is '0').
   */
  addNumber(value: number, hash: number): void {
    this.total++
    hash |= 0
    const keys = this.keys
    const mask = this.mask
    let slot = hash & mask
    for (;;) {
      const key = keys[slot]
      if (key === undefined) break
      if (this.hashes[slot] === hash && key === value) {
        this.counts[slot]!++
        return
      }
      slot = (slot + 1) & mask
    }
    if (this.used >= this.maxSize) {
      this.purge()
      slot = this.freeSlot(hash)
    }
    keys[slot] = value
    this.hashes[slot] = hash
    this.counts[slot] = 1
    this.used++
  }

  /** The `k` values with the highest counts, highest first (ties by value). */
  top(k: number): Array<{ value: string; count: number }> {
    const entries = this.entries().map(({ value, count }) => ({ value, count }))
    entries.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
    return entries.slice(0, k)
  }

  entries(): HeavyHitter[] {
    const entries: HeavyHitter[] = []
    for (let slot = 0; slot <= this.mask; slot++) {
      const key = this.keys[slot]
      if (key !== undefined)
        entries.push({ value: String(key), count: this.counts[slot]!, error: this.subtracted })
    }
    return entries
  }

  private freeSlot(hash: number): number {
    let slot = hash & this.mask
    while (this.keys[slot] !== undefined) slot = (slot + 1) & this.mask
    return slot
  }

  private purge(): void {
    const counts = this.purgeCounts
    let n = 0
    for (let slot = 0; slot <= this.mask; slot++)
      if (this.keys[slot] !== undefined) counts[n++] = this.counts[slot]!
    const median = select(counts, n, n >>> 1)
    // Survivors move to the spare table rather than being deleted in place: linear probing cannot simply empty
    // a slot in the middle of a run. The two tables swap roles, so a purge allocates nothing.
    const oldKeys = this.keys
    const oldHashes = this.hashes
    const oldCounts = this.counts
    this.keys = this.spare.keys.fill(undefined)
    this.hashes = this.spare.hashes
    this.counts = this.spare.counts
    this.spare = { keys: oldKeys, hashes: oldHashes, counts: oldCounts }
    this.used = 0
    for (let slot = 0; slot < oldKeys.length; slot++) {
      const value = oldKeys[slot]
      const count = oldCounts[slot]! - median
      if (value === undefined || count <= 0) continue
      const hash = oldHashes[slot]!
      const free = this.freeSlot(hash)
      this.keys[free] = value
      this.hashes[free] = hash
      this.counts[free] = count
      this.used++
    }
    this.subtracted += median
  }
}

/** Whether `key` equals the text at `start` of `text` (the caller checked there is room). */
function sameText(key: string, text: string, start: number): boolean {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) !== text.charCodeAt(start + i)) return false
  return true
}

/** For callers that have no hash of their own. */
export function hashString(value: string): number {
  hash64(value, scratch)
  return scratch[0]! | 0
}

const scratch = new Uint32Array(2)

/** The k-th smallest (0-based) of the first `length` values, rearranging them: quickselect, linear on average. */
function select(values: Float64Array, length: number, k: number): number {
  let lo = 0
  let hi = length - 1
  while (lo < hi) {
    const pivot = values[(lo + hi) >>> 1]!
    let i = lo
    let j = hi
    while (i <= j) {
      while (values[i]! < pivot) i++
      while (values[j]! > pivot) j--
      if (i <= j) {
        const swap = values[i]!
        values[i] = values[j]!
        values[j] = swap
        i++
        j--
      }
    }
    if (k <= j) hi = j
    else if (k >= i) lo = i
    else return values[k]!
  }
  return values[k]!
}

/**
 * A copy that does not pin its source. V8 represents a long substring as a view into the string it was cut
 * from, so keeping a CSV cell would keep the whole read chunk alive; across thousands of counters per column
 * that is hundreds of megabytes. Concatenating and re-slicing flattens the value into a string of its own.
 */
function ownString(value: string): string {
  return value.length < 13 ? value : (' ' + value).slice(1)
}
