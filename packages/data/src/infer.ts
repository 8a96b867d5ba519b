import type { Cell, ColumnType } from './types.js'

export type CellKind = 'null' | 'integer' | 'number' | 'boolean' | 'datetime' | 'string'

/** What `numericKind` found: not a number, an integer, or a number with a fraction or an exponent. */
export const NOT_NUMERIC = 0
export const INTEGER = 1
export const DECIMAL = 2

const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))?)?$/

/**
 * The kind of one cell. Strings are read the way a person reads a CSV: '42' is an integer, '-1.5e3' a number,
 * 'TRUE' a boolean, '2024-05-01T10:00Z' a datetime. 'inf', 'Infinity', '0x1F' and ' 42' stay strings.
 * A NaN number counts as null, like the 'NaN' token in CSV.
 */
export function cellKind(cell: Cell): CellKind {
  if (cell === null) return 'null'
  if (typeof cell === 'string') return stringKind(cell)
  if (typeof cell === 'number')
    return Number.isInteger(cell) ? 'integer' : Number.isNaN(cell) ? 'null' : 'number'
  return 'boolean'
}

export function stringKind(s: string): CellKind {
  const first = s.charCodeAt(0)
  // Digits, sign or '.': almost always a number, sometimes a date; checked without a regex.
  if ((first >= 48 && first <= 57) || first === 45 || first === 43 || first === 46) {
    const numeric = numericKind(s)
    if (numeric === INTEGER) return 'integer'
    if (numeric === DECIMAL) return 'number'
    return isDatetime(s) ? 'datetime' : 'string'
  }
  return isBooleanString(s) ? 'boolean' : 'string'
}

/** Decimal numbers only: optional sign, digits with an optional fraction, optional exponent. */
export function numericKind(s: string): typeof NOT_NUMERIC | typeof INTEGER | typeof DECIMAL {
  return numericKindAt(s, 0, s.length)
}

/** `numericKind` of s[start, end), without cutting it out. */
export function numericKindAt(
  s: string,
  start: number,
  end: number,
): typeof NOT_NUMERIC | typeof INTEGER | typeof DECIMAL {
  // The character at `start` of an empty cell belongs to whatever follows it (a delimiter may even be '-').
  if (start >= end) return NOT_NUMERIC
  const n = end
  let i = start
  let c = s.charCodeAt(i)
  if (c === 43 || c === 45) i++
  let digits = 0
  while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) {
    i++
    digits++
  }
  if (i === n) return digits > 0 ? INTEGER : NOT_NUMERIC
  if (c === 46) {
    i++
    while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) {
      i++
      digits++
    }
    if (digits === 0) return NOT_NUMERIC
    if (i === n) return DECIMAL
  }
  if (digits === 0 || (c !== 101 && c !== 69)) return NOT_NUMERIC
  i++
  if (i < n && ((c = s.charCodeAt(i)) === 43 || c === 45)) i++
  let exponentDigits = 0
  while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) {
    i++
    exponentDigits++
  }
  return exponentDigits > 0 && i === n ? DECIMAL : NOT_NUMERIC
}

// Every power of ten up to 1e22 is exact in a double.
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i)

/** Where `scanNumber` reports the kind of the string it parsed, so the hot path allocates nothing. */
export interface NumberScan {
  kind: typeof NOT_NUMERIC | typeof INTEGER | typeof DECIMAL
  /**
   * Set by `scanNumber`: true when the text is exactly `String(value)` ('12', '-0.5'; not '+12', '012', '1.50',
   * '.5', '-0', '1e3'), so the number stands for the text, e.g. as a key: equal numbers mean equal texts.
   * False says nothing (some canonical forms, like '1e+21', are not recognised).
   */
  canonical?: boolean
}

/**
 * Parses a string the way `numericKind` classifies it, or returns NaN. With at most 15 digits and no exponent
 * the digits are accumulated as an exact integer and divided once by an exact power of ten: one correctly
 * rounded operation, so the result equals Number(s) bit for bit, at a fraction of its cost.
 */
