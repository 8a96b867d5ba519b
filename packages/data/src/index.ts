export * from './types.js'
export * from './errors.js'
export { closestMatch, didYouMean } from './closest-match.js'
export { rowHash } from './row-hash.js'
export * from './expectations/catalog.js'
export * from './expectations/suite.js'
export {
  createEvaluator,
  type CheckResult,
  type Example,
  type Evaluator,
  type FinishContext,
} from './expectations/evaluate.js'
export * from './data-qa.js'
export { openTable, expandDatasetPaths, TABLE_EXTENSIONS, type OpenTableOptions } from './open-table.js'
export { openCsv, sniffDelimiter, DEFAULT_NULL_VALUES, type CsvOptions } from './csv.js'
export { openJsonl, type JsonlOptions } from './jsonl.js'
export { openParquet } from './parquet.js'
export { cellKind, toNumber, widenType, type CellKind } from './infer.js'
export * from './profile.js'
export * from './dvc/index.js'
export {
  readColumns,
  type ColumnKind,
  type ColumnTable,
  type ReadColumnsOptions,
  type TableColumn,
} from './columns.js'
export * from './drift/index.js'
export * from './images/index.js'
