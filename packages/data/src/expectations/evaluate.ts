import { cellKind, toNumber } from '../infer.js'
import type { DatasetProfile } from '../profile.js'
import type { Cell } from '../types.js'
import { TYPE_ALIASES } from './catalog.js'
import type { ExpectationSpec, Severity } from './suite.js'

/** Where one failing value sits, so a user can open the file at that line. */
export interface Example {
  file: string
  line: number
  value: string
}

/** The result of one expectation or dataset check; the JSON report's `checks[]` items. */
export interface CheckResult {
  /** Expectation type (expect_...) or dataset check name (duplicate_rows, ...). */
  check: string
  kind: 'expectation' | 'dataset'
  description: string
  severity: Severity
  success: boolean
  /** What was seen, in words: "37 nulls (0.04%)", "mean 4.62". */
  observed: string
  column?: string
  /** Line of the expectation or check in the expectations file. */
  line?: number
  unexpectedCount?: number
  unexpectedPercent?: number
  examples?: Example[]
}

export interface FinishContext {
  rows: number
  columns: readonly string[]
  profile: DatasetProfile
  quantile: (column: string, q: number) => number | undefined
}

export interface Evaluator {
  onRecord?: (values: readonly Cell[], line: number, file: string) => void
  finish: (context: FinishContext) => CheckResult
}

const MAX_EXAMPLES = 5

export const percent = (part: number, whole: number): number =>
  whole === 0 ? 0 : Math.round((part / whole) * 1e6) / 1e4
const show = (cell: Cell): string => (cell === null ? 'null' : String(cell))
const format = (x: number | undefined): string => {
  if (x === undefined) return 'n/a'
  if (Number.isInteger(x)) return x.toLocaleString('en-US')
  const text = x.toPrecision(6)
  // Trim trailing zeros of a fraction only: 150000 must not become 15.
  return text.includes('.') && !text.includes('e') ? text.replace(/\.?0+$/, '') : text
}

function base(spec: ExpectationSpec): Omit<CheckResult, 'success' | 'observed'> {
  const column = typeof spec.args.column === 'string' ? spec.args.column : undefined
  return {
    check: spec.type,
    kind: 'expectation',
    description: spec.description,
    severity: spec.severity,
    line: spec.line,
    ...(column === undefined ? {} : { column }),
  }
}

/**
 * A per-value expectation in Great Expectations' sense: nulls are skipped (except by not_null), and
 * `mostly` is the share of non-null values that must pass.
 */
function columnMap(
  spec: ExpectationSpec,
  columns: readonly string[],
  test: (cell: Cell) => boolean,
  options: { countNulls?: boolean } = {},
): Evaluator {
  const index = columns.indexOf(spec.args.column as string)
  const mostly = (spec.args.mostly as number | undefined) ?? 1
  let considered = 0
  let unexpected = 0
  const examples: Example[] = []
  return {
    onRecord(values, line, file) {
      const cell = values[index] ?? null
      if (cell === null && !options.countNulls) return
      considered++
      if (!test(cell)) {
        unexpected++
        if (examples.length < MAX_EXAMPLES) examples.push({ file, line, value: show(cell) })
      }
    },
    finish() {
      const share = considered === 0 ? 1 : 1 - unexpected / considered
      const pct = percent(unexpected, considered)
      return {
        ...base(spec),
        success: share >= mostly,
        observed: `${format(unexpected)} of ${format(considered)} values unexpected (${pct}%)${mostly < 1 ? `, mostly ${mostly}` : ''}`,
        unexpectedCount: unexpected,
        unexpectedPercent: pct,
        examples,
      }
    },
  }
}

function uniqueness(spec: ExpectationSpec, columns: readonly string[], names: readonly string[]): Evaluator {
  const indexes = names.map((name) => columns.indexOf(name))
  const mostly = (spec.args.mostly as number | undefined) ?? 1
  // Exact, so memory grows with the number of distinct keys: the price of a uniqueness guarantee.
  const seen = new Set<string>()
  let considered = 0
  let duplicates = 0
  const examples: Example[] = []
  return {
    onRecord(values, line, file) {
      const cells = indexes.map((i) => values[i] ?? null)
      // GE skips rows where any of the key columns is null.
      if (cells.some((c) => c === null)) return
      considered++
      const key = cells.length === 1 ? String(cells[0]) : cells.map(String).join('\u001f')
      if (seen.has(key)) {
        duplicates++
        if (examples.length < MAX_EXAMPLES) examples.push({ file, line, value: cells.map(show).join(', ') })
      } else {
        seen.add(key)
      }
    },
    finish() {
      const pct = percent(duplicates, considered)
      return {
        ...base(spec),
        success: considered === 0 || 1 - duplicates / considered >= mostly,
        observed: `${format(duplicates)} repeated values among ${format(considered)} (${pct}%)`,
        unexpectedCount: duplicates,
        unexpectedPercent: pct,
        examples,
      }
    },
  }
}

function kindMatches(expected: string, cell: Cell): boolean {
  const kind = cellKind(cell)
  switch (expected) {
    case 'integer':
      return kind === 'integer'
    case 'number':
      return kind === 'integer' || kind === 'number'
    case 'string':
      return typeof cell === 'string'
    default:
      return kind === expected
  }
}