export function scanNumber(s: string, scan: NumberScan): number {
  return scanNumberAt(s, 0, s.length, scan)
}

/** `scanNumber` of s[start, end), so a CSV cell is read where it lies in the parsed text. */
export function scanNumberAt(s: string, start: number, end: number, scan: NumberScan): number {
  scan.canonical = false
  if (start >= end) {
    scan.kind = NOT_NUMERIC
    return NaN
  }
  const n = end
  let i = start
  let c = s.charCodeAt(i)
  const negative = c === 45
  const signed = negative || c === 43
  if (signed) i++
  // String(x) never writes a leading zero before another digit, a '+', or a fraction ending in 0.
  const leadingZero = s.charCodeAt(i) === 48
  let mantissa = 0
  let digits = 0
  while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) {
    mantissa = mantissa * 10 + (c - 48)
    i++
    digits++
  }
  if (i === n) {
    if (digits === 0) {
      scan.kind = NOT_NUMERIC
      return NaN
    }
    scan.kind = INTEGER
    if (digits > 15) return Number(s.slice(start, end))
    // '-0' reads as -0, which String() writes as '0'.
    scan.canonical = (!signed || (negative && mantissa !== 0)) && !(leadingZero && digits > 1)
    return negative ? -mantissa : mantissa
  }
  if (c === 46) {
    i++
    const integerDigits = digits
    while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48)
      i++
      digits++
    }
    if (digits === 0) {
      scan.kind = NOT_NUMERIC
      return NaN
    }
    if (i === n) {
      scan.kind = DECIMAL
      if (digits > 15) return Number(s.slice(start, end))
      const value = mantissa / POWERS_OF_TEN[digits - integerDigits]!
      // At most 15 significant digits round-trip, so String(value) gives back these digits, in fixed notation
      // from 1e-6 up; the text matches it when it has an integer digit, no redundant zero and no '+'.
      scan.canonical =
        (!signed || negative) &&
        integerDigits > 0 &&
        !(leadingZero && integerDigits > 1) &&
        digits > integerDigits &&
        s.charCodeAt(end - 1) !== 48 &&
        value >= 1e-6
      return negative ? -value : value
    }
  }
  scan.kind = numericKindAt(s, start, end)
  return scan.kind === NOT_NUMERIC ? NaN : Number(s.slice(start, end))
}

export function isBooleanString(s: string): boolean {
  if (s.length === 4) return s === 'true' || s.toLowerCase() === 'true'
  if (s.length === 5) return s === 'false' || s.toLowerCase() === 'false'
  return false
}

/** `YYYY-MM-DD[(T| )HH:MM[:SS[.fff]][Z|±HH:MM]]` with real calendar ranges (month 13 or hour 25 is a string). */
export function isDatetime(s: string): boolean {
  if (s.length < 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return false
  const match = DATETIME.exec(s)
  if (!match) return false
  const year = Number(match[1])
  const month = Number(match[2])
  const day = Number(match[3])
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false
  if (match[4] === undefined) return true
  if (Number(match[4]) > 23 || Number(match[5]) > 59) return false
  // 60 allows a leap second.
  if (match[6] !== undefined && Number(match[6]) > 60) return false
  if (match[7] !== undefined && (Number(match[7]) > 23 || Number(match[8]) > 59)) return false
  return true
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/** The cell as a finite number, when it is one (a number, or a string `cellKind` calls integer or number). */
export function toNumber(cell: Cell): number | undefined {
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : undefined
  if (typeof cell !== 'string') return undefined
  const value = scanNumber(cell, scratch)
  return Number.isFinite(value) ? value : undefined
}

const scratch: NumberScan = { kind: NOT_NUMERIC, canonical: false }

/** The narrowest column type holding both: 'empty' is the identity, integer and number make number, else string. */
export function widenType(a: ColumnType, b: ColumnType): ColumnType {
  if (a === b || b === 'empty') return a
  if (a === 'empty') return b
  if ((a === 'integer' && b === 'number') || (a === 'number' && b === 'integer')) return 'number'
  return 'string'
}
