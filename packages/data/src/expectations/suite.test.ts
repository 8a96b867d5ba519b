import { DataError } from '../errors.js'
import { checkSuiteColumns, parseExpectationSuite } from './suite.js'

const parseError = (text: string): DataError => {
  try {
    parseExpectationSuite(text, 'exp.yml')
  } catch (error) {
    if (error instanceof DataError) return error
    throw error
  }
  throw new Error('expected a DataError')
}

describe('parseExpectationSuite', () => {
  it('reads the short form with lines, severity and descriptions', () => {
    const suite = parseExpectationSuite(
      [
        'expectations:',
        '  - expect_column_values_to_not_be_null: { column: age }',
        '  - expect_column_values_to_be_between:',
        '      column: age',
        '      min_value: 18',
        '      severity: warning',
      ].join('\n'),
      'exp.yml',
    )
    expect(suite.expectations).toHaveLength(2)
    expect(suite.expectations[0]).toMatchObject({
      type: 'expect_column_values_to_not_be_null',
      line: 2,
      severity: 'error',
    })
    expect(suite.expectations[1]).toMatchObject({
      line: 3,
      severity: 'warning',
      args: { column: 'age', min_value: 18 },
    })
    expect(suite.expectations[1]!.description).toBe('age >= 18')
    expect(suite.expectations[1]!.args).not.toHaveProperty('severity')
  })

  it('reads the Great Expectations export form (expectation_type/kwargs/meta) from JSON', () => {
    const suite = parseExpectationSuite(
      JSON.stringify({
        expectation_suite_name: 'x',
        expectations: [
          {
            expectation_type: 'expect_column_values_to_be_unique',
            kwargs: { column: 'id' },
            meta: { severity: 'warning' },
          },
        ],
      }),
      'exp.json',
    )
    expect(suite.expectations[0]).toMatchObject({
      type: 'expect_column_values_to_be_unique',
      severity: 'warning',
      args: { column: 'id' },
    })
  })

  it('names the line of malformed YAML', () => {
    const error = parseError('expectations:\n  - expect_column_to_exist: {column: a}\n  - bad: [unclosed\n')
    expect(error.message).toMatch(/^exp\.yml:\d+: invalid YAML/)
    expect(error.line).toBeGreaterThanOrEqual(3)
    expect(error.file).toBe('exp.yml')
  })

  it('rejects an unknown expectation at its line and suggests the right name', () => {
    const error = parseError(
      'expectations:\n  - expect_column_to_exist: {column: a}\n  - expect_column_values_to_be_unqiue: {column: a}\n',
    )
    expect(error.line).toBe(3)
    expect(error.message).toBe(
      "exp.yml:3: unknown expectation 'expect_column_values_to_be_unqiue' (did you mean 'expect_column_values_to_be_unique'?)",
    )
  })

  it('rejects unknown and missing arguments, and bad values, at the argument line', () => {
    expect(
      parseError(
        'expectations:\n  - expect_column_values_to_be_between:\n      column: a\n      min_vale: 3\n',
      ).message,
    ).toMatch(/^exp\.yml:4: .*no argument 'min_vale' \(did you mean 'min_value'\?\)/)
    expect(parseError('expectations:\n  - expect_column_values_to_be_in_set: {column: a}\n').message).toBe(
      "exp.yml:2: expect_column_values_to_be_in_set needs 'value_set'",
    )
    expect(
      parseError('expectations:\n  - expect_column_values_to_be_between: {column: a}\n').message,
    ).toMatch(/needs at least one of min_value or max_value/)
    expect(
      parseError(
        'expectations:\n  - expect_column_values_to_not_be_null:\n      column: a\n      mostly: 1.5\n',
      ).line,
    ).toBe(4)
    expect(
      parseError(
        'expectations:\n  - expect_column_values_to_be_between: {column: a, min_value: 5, max_value: 1}\n',
      ).message,
    ).toMatch(/min_value 5 is greater than max_value 1/)
    expect(
      parseError('expectations:\n  - expect_column_values_to_match_regex: {column: a, regex: "([a-z"}\n')
        .message,
    ).toMatch(/invalid regex/)
    expect(
      parseError('expectations:\n  - expect_column_values_to_be_of_type: {column: a, type_: decimal}\n')
        .message,
    ).toMatch(/unknown type 'decimal'/)
  })

  it('rejects bad dataset checks and unknown top-level keys', () => {
    expect(parseError('checks:\n  duplicate_row: error\n').message).toMatch(
      /^exp\.yml:2: unknown check 'duplicate_row' \(did you mean 'duplicate_rows'\?\)/,
    )
    expect(parseError('checks:\n  leakage: fatal\n').message).toMatch(
      /must be error, warning or off, got 'fatal'/,
    )
    expect(parseError('expectation:\n  - x: 1\n').message).toMatch(
      /unknown top-level key 'expectation'.*did you mean 'expectations'/,
    )
    expect(parseError('- just a list\n').message).toMatch(/expected a mapping/)
  })

  it('parses check levels and label balance share', () => {
    const suite = parseExpectationSuite(
      'checks:\n  leakage: off\n  label_balance: {severity: error, min_share: 0.2}\n',
      'exp.yml',
    )
    expect(suite.checks.leakage.level).toBe('off')
    expect(suite.checks.labelBalance).toMatchObject({ level: 'error', minShare: 0.2, line: 3 })
  })
})

describe('checkSuiteColumns', () => {
  it('names the expectation line and the missing column with a suggestion', () => {
    const suite = parseExpectationSuite(
      'expectations:\n  - expect_column_to_exist: {column: zzz}\n  - expect_column_values_to_be_unique: {column: agee}\n',
      'exp.yml',
    )
    expect(() => checkSuiteColumns(suite, ['age', 'id'], 'data.csv')).toThrow(
      "exp.yml:3: expect_column_values_to_be_unique names column 'agee', which data.csv does not have (did you mean 'age'?)",
    )
  })
})
