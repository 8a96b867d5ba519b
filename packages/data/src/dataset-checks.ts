import type { CheckResult, Evaluator, Example } from './expectations/evaluate.js'
import { percent } from './expectations/evaluate.js'
import type { CheckLevel, DatasetChecks } from './expectations/suite.js'
import type { ColumnProfile } from './profile.js'
import { rowHash } from './row-hash.js'
import type { Cell } from './types.js'

/** V8 Sets stop at 2^24 entries; past this many rows the hash checks say they looked at a prefix. */
const MAX_TRACKED_ROWS = 15_000_000
const MAX_EXAMPLES = 5

const head = (check: string, description: string, level: CheckLevel, line: number | undefined) => ({
  check,
  kind: 'dataset' as const,
  description,
  severity: level === 'warning' ? ('warning' as const) : ('error' as const),
  ...(line === undefined ? {} : { line }),
})

export function duplicateRowsCheck(config: DatasetChecks['duplicateRows']): Evaluator {
  const seen = new Set<number>()
  let rows = 0
  let duplicates = 0
  let capped = false
  const examples: Example[] = []
  return {
    onRecord(values, line, file) {
      rows++
      const hash = rowHash(values)
      if (seen.has(hash)) {
        duplicates++
        if (examples.length < MAX_EXAMPLES) examples.push({ file, line, value: 'repeats an earlier row' })
      } else if (seen.size < MAX_TRACKED_ROWS) seen.add(hash)
      else capped = true
    },
    finish() {
      const pct = percent(duplicates, rows)
      return {
        ...head('duplicate_rows', 'no duplicate rows', config.level, config.line),
        success: duplicates === 0,
        observed: `${duplicates.toLocaleString('en-US')} duplicate rows (${pct}%)${capped ? `; only the first ${MAX_TRACKED_ROWS.toLocaleString('en-US')} distinct rows were tracked` : ''}`,
        unexpectedCount: duplicates,
        unexpectedPercent: pct,
        examples,
      }
    },
  }
}

export function constantColumnsCheck(
  config: DatasetChecks['constantColumns'],
  profile: readonly ColumnProfile[],
): CheckResult {
  const constant = profile.filter(
    (c) => c.nonNull === 0 || (c.nulls === 0 && c.top.length === 1 && c.top[0]?.count === c.nonNull),
  )
  return {
    ...head('constant_columns', 'no constant or empty columns', config.level, config.line),
    success: constant.length === 0,
    observed:
      constant.length === 0
        ? 'none'
        : constant
            .map((c) => (c.nonNull === 0 ? `${c.name} (all null)` : `${c.name} (always ${c.top[0]?.value})`))
            .join(', '),
  }
}

export function labelBalanceCheck(config: DatasetChecks['labelBalance'], label: ColumnProfile): CheckResult {
  const total = label.top.reduce((sum, t) => sum + t.count, 0)
  const shares = label.top.map((t) => ({ value: t.value, share: total === 0 ? 0 : t.count / total }))
  const minority = shares.reduce(
    (min, s) => (s.share < min.share ? s : min),
    shares[0] ?? { value: '', share: 0 },
  )
  const success = shares.length >= 2 && minority.share >= config.minShare
  return {
    ...head(
      'label_balance',
      `every class of ${label.name} is at least ${config.minShare * 100}% of rows`,
      config.level,
      config.line,
    ),
    column: label.name,
    success,
    observed:
      shares.length < 2
        ? `only one class (${minority.value}) in ${label.name}`
        : shares.map((s) => `${s.value}: ${(s.share * 100).toFixed(1)}%`).join(', '),
  }
}

/**
 * Train/test leakage: test rows whose features (every column but the label) equal a training row.
 * The training side is hashed while the training data streams by; the test side is checked afterwards.
 */
export function leakageCheck(config: DatasetChecks['leakage'], labelIndex: number) {
  const train = new Set<number>()
  let testRows = 0
  let leaked = 0
  const examples: Example[] = []
  return {
    addTrain(values: readonly Cell[]): void {
      if (train.size < MAX_TRACKED_ROWS) train.add(rowHash(values, labelIndex))
    },
    checkTest(values: readonly Cell[], line: number, file: string): void {
      testRows++
      if (train.has(rowHash(values, labelIndex))) {
        leaked++
        if (examples.length < MAX_EXAMPLES) examples.push({ file, line, value: 'also in the training data' })
      }
    },
    finish(): CheckResult {
      const pct = percent(leaked, testRows)
      return {
        ...head('leakage', 'no test row also appears in the training data', config.level, config.line),
        success: leaked === 0,
        observed: `${leaked.toLocaleString('en-US')} of ${testRows.toLocaleString('en-US')} test rows found in training data (${pct}%)`,
        unexpectedCount: leaked,
        unexpectedPercent: pct,
        examples,
      }
    },
  }
}
