import { IMAGE_TENSOR_INPUT, type ModelSchema, type RowValues } from '../model/model-schema.js'
import type { BatchSlice } from '../model/micro-batcher.js'
import { describeValue, InputError } from './input-error.js'
import { cellValue, checkRowCount, isPlainObject } from './rows.js'

const NUMERIC_TYPES = new Set([
  'FP16',
  'FP32',
  'FP64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
])
const OUTPUTS = ['label', 'probabilities']

export interface InferRequest {
  id: string | undefined
  rows: RowValues[]
  outputs: string[]
}

/** Flattens nested data row-major, at most `depth` levels (the tensor's rank), so deep junk cannot recurse. */
function flatten(data: unknown[], depth: number, where: string): unknown[] {
  if (!data.some(Array.isArray)) return data
  if (depth <= 1) throw new InputError(`${where}.data is nested deeper than its shape`)
  const out: unknown[] = []
  for (const item of data) {
    if (Array.isArray(item)) for (const v of flatten(item, depth - 1, where)) out.push(v)
    else out.push(item)
  }
  return out
}

/** Open Inference Protocol v2: one input tensor per column, shape [N] or [N, 1], data flattened row-major. */
export function parseInferRequest(schema: ModelSchema, body: unknown, maxRows: number): InferRequest {
  if (!isPlainObject(body))
    throw new InputError(`the request must be a JSON object with inputs, got ${describeValue(body)}`)
  const { id, inputs, outputs, parameters } = body
  if (id !== undefined && typeof id !== 'string')
    throw new InputError(`id must be a string, got ${describeValue(id)}`)
  if (parameters !== undefined && !isPlainObject(parameters))
    throw new InputError('parameters must be an object')
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new InputError(`inputs must be a non-empty list of tensors, got ${describeValue(inputs)}`)
  }
  const rows = schema.imageTensor
    ? imageTensorRows(schema, inputs, maxRows)
    : columnRows(schema, inputs, maxRows)
  return { id, rows, outputs: requestedOutputs(outputs) }
}

/** An image model's one `image` tensor, [N, height, width, channels] of numbers, into N rows of pixels. */
function imageTensorRows(schema: ModelSchema, inputs: unknown[], maxRows: number): RowValues[] {
  const { width, height, channels } = schema.image!
  const expected = `[N, ${height}, ${width}, ${channels}]`
  if (inputs.length !== 1) {
    throw new InputError(
      `this model takes one input, '${IMAGE_TENSOR_INPUT}' ${expected}; got ${inputs.length}`,
    )
  }
  const tensor = inputs[0]
  if (!isPlainObject(tensor))
    throw new InputError('inputs[0] must be an object {name, shape, datatype, data}')
  const { name, shape, datatype, data } = tensor
  if (name !== IMAGE_TENSOR_INPUT) {
    throw new InputError(
      `inputs[0]: the model's input is '${IMAGE_TENSOR_INPUT}', got ${describeValue(name)}`,
    )
  }
  const valid =
    Array.isArray(shape) &&
    shape.length === 4 &&
    Number.isInteger(shape[0]) &&
    shape[0] >= 0 &&
    shape[1] === height &&
    shape[2] === width &&
    shape[3] === channels
  if (!valid)
    throw new InputError(
      `inputs[0] (image): shape must be ${expected}, got ${JSON.stringify(shape)?.slice(0, 60)}`,
    )
  if (typeof datatype !== 'string' || !NUMERIC_TYPES.has(datatype)) {
    throw new InputError(
      `inputs[0] (image): datatype must be numeric (FP32, UINT8...), got ${describeValue(datatype)}`,
    )
  }
  if (!Array.isArray(data))
    throw new InputError(`inputs[0] (image): data must be a list, got ${describeValue(data)}`)
  const count = (shape as number[])[0]!
  checkRowCount(count, maxRows, 'inputs')
  const flat = flatten(data, 4, 'inputs[0]')
  const size = width * height * channels
  if (flat.length !== count * size) {
    throw new InputError(
      `inputs[0] (image): shape [${(shape as number[]).join(', ')}] needs ${count * size} values, data has ${flat.length}`,
    )
  }
  const rows: RowValues[] = new Array(count)
  for (let r = 0; r < count; r++) {
    const row: RowValues = new Array(size)
    for (let i = 0; i < size; i++) {
      const value = flat[r * size + i]
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new InputError(
          `inputs[0] (image): value ${r * size + i} must be a finite number, got ${describeValue(value)}`,
        )
      }
      row[i] = value
    }
    rows[r] = row
  }
  return rows
}

function requestedOutputs(outputs: unknown): string[] {
  if (outputs === undefined) return OUTPUTS
  if (!Array.isArray(outputs) || !outputs.every((o) => isPlainObject(o) && typeof o.name === 'string')) {
    throw new InputError('outputs must be a list of {name}')
  }
  const wanted = outputs.map((o) => (o as { name: string }).name)
  const unknown = wanted.filter((n) => !OUTPUTS.includes(n))
  if (unknown.length > 0) {
    throw new InputError(`unknown output ${unknown[0]!.slice(0, 60)}; outputs are ${OUTPUTS.join(', ')}`)
  }
  return wanted
}

