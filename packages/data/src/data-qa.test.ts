import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runDataQa, type DataQaReport } from './data-qa.js'
import { DataError } from './errors.js'
import { defaultSuite, parseExpectationSuite } from './expectations/suite.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'data-qa-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function qa(
  files: Record<string, string>,
  yaml: string,
  options: { label?: string; test?: string[] } = {},
): Promise<DataQaReport> {
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text)
  const datasets = Object.keys(files)
    .filter((f) => !options.test?.includes(f))
    .map((f) => join(dir, f))
  return runDataQa({
    datasets,
    suite: yaml ? parseExpectationSuite(yaml, 'exp.yml') : defaultSuite(),
    ...(options.label ? { labelColumn: options.label } : {}),
    ...(options.test ? { testDatasets: options.test.map((f) => join(dir, f)) } : {}),
  })
}

const check = (report: DataQaReport, name: string, index = 0) =>
  report.checks.filter((c) => c.check === name)[index]!

describe('runDataQa', () => {
  it('follows Great Expectations semantics: nulls skipped by value checks, counted by not_null, mostly', async () => {
    const csv = ['x,y', '1,a', '2,', ',b', '50,c', '4,d', '5,e', '6,f', '7,g', '8,h', '9,i'].join('\n') + '\n'
    const report = await qa(
      { 'gx.csv': csv },
      [
        'expectations:',
        '  - expect_column_values_to_be_between: { column: x, min_value: 0, max_value: 10 }',
        '  - expect_column_values_to_be_between: { column: x, min_value: 0, max_value: 10, mostly: 0.85 }',
        '  - expect_column_values_to_not_be_null: { column: y }',
        '  - expect_column_values_to_be_in_set: { column: y, value_set: [a, b, c, d, e, f, g, h, i] }',
        'checks: { duplicate_rows: off, constant_columns: off }',
      ].join('\n'),
    )
    const strict = check(report, 'expect_column_values_to_be_between', 0)
    expect(strict).toMatchObject({ success: false, unexpectedCount: 1, examples: [{ line: 5, value: '50' }] })
    expect(strict.observed).toMatch(/^1 of 9 values unexpected/)
    expect(check(report, 'expect_column_values_to_be_between', 1).success).toBe(true)
    expect(check(report, 'expect_column_values_to_not_be_null')).toMatchObject({
      success: false,
      unexpectedCount: 1,
      examples: [{ line: 3 }],
    })
    expect(check(report, 'expect_column_values_to_be_in_set').success).toBe(true)
    expect(report.status).toBe('fail')
    expect(report.summary).toMatchObject({ rows: 10, failed: 2, passed: 2, warned: 0 })
  })

  it('checks uniqueness, compound uniqueness, regex, type, mean and quantiles', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => `${i % 150},${i % 2 ? 'A' : 'B'},${i / 2},code-${i}`)
    const report = await qa(
      { 'u.csv': ['id,group,v,code', ...rows, '7,B,x,bad'].join('\n') + '\n' },
      [
        'expectations:',
        '  - expect_column_values_to_be_unique: { column: id }',
        '  - expect_compound_columns_to_be_unique: { column_list: [id, group] }',
        '  - expect_column_values_to_match_regex: { column: code, regex: "^code-\\\\d+$" }',
        '  - expect_column_values_to_be_of_type: { column: v, type_: float }',
        '  - expect_column_mean_to_be_between: { column: id, min_value: 60, max_value: 70 }',
        '  - expect_column_quantile_values_to_be_between:',
        '      column: id',
        // ids 0..49 twice, 50..149 once, plus one more 7: the exact median of the 201 values is 49.
        '      quantile_ranges: { quantiles: [0.5], value_ranges: [[46, 52]] }',
        '  - expect_column_quantile_values_to_be_between:',
        '      column: id',
        '      quantile_ranges: { quantiles: [0.5, 0.9], value_ranges: [[46, 52], [null, 100]] }',
      ].join('\n'),
    )
    expect(check(report, 'expect_column_values_to_be_unique')).toMatchObject({
      success: false,
      unexpectedCount: 51,
    })
    // Rows 150..199 repeat ids 0..49 with the same parity, so the same (id, group); the extra 7,B is a new pair
    // (row 7 was 7,A). Row i sits on line i + 2.
    const compound = check(report, 'expect_compound_columns_to_be_unique')
    expect(compound).toMatchObject({ success: false, unexpectedCount: 50 })
    expect(compound.examples![0]).toMatchObject({ line: 152, value: '0, B' })
    expect(check(report, 'expect_column_values_to_match_regex')).toMatchObject({
      unexpectedCount: 1,
      examples: [{ line: 202, value: 'bad' }],
    })
    expect(check(report, 'expect_column_values_to_be_of_type')).toMatchObject({ unexpectedCount: 1 })
    const exactMean = (rows.reduce((s, _, i) => s + (i % 150), 0) + 7) / 201
    const meanCheck = check(report, 'expect_column_mean_to_be_between')
    expect(meanCheck.success).toBe(true)
    expect(Number(meanCheck.observed.replace('mean ', ''))).toBeCloseTo(exactMean, 4)
    expect(check(report, 'expect_column_quantile_values_to_be_between', 0).success).toBe(true)
    // The 90th percentile is ~129, above the open-ended [null, 100] range.
    const p90 = check(report, 'expect_column_quantile_values_to_be_between', 1)
    expect(p90.success).toBe(false)
    expect(p90.observed).toMatch(/q0\.9=\d+.*\(want -inf\.\.100\)/)
  })

  it('runs dataset checks: duplicate rows, constant columns, label balance, leakage', async () => {
    const train = [
      'a,b,c,label',
      '1,x,k,0',
      '2,y,k,0',
      '1,x,k,0',
      '3,z,k,0',
      '4,z,k,0',
      '5,z,k,0',
      '6,z,k,0',
      '7,z,k,0',
      '8,z,k,0',
      '9,z,k,0',
      '10,z,k,0',
      '11,z,k,0',
      '12,z,k,0',
      '13,z,k,0',
      '14,z,k,0',
      '15,z,k,0',
      '16,z,k,0',
      '17,z,k,0',
      '18,z,k,0',
      '19,z,k,0',
      '20,z,k,1',
    ]
    const test = ['a,b,c,label', '2,y,k,1', '99,q,k,0']
    const report = await qa(
      { 'train.csv': train.join('\n') + '\n', 'test.csv': test.join('\n') + '\n' },
      '',
      { label: 'label', test: ['test.csv'] },
    )
    expect(check(report, 'duplicate_rows')).toMatchObject({
      success: false,
      unexpectedCount: 1,
      severity: 'warning',
      examples: [{ line: 4 }],
    })
    expect(check(report, 'constant_columns')).toMatchObject({ success: false, observed: 'c (always k)' })
    // 1 of 21 rows is class 1: 4.8% < the default 5% minimum share.
    expect(check(report, 'label_balance')).toMatchObject({ success: false, column: 'label' })
    // The label differs but the features match: leakage ignores the label.
    expect(check(report, 'leakage')).toMatchObject({
      success: false,
      severity: 'error',
      unexpectedCount: 1,
      examples: [{ line: 2 }],
    })
    expect(report.testDatasets).toEqual([expect.objectContaining({ rows: 2 })])
    expect(report.status).toBe('fail')
  })

  it('reads several files as one table and refuses files whose columns differ', async () => {
    const ok = await qa({ 'p1.csv': 'a,b\n1,2\n', 'p2.csv': 'a,b\n3,4\n5,6\n' }, '')
    expect(ok.summary.rows).toBe(3)
    expect(ok.datasets.map((d) => d.rows)).toEqual([1, 2])
    await expect(qa({ 'q1.csv': 'a,b\n1,2\n', 'q2.csv': 'a,c\n3,4\n' }, '')).rejects.toThrow(
      /q2\.csv has different columns .*missing b; extra c/,
    )
  })

  it('rejects an unknown label column with a suggestion', async () => {
    await expect(qa({ 'l.csv': 'label,x\n1,2\n' }, '', { label: 'lable' })).rejects.toThrow(DataError)
    await expect(qa({ 'l.csv': 'label,x\n1,2\n' }, '', { label: 'lable' })).rejects.toThrow(
      /did you mean 'label'/,
    )
  })
})
