import { basename } from 'node:path'
import { didYouMean } from './closest-match.js'
import {
  constantColumnsCheck,
  duplicateRowsCheck,
  labelBalanceCheck,
  leakageCheck,
} from './dataset-checks.js'
import { DataError } from './errors.js'
import {
  createEvaluator,
  summarizeChecks,
  type CheckResult,
  type Evaluator,
} from './expectations/evaluate.js'
import { checkSuiteColumns, type ExpectationSuite } from './expectations/suite.js'
import { readBatches } from './batch.js'
import { openTable } from './open-table.js'
import { ProfileBuilder, type DatasetProfile } from './profile.js'
import type { TableFormat, TableReader } from './types.js'

export const DATA_QA_REPORT_SCHEMA = 'mlops-actions/data-qa-report@1'

export interface DataQaOptions {
  /** Files read as one table, in order (already expanded from globs). */
  datasets: string[]
  /** Optional held-out split, checked for rows leaked from `datasets`. */
  testDatasets?: string[]
  suite: ExpectationSuite
  labelColumn?: string
  format?: 'auto' | TableFormat
  delimiter?: string
  /** Rows read so far, and bytes read so far of all datasets' total size. */
  onProgress?: (progress: { file: string; rows: number; bytesRead: number; totalBytes: number }) => void
  now?: () => number
}

export interface DatasetInfo {
  file: string
  format: TableFormat
  rows: number
  bytes: number
}

export interface DataQaReport {
  schema: typeof DATA_QA_REPORT_SCHEMA
  status: 'pass' | 'warn' | 'fail'
  summary: { checks: number; passed: number; failed: number; warned: number; rows: number; columns: number }
  datasets: DatasetInfo[]
  testDatasets: DatasetInfo[]
  expectationsFile: string | null
  labelColumn: string | null
  checks: CheckResult[]
  profile: DatasetProfile
  durationMs: number
}

const PROGRESS_EVERY = 16_384

