import { readFile } from 'node:fs/promises'
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml'
import { DataError } from '../errors.js'
import { didYouMean } from '../closest-match.js'
import { EXPECTATIONS, TYPE_ALIASES, type ArgSpec } from './catalog.js'

export type Severity = 'error' | 'warning'
export type CheckLevel = Severity | 'off'

export interface ExpectationSpec {
  type: string
  args: Record<string, unknown>
  severity: Severity
  /** 1-based line of the expectation in its file, for annotations. */
  line: number
  description: string
}

export interface DatasetChecks {
  duplicateRows: { level: CheckLevel; line?: number }
  constantColumns: { level: CheckLevel; line?: number }
  labelBalance: { level: CheckLevel; minShare: number; line?: number }
  leakage: { level: CheckLevel; line?: number }
}

export interface ExpectationSuite {
  /** Path of the expectations file, or undefined for the built-in default suite (dataset checks only). */
  file: string | undefined
  expectations: ExpectationSpec[]
  checks: DatasetChecks
}

export const DEFAULT_CHECKS: DatasetChecks = {
  duplicateRows: { level: 'warning' },
  constantColumns: { level: 'warning' },
  labelBalance: { level: 'warning', minShare: 0.05 },
  leakage: { level: 'error' },
}

export function defaultSuite(): ExpectationSuite {
  return { file: undefined, expectations: [], checks: structuredClone(DEFAULT_CHECKS) }
}

export async function readExpectationSuite(file: string): Promise<ExpectationSuite> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new DataError(
      code === 'ENOENT'
        ? `expectations file not found: ${file}`
        : `cannot read expectations file ${file}: ${code}`,
      {
        file,
      },
    )
  }
  return parseExpectationSuite(text, file)
}

/**
 * Parses the YAML (or JSON) suite. Two item spellings are accepted: the short `- expect_x: {args}` and the
 * Great Expectations export form `- {expectation_type: expect_x, kwargs: {...}, meta: {severity}}`.
 * Every mistake is a DataError carrying the line, so the action can annotate the exact place.
 */
export function parseExpectationSuite(text: string, file: string): ExpectationSuite {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  const lineOf = (node: Node | null | undefined): number =>
    node?.range ? lineCounter.linePos(node.range[0]).line : 1
  const fail = (message: string, node?: Node | null): never => {
    const line = lineOf(node)
    throw new DataError(`${file}:${line}: ${message}`, { file, line })
  }
  const firstError = document.errors[0]
  if (firstError) {
    const line = lineCounter.linePos(firstError.pos[0]).line
    const reason = firstError.message.split('\n')[0] ?? firstError.message
    throw new DataError(`${file}:${line}: invalid YAML: ${reason}`, { file, line })
  }
  const root = document.contents
  if (!isMap(root))
    return fail('expected a mapping with an `expectations:` list (and optional `checks:`)', root)

  const suite: ExpectationSuite = { file, expectations: [], checks: structuredClone(DEFAULT_CHECKS) }
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : ''
    const value = pair.value as Node | null
    if (key === 'expectations') {
      if (!isSeq(value)) fail('`expectations` must be a list', value)
      else for (const item of value.items) suite.expectations.push(parseItem(item as Node, lineOf, fail))
    } else if (key === 'checks') {
      parseChecks(value, suite.checks, lineOf, fail)
    } else if (key !== 'name' && key !== 'meta' && key !== 'expectation_suite_name') {
      fail(
        `unknown top-level key '${key}'; expected 'expectations' and optionally 'checks'${didYouMean(key, ['expectations', 'checks'])}`,
        pair.key as Node,
      )
    }
  }
  return suite
}

type LineOf = (node: Node | null | undefined) => number
type Fail = (message: string, node?: Node | null) => never

