/**
 * The expectation vocabulary, named as in Great Expectations so users can bring what they know.
 * Each entry declares its arguments so the parser can reject a typo at its YAML line before any data is read.
 */
export type ArgType =
  'column' | 'columns' | 'number' | 'fraction' | 'boolean' | 'string' | 'list' | 'quantile-ranges'

export interface ArgSpec {
  type: ArgType
  required?: boolean
}

export interface ExpectationDefinition {
  /** table: about the whole table; column: about one column's values; multicolumn: about column combinations. */
  scope: 'table' | 'column' | 'multicolumn'
  args: Record<string, ArgSpec>
  /** Whether at least one of these must be given (e.g. min_value or max_value). */
  oneOf?: string[]
  describe: (args: Record<string, unknown>) => string
}

const range = (args: Record<string, unknown>): string => {
  const min = args.min_value
  const max = args.max_value
  if (min !== undefined && max !== undefined) return `between ${min} and ${max}`
  return min !== undefined ? `>= ${min}` : `<= ${max}`
}
const mostly = { type: 'fraction' } as const
const column = { type: 'column', required: true } as const

export const EXPECTATIONS: Record<string, ExpectationDefinition> = {
  expect_column_to_exist: {
    scope: 'table',
    args: { column },
    describe: (a) => `column ${a.column} exists`,
  },
  expect_table_columns_to_match_set: {
    scope: 'table',
    args: { column_set: { type: 'list', required: true }, exact_match: { type: 'boolean' } },
    describe: (a) =>
      a.exact_match === false ? 'table has at least the listed columns' : 'table columns match the set',
  },
  expect_table_row_count_to_be_between: {
    scope: 'table',
    args: { min_value: { type: 'number' }, max_value: { type: 'number' } },
    oneOf: ['min_value', 'max_value'],
    describe: (a) => `row count ${range(a)}`,
  },
  expect_column_values_to_not_be_null: {
    scope: 'column',
    args: { column, mostly },
    describe: (a) => `${a.column} is not null`,
  },
  expect_column_values_to_be_unique: {
    scope: 'column',
    args: { column, mostly },
    describe: (a) => `${a.column} values are unique`,
  },
  expect_column_values_to_be_between: {
    scope: 'column',
    args: {
      column,
      min_value: { type: 'number' },
      max_value: { type: 'number' },
      strict_min: { type: 'boolean' },
      strict_max: { type: 'boolean' },
      mostly,
    },
    oneOf: ['min_value', 'max_value'],
    describe: (a) => `${a.column} ${range(a)}`,
  },
  expect_column_values_to_be_in_set: {
    scope: 'column',
    args: { column, value_set: { type: 'list', required: true }, mostly },
    describe: (a) => `${a.column} in {${(a.value_set as unknown[]).join(', ')}}`,
  },
  expect_column_values_to_match_regex: {
    scope: 'column',
    args: { column, regex: { type: 'string', required: true }, mostly },
    describe: (a) => `${a.column} matches /${a.regex}/`,
  },
  expect_column_values_to_be_of_type: {
    scope: 'column',
    args: { column, type_: { type: 'string', required: true }, mostly },
    describe: (a) => `${a.column} is of type ${a.type_}`,
  },
  expect_column_mean_to_be_between: {
    scope: 'column',
    args: { column, min_value: { type: 'number' }, max_value: { type: 'number' } },
    oneOf: ['min_value', 'max_value'],
    describe: (a) => `mean of ${a.column} ${range(a)}`,
  },
  expect_column_quantile_values_to_be_between: {
    scope: 'column',
    args: { column, quantile_ranges: { type: 'quantile-ranges', required: true } },
    describe: (a) => `quantiles of ${a.column} within ranges`,
  },
  expect_compound_columns_to_be_unique: {
    scope: 'multicolumn',
    args: { column_list: { type: 'columns', required: true }, mostly },
    describe: (a) => `(${(a.column_list as string[]).join(', ')}) is unique`,
  },
}

/** Type names accepted by expect_column_values_to_be_of_type, with the spellings pandas and GE users write. */
export const TYPE_ALIASES: Record<string, 'integer' | 'number' | 'boolean' | 'datetime' | 'string'> = {
  int: 'integer',
  int32: 'integer',
  int64: 'integer',
  integer: 'integer',
  long: 'integer',
  float: 'number',
  float32: 'number',
  float64: 'number',
  double: 'number',
  number: 'number',
  numeric: 'number',
  bool: 'boolean',
  boolean: 'boolean',
  datetime: 'datetime',
  datetime64: 'datetime',
  date: 'datetime',
  timestamp: 'datetime',
  str: 'string',
  string: 'string',
  object: 'string',
  text: 'string',
}