/** One tensor per column, shape [N] or [N, 1]. */
function columnRows(schema: ModelSchema, inputs: unknown[], maxRows: number): RowValues[] {
  const columns: unknown[][] = new Array(schema.features.length)
  let count: number | undefined
  for (let t = 0; t < inputs.length; t++) {
    const tensor = inputs[t]
    const where = `inputs[${t}]`
    if (!isPlainObject(tensor))
      throw new InputError(`${where} must be an object {name, shape, datatype, data}`)
    const { name, shape, datatype, data } = tensor
    if (typeof name !== 'string') throw new InputError(`${where}.name must be a string`)
    const column = schema.index.get(name)
    if (column === undefined) {
      throw new InputError(
        `${where}: the model has no input '${name.slice(0, 60)}'; inputs are ${schema.features.map((f) => f.name).join(', ')}`,
      )
    }
    if (columns[column] !== undefined) throw new InputError(`${where}: input '${name}' is given twice`)
    if (
      !Array.isArray(shape) ||
      shape.length === 0 ||
      shape.length > 2 ||
      !shape.every((d) => Number.isInteger(d) && d >= 0)
    ) {
      throw new InputError(
        `${where} (${name}): shape must be [N] or [N, 1], got ${JSON.stringify(shape)?.slice(0, 60)}`,
      )
    }
    if (shape.length === 2 && shape[1] !== 1)
      throw new InputError(`${where} (${name}): shape must be [N] or [N, 1], got [${shape.join(', ')}]`)
    const rows = shape[0] as number
    if (typeof datatype !== 'string') throw new InputError(`${where} (${name}): datatype must be a string`)
    const kind = schema.features[column]!.kind
    if (kind === 'numeric' && !NUMERIC_TYPES.has(datatype)) {
      throw new InputError(
        `${where} (${name}): datatype must be numeric (FP32, FP64, INT64...), got ${datatype.slice(0, 20)}`,
      )
    }
    if (kind === 'categorical' && datatype !== 'BYTES') {
      throw new InputError(
        `${where} (${name}): datatype must be BYTES for a text column, got ${datatype.slice(0, 20)}`,
      )
    }
    if (!Array.isArray(data))
      throw new InputError(`${where} (${name}): data must be a list, got ${describeValue(data)}`)
    const flat = flatten(data, shape.length, where)
    if (flat.length !== rows)
      throw new InputError(
        `${where} (${name}): shape [${shape.join(', ')}] needs ${rows} values, data has ${flat.length}`,
      )
    if (count !== undefined && rows !== count)
      throw new InputError(`${where} (${name}): ${rows} rows, other inputs have ${count}`)
    if (datatype.startsWith('INT') || datatype.startsWith('UINT')) {
      const bad = flat.find((v) => !Number.isInteger(v) || (datatype.startsWith('U') && (v as number) < 0))
      if (bad !== undefined)
        throw new InputError(`${where} (${name}): ${describeValue(bad)} is not a valid ${datatype}`)
    }
    count = rows
    columns[column] = flat
  }
  const missing = schema.features.filter((_, i) => columns[i] === undefined).map((f) => f.name)
  if (missing.length > 0)
    throw new InputError(
      `inputs are missing ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? '...' : ''}`,
    )
  checkRowCount(count!, maxRows, 'inputs')
  const rows: RowValues[] = new Array(count!)
  for (let r = 0; r < count!; r++) {
    const row: RowValues = new Array(columns.length)
    for (let c = 0; c < columns.length; c++) row[c] = cellValue(schema, c, columns[c]![r], `inputs row ${r}`)
    rows[r] = row
  }
  return rows
}

export function inferResponse(
  model: { name: string; version: string },
  request: InferRequest,
  requestId: string,
  slice: BatchSlice,
) {
  const { labels, probabilities, classes } = slice.output
  const outputs = request.outputs.map((name) =>
    name === 'label'
      ? {
          name,
          datatype: 'BYTES',
          shape: [slice.count],
          data: labels.slice(slice.offset, slice.offset + slice.count),
        }
      : {
          name,
          datatype: 'FP32',
          shape: [slice.count, classes],
          data: Array.from(
            probabilities.subarray(slice.offset * classes, (slice.offset + slice.count) * classes),
          ),
        },
  )
  return { model_name: model.name, model_version: model.version, id: request.id ?? requestId, outputs }
}

/** `GET /v2/models/{m}`: -1 marks the variable batch dimension. */
export function modelMetadata(model: { name: string; version: string; schema: ModelSchema }) {
  return {
    name: model.name,
    versions: [model.version],
    platform: 'onnxruntime_onnx',
    inputs: model.schema.imageTensor
      ? [
          {
            name: IMAGE_TENSOR_INPUT,
            datatype: 'FP32',
            shape: [-1, model.schema.image!.height, model.schema.image!.width, model.schema.image!.channels],
          },
        ]
      : model.schema.features.map((f) => ({
          name: f.name,
          datatype: f.kind === 'numeric' ? 'FP32' : 'BYTES',
          shape: [-1, 1],
        })),
    outputs: [
      { name: 'label', datatype: 'BYTES', shape: [-1] },
      { name: 'probabilities', datatype: 'FP32', shape: [-1, model.schema.labels.length] },
    ],
  }
}