function parseItem(item: Node, lineOf: LineOf, fail: Fail): ExpectationSpec {
  if (!isMap(item))
    return fail('each expectation must be a mapping like `- expect_column_to_exist: {column: age}`', item)
  const json = item.toJSON() as Record<string, unknown>
  let type: string
  let argsNode: Node | null
  let args: Record<string, unknown>
  let severity: unknown
  if ('expectation_type' in json) {
    type = String(json.expectation_type)
    argsNode = (item.get('kwargs', true) as Node | undefined) ?? item
    args = { ...((json.kwargs as Record<string, unknown> | undefined) ?? {}) }
    severity = (json.meta as Record<string, unknown> | undefined)?.severity ?? args.severity
  } else {
    if (item.items.length !== 1)
      fail(
        'an expectation has exactly one key, its name, e.g. `- expect_column_to_exist: {column: age}`',
        item,
      )
    const pair = item.items[0]!
    type = isScalar(pair.key) ? String(pair.key.value) : ''
    argsNode = pair.value as Node | null
    const raw = (json[type] ?? {}) as unknown
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      fail(`arguments of ${type} must be a mapping`, argsNode)
    args = { ...(raw as Record<string, unknown>) }
    severity = args.severity
  }
  const definition = EXPECTATIONS[type]
  if (!definition) fail(`unknown expectation '${type}'${didYouMean(type, Object.keys(EXPECTATIONS))}`, item)
  delete args.severity
  if (severity !== undefined && severity !== 'error' && severity !== 'warning') {
    fail(`severity must be 'error' or 'warning', got '${String(severity)}'`, argsNode)
  }
  const argLine = (name: string): Node | null => {
    const node = isMap(argsNode) ? (argsNode.get(name, true) as Node | undefined) : undefined
    return node ?? argsNode ?? item
  }
  for (const [name, value] of Object.entries(args)) {
    const spec = definition!.args[name]
    if (!spec) {
      const known = Object.keys(definition!.args)
      fail(
        `${type} has no argument '${name}'${didYouMean(name, known)}; it takes: ${known.join(', ')}`,
        argLine(name),
      )
    }
    const problem = checkArg(spec!, value)
    if (problem) fail(`${type}: '${name}' ${problem}`, argLine(name))
  }
  for (const [name, spec] of Object.entries(definition!.args)) {
    if (spec.required && args[name] === undefined) fail(`${type} needs '${name}'`, item)
  }
  if (definition!.oneOf && definition!.oneOf.every((name) => args[name] === undefined)) {
    fail(`${type} needs at least one of ${definition!.oneOf.join(' or ')}`, item)
  }
  if (
    typeof args.min_value === 'number' &&
    typeof args.max_value === 'number' &&
    args.min_value > args.max_value
  ) {
    fail(
      `${type}: min_value ${args.min_value} is greater than max_value ${args.max_value}`,
      argLine('min_value'),
    )
  }
  if (type === 'expect_column_values_to_match_regex') {
    try {
      new RegExp(String(args.regex), 'u')
    } catch (error) {
      fail(`invalid regex: ${(error as Error).message}`, argLine('regex'))
    }
  }
  if (type === 'expect_column_values_to_be_of_type') {
    const name = String(args.type_).toLowerCase()
    if (!TYPE_ALIASES[name])
      fail(
        `unknown type '${args.type_}'; use one of integer, number, boolean, datetime, string`,
        argLine('type_'),
      )
  }
  return {
    type,
    args,
    severity: (severity as Severity | undefined) ?? 'error',
    line: lineOf(item),
    description: definition!.describe(args),
  }
}

