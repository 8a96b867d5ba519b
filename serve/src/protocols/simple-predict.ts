import type { ModelSchema, RowValues } from '../model/model-schema.js'
import type { BatchSlice } from '../model/micro-batcher.js'
import { describeValue, InputError } from './input-error.js'
import { isPlainObject, rowFromArray, rowFromRecord, rowsFromList } from './rows.js'

/**
 * `/predict` JSON: one row (`{col: v}` or `[v, ...]` in column order) answers with one prediction; a list of
 * rows (records or arrays, e.g. a 2-D pixel array) answers with a list.
 */
export function rowsFromPredictBody(
  schema: ModelSchema,
  body: unknown,
  maxRows: number,
): { rows: RowValues[]; single: boolean } {
  if (isPlainObject(body)) return { rows: [rowFromRecord(schema, body, 'the row')], single: true }
  if (!Array.isArray(body))
    throw new InputError(`send a JSON row, a list of rows or an array of values; got ${describeValue(body)}`)
  if (body.length > 0 && !Array.isArray(body[0]) && !isPlainObject(body[0])) {
    return { rows: [rowFromArray(schema, body, 'the array')], single: true }
  }
  return { rows: rowsFromList(schema, body, maxRows, 'rows'), single: false }
}

export interface SimplePrediction {
  prediction: string
  probabilities: Record<string, number>
  confidence: number
}

export function simplePrediction(schema: ModelSchema, slice: BatchSlice, i: number): SimplePrediction {
  const { labels, probabilities, classes } = slice.output
  const at = slice.offset + i
  const probs: Record<string, number> = {}
  let confidence = 0
  for (let k = 0; k < classes; k++) {
    const p = probabilities[at * classes + k]!
    probs[schema.labels[k] ?? String(k)] = p
    if (p > confidence) confidence = p
  }
  return { prediction: labels[at]!, probabilities: probs, confidence }
}