/** Opens every file and insists they share the first file's columns, so a table never silently loses some. */
async function openAll(files: string[], options: DataQaOptions): Promise<TableReader[]> {
  if (files.length === 0) throw new DataError('no dataset files given')
  const readers: TableReader[] = []
  for (const file of files) {
    const reader = await openTable(file, {
      ...(options.format === undefined ? {} : { format: options.format }),
      ...(options.delimiter === undefined ? {} : { delimiter: options.delimiter }),
    })
    const first = readers[0]
    if (first && reader.columns.join('\u0000') !== first.columns.join('\u0000')) {
      const missing = first.columns.filter((c) => !reader.columns.includes(c))
      const extra = reader.columns.filter((c) => !first.columns.includes(c))
      const detail = [
        missing.length ? `missing ${missing.join(', ')}` : '',
        extra.length ? `extra ${extra.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ')
      throw new DataError(
        `${file} has different columns from ${first.file}: ${detail || 'same columns in another order'}`,
        { file, line: 1 },
      )
    }
    readers.push(reader)
  }
  return readers
}

/** One streaming pass over the data: the profile, every expectation and the dataset checks together. */
export async function runDataQa(options: DataQaOptions): Promise<DataQaReport> {
  const now = options.now ?? Date.now
  const started = now()
  const { suite } = options
  const readers = await openAll(options.datasets, options)
  const columns = readers[0]!.columns
  checkSuiteColumns(suite, columns, readers[0]!.file)
  const label = options.labelColumn
  const labelIndex = label === undefined ? -1 : columns.indexOf(label)
  if (label !== undefined && labelIndex < 0) {
    throw new DataError(
      `label column '${label}' is not in ${readers[0]!.file}${didYouMean(label, columns)}`,
      { column: label },
    )
  }

  const evaluators: Evaluator[] = suite.expectations.map((spec) => createEvaluator(spec, columns))
  if (suite.checks.duplicateRows.level !== 'off')
    evaluators.push(duplicateRowsCheck(suite.checks.duplicateRows))
  const streaming = evaluators.filter((e) => e.onRecord)
  const testFiles = options.testDatasets ?? []
  const leakage =
    testFiles.length > 0 && suite.checks.leakage.level !== 'off'
      ? leakageCheck(suite.checks.leakage, labelIndex)
      : undefined
  const profile = new ProfileBuilder(columns)

  const datasets: DatasetInfo[] = []
  // Progress is over all files together: rows so far, and bytes so far of the total size.
  const totalBytes = readers.reduce((sum, r) => sum + r.totalBytes, 0)
  let bytesBefore = 0
  let rows = 0
  for (const reader of readers) {
    let fileRows = 0
    // Batches let the profile read CSV cells where they lie; row-wise checks still get each record's values.
    const perRecord = streaming.length > 0 || leakage !== undefined
    for await (const batch of readBatches(reader)) {
      profile.addBatch(batch)
      if (perRecord) {
        for (let row = 0; row < batch.length; row++) {
          const values = batch.values(row)
          const line = batch.line(row)
          for (const evaluator of streaming) evaluator.onRecord!(values, line, reader.file)
          leakage?.addTrain(values)
        }
      }
      const before = fileRows
      fileRows += batch.length
      if (Math.floor(fileRows / PROGRESS_EVERY) > Math.floor(before / PROGRESS_EVERY)) {
        options.onProgress?.({
          file: reader.file,
          rows: rows + fileRows,
          bytesRead: bytesBefore + reader.bytesRead(),
          totalBytes,
        })
      }
    }
    rows += fileRows
    bytesBefore += reader.totalBytes
    options.onProgress?.({ file: reader.file, rows, bytesRead: bytesBefore, totalBytes })
    datasets.push({ file: reader.file, format: reader.format, rows: fileRows, bytes: reader.totalBytes })
  }

  const testDatasets: DatasetInfo[] = []
  if (testFiles.length > 0) {
    const testReaders = await openAll(testFiles, options)
    const testColumns = testReaders[0]!.columns
    if (testColumns.join('\u0000') !== columns.join('\u0000')) {
      throw new DataError(
        `test split ${testReaders[0]!.file} does not have the same columns as ${readers[0]!.file}`,
        {
          file: testReaders[0]!.file,
          line: 1,
        },
      )
    }
    for (const reader of testReaders) {
      let fileRows = 0
      for await (const record of reader.records()) {
        leakage?.checkTest(record.values, record.line, reader.file)
        fileRows++
      }
      testDatasets.push({
        file: reader.file,
        format: reader.format,
        rows: fileRows,
        bytes: reader.totalBytes,
      })
    }
  }

  const finished = profile.finish()
  const context = {
    rows,
    columns,
    profile: finished,
    quantile: (c: string, q: number) => profile.quantile(c, q),
  }
  const checks = evaluators.map((e) => e.finish(context))
  if (suite.checks.constantColumns.level !== 'off')
    checks.push(constantColumnsCheck(suite.checks.constantColumns, finished.columns))
  if (label !== undefined && suite.checks.labelBalance.level !== 'off') {
    checks.push(labelBalanceCheck(suite.checks.labelBalance, finished.columns[labelIndex]!))
  }
  if (leakage) checks.push(leakage.finish())

  const { status, counts } = summarizeChecks(checks)
  return {
    schema: DATA_QA_REPORT_SCHEMA,
    status,
    summary: {
      ...counts,
      rows,
      columns: columns.length,
    },
    datasets,
    testDatasets,
    expectationsFile: suite.file ?? null,
    labelColumn: label ?? null,
    checks,
    profile: finished,
    durationMs: Math.round(now() - started),
  }
}

/** A short name for a dataset list in messages and titles. */
export const describeDatasets = (files: readonly string[]): string =>
  files.length === 1 ? basename(files[0]!) : `${files.length} files`
