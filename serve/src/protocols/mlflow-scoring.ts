import type { ModelSchema, RowValues } from '../model/model-schema.js'
import type { BatchSlice } from '../model/micro-batcher.js'
import { describeValue, InputError } from './input-error.js'
import { isPlainObject, rowsFromColumns, rowsFromList, rowsFromSplit } from './rows.js'

const FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const

/**
 * The JSON body of MLflow's `/invocations`: exactly one of dataframe_split, dataframe_records, instances or
 * inputs, plus optional params (accepted and ignored: the graph takes none).
 */
export function rowsFromInvocation(schema: ModelSchema, body: unknown, maxRows: number): RowValues[] {
  if (!isPlainObject(body)) {
    throw new InputError(
      `the JSON body must be an object with one of ${FORMATS.join(', ')}; got ${describeValue(body)}`,
    )
  }
  const present = FORMATS.filter((f) => body[f] !== undefined)
  const unknown = Object.keys(body).filter(
    (k) => !(FORMATS as readonly string[]).includes(k) && k !== 'params',
  )
  if (unknown.length > 0) {
    throw new InputError(
      `unknown field(s) ${unknown.slice(0, 5).join(', ')}; use one of ${FORMATS.join(', ')} (and params)`,
    )
  }
  if (present.length !== 1) {
    throw new InputError(
      present.length === 0
        ? `the JSON body needs one of ${FORMATS.join(', ')}`
        : `the JSON body has ${present.join(' and ')}; send exactly one of ${FORMATS.join(', ')}`,
    )
  }
  if (body.params !== undefined && !isPlainObject(body.params)) {
    throw new InputError(`params must be an object, got ${describeValue(body.params)}`)
  }
  const format = present[0]!
  const value = body[format]
  if (format === 'dataframe_split') return rowsFromSplit(schema, value, maxRows, format)
  if (format === 'dataframe_records') {
    if (!Array.isArray(value))
      throw new InputError(`dataframe_records must be a list of records, got ${describeValue(value)}`)
    return rowsFromList(schema, value, maxRows, format)
  }
  // instances / inputs: a list of rows, or one list per column.
  if (Array.isArray(value)) return rowsFromList(schema, value, maxRows, format)
  if (isPlainObject(value)) return rowsFromColumns(schema, value, maxRows, format)
  throw new InputError(
    `${format} must be a list of rows or an object of columns, got ${describeValue(value)}`,
  )
}

/** `{"predictions": [{"label": ..., "probabilities": [...]}]}`: the records pyfunc returns for the two outputs. */
export function invocationResponse(slice: BatchSlice): {
  predictions: Array<{ label: string; probabilities: number[] }>
} {
  const { labels, probabilities, classes } = slice.output
  const predictions = new Array(slice.count)
  for (let i = 0; i < slice.count; i++) {
    const at = slice.offset + i
    predictions[i] = {
      label: labels[at]!,
      probabilities: Array.from(probabilities.subarray(at * classes, (at + 1) * classes)),
    }
  }
  return { predictions }
}