function checkArg(spec: ArgSpec, value: unknown): string | undefined {
  switch (spec.type) {
    case 'column':
    case 'string':
      return typeof value === 'string' && value !== '' ? undefined : 'must be a non-empty string'
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
        ? undefined
        : `must be a number, got ${JSON.stringify(value)}`
    case 'fraction':
      return typeof value === 'number' && value > 0 && value <= 1
        ? undefined
        : `must be a number in (0, 1], got ${JSON.stringify(value)}`
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `must be true or false, got ${JSON.stringify(value)}`
    case 'list':
      return Array.isArray(value) && value.length > 0 ? undefined : 'must be a non-empty list'
    case 'columns':
      return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')
        ? undefined
        : 'must be a non-empty list of column names'
    case 'quantile-ranges': {
      const ranges = value as { quantiles?: unknown; value_ranges?: unknown }
      const quantiles = ranges?.quantiles
      const valueRanges = ranges?.value_ranges
      if (
        !Array.isArray(quantiles) ||
        !Array.isArray(valueRanges) ||
        quantiles.length !== valueRanges.length ||
        quantiles.length === 0
      ) {
        return 'must have `quantiles` and `value_ranges` lists of the same non-zero length'
      }
      if (!quantiles.every((q) => typeof q === 'number' && q >= 0 && q <= 1))
        return 'quantiles must be numbers in [0, 1]'
      const okRange = (r: unknown): boolean =>
        Array.isArray(r) && r.length === 2 && r.every((v) => v === null || typeof v === 'number')
      return valueRanges.every(okRange) ? undefined : 'each value range must be [min, max] (null for open)'
    }
  }
}

const CHECK_KEYS = {
  duplicate_rows: 'duplicateRows',
  constant_columns: 'constantColumns',
  label_balance: 'labelBalance',
  leakage: 'leakage',
} as const

function parseChecks(node: Node | null, checks: DatasetChecks, lineOf: LineOf, fail: Fail): void {
  if (!isMap(node)) return fail('`checks` must be a mapping, e.g. `checks: {duplicate_rows: error}`', node)
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : ''
    const target = CHECK_KEYS[key as keyof typeof CHECK_KEYS]
    if (!target)
      fail(
        `unknown check '${key}'${didYouMean(key, Object.keys(CHECK_KEYS))}; known: ${Object.keys(CHECK_KEYS).join(', ')}`,
        pair.key as Node,
      )
    const valueNode = pair.value as Node | null
    const value = valueNode && 'toJSON' in valueNode ? (valueNode as { toJSON(): unknown }).toJSON() : null
    const check = checks[target!] as { level: CheckLevel; line?: number; minShare?: number }
    check.line = lineOf(pair.key as Node)
    const level =
      typeof value === 'object' && value !== null
        ? ((value as Record<string, unknown>).severity ?? 'error')
        : value
    if (level !== 'error' && level !== 'warning' && level !== 'off') {
      fail(`check '${key}' must be error, warning or off, got '${String(level)}'`, valueNode)
    }
    check.level = level as CheckLevel
    if (target === 'labelBalance' && typeof value === 'object' && value !== null) {
      const minShare = (value as Record<string, unknown>).min_share
      if (minShare !== undefined) {
        if (typeof minShare !== 'number' || minShare <= 0 || minShare >= 0.5)
          fail(
            `label_balance.min_share must be a number in (0, 0.5), got ${JSON.stringify(minShare)}`,
            valueNode,
          )
        check.minShare = minShare as number
      }
    }
  }
}

/** Every column an expectation names must exist (except in expect_column_to_exist, whose point is to ask). */
export function checkSuiteColumns(
  suite: ExpectationSuite,
  columns: readonly string[],
  dataFile: string,
): void {
  const known = new Set(columns)
  for (const spec of suite.expectations) {
    if (spec.type === 'expect_column_to_exist') continue
    const named = [spec.args.column, ...((spec.args.column_list as string[] | undefined) ?? [])].filter(
      (c): c is string => typeof c === 'string',
    )
    for (const column of named) {
      if (!known.has(column)) {
        throw new DataError(
          `${suite.file}:${spec.line}: ${spec.type} names column '${column}', which ${dataFile} does not have${didYouMean(column, columns)}`,
          { file: suite.file, line: spec.line, column },
        )
      }
    }
  }
}
