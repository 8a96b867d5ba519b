import * as core from '@actions/core'

export interface ProgressOptions {
  /** What is happening, e.g. 'reading data.csv'. */
  label: string
  /** The amount that means complete, in `totalUnit` (or `unit` when that is not given). */
  total?: number
  /** What the counts passed to update() are: 'rows', 'files'... 'bytes' is printed as KB/MB/GB. */
  unit?: string
  /**
   * Unit of `total` when it differs from `unit`: rows are counted but the file size is what is known
   * up front. Then update() takes a second argument, the position in that unit, for the percentage.
   */
  totalUnit?: string
  intervalMs?: number
  now?: () => number
  write?: (line: string) => void
}

export interface Progress {
  update(done: number, position?: number): void
  done(final: number, position?: number): void
}

/**
 * Periodic one-line progress for long loops, e.g.
 * `reading data.csv: 1,250,000 rows, 41.2% of 180.3 MB, 310,421 rows/s`.
 * Throttled to one line per interval so a tight loop can call update() on every item; the log of a
 * short run holds just the final line.
 */
export function createProgress(options: ProgressOptions): Progress {
  const {
    label,
    total,
    unit = 'items',
    totalUnit = unit,
    intervalMs = 2000,
    now = Date.now,
    write = core.info,
  } = options
  const startedAt = now()
  let lastWriteAt = startedAt
  let finished = false

  const rate = (count: number, at: number): string | undefined => {
    const seconds = (at - startedAt) / 1000
    return seconds > 0 ? `${formatAmount(count / seconds, unit)}/s` : undefined
  }
  const percent = (count: number, position: number | undefined): string | undefined => {
    if (total === undefined || total <= 0) return undefined
    const reached = totalUnit === unit ? (position ?? count) : position
    if (reached === undefined) return undefined
    return `${((reached / total) * 100).toFixed(1)}% of ${formatAmount(total, totalUnit)}`
  }

  return {
    update(count, position) {
      if (finished) return
      const at = now()
      if (at - lastWriteAt < intervalMs) return
      lastWriteAt = at
      const parts = [formatAmount(count, unit), percent(count, position), rate(count, at)]
      write(`${label}: ${parts.filter((part) => part !== undefined).join(', ')}`)
    },
    done(final, position) {
      if (finished) return
      finished = true
      const at = now()
      const seconds = `in ${((at - startedAt) / 1000).toFixed(1)} s`
      // The size read tells a reader of the log what 'done' covered when rows are counted against bytes.
      const size =
        position !== undefined && totalUnit !== unit ? ` (${formatAmount(position, totalUnit)})` : ''
      const parts = [`${formatAmount(final, unit)}${size} ${seconds}`, rate(final, at)]
      write(`${label}: done, ${parts.filter((part) => part !== undefined).join(', ')}`)
    },
  }
}

const COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const BYTE_UNITS = ['KB', 'MB', 'GB', 'TB']

/** `1,250,000 rows`, or for bytes `180.3 MB` (binary multiples, as most tools print them). */
export function formatAmount(value: number, unit: string): string {
  if (unit !== 'bytes') return `${COUNT.format(value)} ${unit}`
  if (Math.abs(value) < 1024) return `${COUNT.format(value)} B`
  let scaled = value
  let index = -1
  // 1023.95 rather than 1024 so a value just under the next unit prints as '1.0 MB', not '1024.0 KB'.
  while (Math.abs(scaled) >= 1023.95 && index < BYTE_UNITS.length - 1) {
    scaled /= 1024
    index++
  }
  return `${scaled.toFixed(1)} ${BYTE_UNITS[index]}`
}