function inRange(value: number, spec: ExpectationSpec): boolean {
  const {
    min_value: min,
    max_value: max,
    strict_min: strictMin,
    strict_max: strictMax,
  } = spec.args as Record<string, number | boolean | undefined>
  if (typeof min === 'number' && (strictMin ? value <= min : value < min)) return false
  if (typeof max === 'number' && (strictMax ? value >= max : value > max)) return false
  return true
}

/** Builds the evaluator for one parsed expectation against the table's columns (already checked to exist). */
export function createEvaluator(spec: ExpectationSpec, columns: readonly string[]): Evaluator {
  const args = spec.args
  switch (spec.type) {
    case 'expect_column_to_exist':
      return {
        finish: () => ({
          ...base(spec),
          success: columns.includes(args.column as string),
          observed: columns.includes(args.column as string) ? 'present' : 'missing',
        }),
      }
    case 'expect_table_columns_to_match_set': {
      return {
        finish() {
          const wanted = (args.column_set as unknown[]).map(String)
          const missing = wanted.filter((c) => !columns.includes(c))
          const extra = columns.filter((c) => !wanted.includes(c))
          const exact = args.exact_match !== false
          const success = missing.length === 0 && (!exact || extra.length === 0)
          const parts = [
            missing.length ? `missing: ${missing.join(', ')}` : '',
            exact && extra.length ? `unexpected: ${extra.join(', ')}` : '',
          ]
          return {
            ...base(spec),
            success,
            observed: success ? 'columns match' : parts.filter(Boolean).join('; '),
          }
        },
      }
    }
    case 'expect_table_row_count_to_be_between':
      return {
        finish: ({ rows }) => ({
          ...base(spec),
          success: inRange(rows, spec),
          observed: `${format(rows)} rows`,
        }),
      }
    case 'expect_column_values_to_not_be_null':
      return columnMap(spec, columns, (cell) => cell !== null, { countNulls: true })
    case 'expect_column_values_to_be_between':
      return columnMap(spec, columns, (cell) => {
        const value = toNumber(cell)
        return value !== undefined && inRange(value, spec)
      })
    case 'expect_column_values_to_be_in_set': {
      // Compare as text so `value_set: [1, 2]` matches the CSV strings "1" and "2".
      const allowed = new Set((args.value_set as unknown[]).map(String))
      return columnMap(spec, columns, (cell) => allowed.has(String(cell)))
    }
    case 'expect_column_values_to_match_regex': {
      const regex = new RegExp(String(args.regex), 'u')
      return columnMap(spec, columns, (cell) => regex.test(String(cell)))
    }
    case 'expect_column_values_to_be_of_type': {
      const expected = TYPE_ALIASES[String(args.type_).toLowerCase()] ?? 'string'
      return columnMap(spec, columns, (cell) => kindMatches(expected, cell))
    }
    case 'expect_column_values_to_be_unique':
      return uniqueness(spec, columns, [args.column as string])
    case 'expect_compound_columns_to_be_unique':
      return uniqueness(spec, columns, args.column_list as string[])
    case 'expect_column_mean_to_be_between':
      return {
        finish({ profile }) {
          const mean = profile.columns.find((c) => c.name === args.column)?.numeric?.mean
          return {
            ...base(spec),
            success: mean !== undefined && inRange(mean, spec),
            observed: mean === undefined ? 'column is not numeric' : `mean ${format(mean)}`,
          }
        },
      }
    case 'expect_column_quantile_values_to_be_between':
      return {
        finish({ quantile }) {
          const ranges = args.quantile_ranges as {
            quantiles: number[]
            value_ranges: Array<[number | null, number | null]>
          }
          const seen: string[] = []
          let success = true
          ranges.quantiles.forEach((q, i) => {
            const value = quantile(args.column as string, q)
            const [lo, hi] = ranges.value_ranges[i] ?? [null, null]
            const ok = value !== undefined && (lo === null || value >= lo) && (hi === null || value <= hi)
            success &&= ok
            seen.push(`q${q}=${format(value)}${ok ? '' : ` (want ${lo ?? '-inf'}..${hi ?? 'inf'})`}`)
          })
          // Quantiles come from a bounded-memory sketch: ~1% rank error, stated so nobody mistakes them for exact.
          return { ...base(spec), success, observed: `${seen.join(', ')} (approximate)` }
        },
      }
    default:
      throw new Error(`no evaluator for ${spec.type}`)
  }
}

/** The verdict and counts every QA report leads with: fail on an error, warn on a warning, else pass. */
export function summarizeChecks(checks: readonly CheckResult[]): {
  status: 'pass' | 'warn' | 'fail'
  counts: { checks: number; passed: number; failed: number; warned: number }
} {
  const failed = checks.filter((c) => !c.success && c.severity === 'error').length
  const warned = checks.filter((c) => !c.success && c.severity === 'warning').length
  return {
    status: failed > 0 ? 'fail' : warned > 0 ? 'warn' : 'pass',
    counts: { checks: checks.length, passed: checks.length - failed - warned, failed, warned },
  }
}
