import { rm } from 'node:fs/promises'
import fc from 'fast-check'
import type { RunningServer } from '../src/server.js'
import { get, post, startTestServer } from './start-test-server.js'
import { tabularBundle } from './test-bundle.js'

const NUMERIC = ['age', 'bmi', 'visits'] as const
const CATEGORICAL = ['ward', 'insulin'] as const
const COLUMNS = [...NUMERIC, ...CATEGORICAL]
const MAX_ROWS = 20
const MAX_BODY = 32 * 1024

type Row = Record<string, unknown>
interface Request {
  path: string
  type: string | undefined
  body: string | Uint8Array | FormData
}

const validRow: fc.Arbitrary<Row> = fc.record({
  age: fc.oneof(fc.double({ min: 0, max: 120, noNaN: true }), fc.constant(null)),
  bmi: fc.double({ min: 10, max: 60, noNaN: true }),
  visits: fc.integer({ min: 0, max: 10 }),
  ward: fc.constantFrom('cardio', 'neuro', 'ortho', 'unseen ward', ''),
  insulin: fc.constantFrom('yes', 'no', null),
})

const notANumber = fc.oneof(
  fc.string(),
  fc.boolean(),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
  fc.constantFrom('NaN', 'Infinity', '1'),
)
const notAString = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
)

/** A row with one cell of the wrong type. */
const wrongTypeRow: fc.Arbitrary<Row> = fc.oneof(
  fc
    .tuple(validRow, fc.constantFrom(...NUMERIC), notANumber)
    .map(([row, column, value]) => ({ ...row, [column]: value })),
  fc
    .tuple(validRow, fc.constantFrom(...CATEGORICAL), notAString)
    .map(([row, column, value]) => ({ ...row, [column]: value })),
)

/** A row that is wrong in exactly one way the schema forbids. */
const badRow: fc.Arbitrary<Row> = fc.oneof(
  wrongTypeRow,
  fc.tuple(validRow, fc.subarray([...COLUMNS], { minLength: 1 })).map(([row, gone]) => {
    const copy = { ...row }
    for (const column of gone) delete copy[column]
    return copy
  }),
  fc
    .tuple(
      validRow,
      fc.string({ minLength: 1 }).filter((k) => !COLUMNS.includes(k as never) && k !== '__proto__'),
      fc.jsonValue({ maxDepth: 1 }),
    )
    .map(([row, key, value]) => ({ ...row, [key]: value })),
)

/** Bad rows hidden among good ones. */
const rowsWithBad = fc
  .tuple(fc.array(validRow, { maxLength: 4 }), badRow, fc.array(validRow, { maxLength: 4 }))
  .map(([a, bad, b]) => [...a, bad, ...b])

const json = (path: string, value: unknown): Request => ({
  path,
  type: 'application/json',
  body: JSON.stringify(value),
})
const v2Tensor = (name: string, rows: Row[]) => ({
  name,
  shape: [rows.length, 1],
  datatype: (CATEGORICAL as readonly string[]).includes(name) ? 'BYTES' : 'FP32',
  data: rows.map((r) => r[name]),
})

const rowPayloads: fc.Arbitrary<Request> = fc.oneof(
  badRow.map((row) => json('/predict', row)),
  rowsWithBad.map((rows) => json('/predict', rows)),
  rowsWithBad.map((rows) => json('/invocations', { dataframe_records: rows })),
  rowsWithBad.map((rows) => json('/invocations', { instances: rows })),
  rowsWithBad.map((rows) => json('/invocations', { inputs: rows })),
  // Columnar and split forms: a wrong-typed cell, or lists/rows of the wrong length.
  fc
    .tuple(fc.array(validRow, { minLength: 1, maxLength: 5 }), fc.constantFrom(...NUMERIC), notANumber)
    .map(([rows, column, value]) =>
      json('/invocations', {
        inputs: Object.fromEntries(
          COLUMNS.map((c) => [
            c,
            c === column ? [...rows.map((r) => r[c]).slice(1), value] : rows.map((r) => r[c]),
          ]),
        ),
      }),
    ),
  fc
    .tuple(fc.array(validRow, { minLength: 2, maxLength: 5 }), fc.constantFrom(...COLUMNS))
    .map(([rows, column]) =>
      json('/invocations', {
        inputs: Object.fromEntries(
          COLUMNS.map((c) => [c, c === column ? rows.slice(1).map((r) => r[c]) : rows.map((r) => r[c])]),
        ),
      }),
    ),
  fc.tuple(fc.array(validRow, { minLength: 1, maxLength: 5 }), fc.nat(4)).map(([rows, cut]) =>
    json('/invocations', {
      dataframe_split: {
        columns: COLUMNS,
        data: rows.map((r, i) => COLUMNS.map((c) => r[c]).slice(0, i === 0 ? cut : 5)),
      },
    }),
  ),
  fc
    .tuple(fc.array(validRow, { minLength: 1, maxLength: 5 }), fc.constantFrom(...NUMERIC), notANumber)
    .map(([rows, column, value]) =>
      json('/invocations', {
        dataframe_split: {
          columns: COLUMNS,
          data: rows.map((r, i) => COLUMNS.map((c) => (i === 0 && c === column ? value : r[c]))),
        },
      }),
    ),
  // OIP v2: wrong datatype, wrong shape, a missing or unknown tensor, wrong values.
  fc
    .tuple(
      fc.array(validRow, { minLength: 1, maxLength: 5 }),
      fc.constantFrom(...COLUMNS),
      fc.constantFrom('BOOL', 'INT8', 'BYTES', 'FP32', 'STRING', ''),
    )
    .map(([rows, column, datatype]) => {
      const inputs = COLUMNS.map((c) => v2Tensor(c, rows))
      const target = inputs.find((t) => t.name === column)!
      target.datatype =
        target.datatype === datatype
          ? 'BOOL'
          : datatype === 'FP32' && target.datatype === 'BYTES'
            ? 'FP32'
            : datatype
      if (target.datatype === 'INT8' && (NUMERIC as readonly string[]).includes(column))
        target.data = rows.map(() => 0.5)
      return json('/v2/models/model/infer', { inputs })
    }),
  fc
    .tuple(
      fc.array(validRow, { minLength: 1, maxLength: 5 }),
      fc.constantFrom(...COLUMNS),
      fc.array(fc.integer({ min: -2, max: 7 }), { maxLength: 3 }),
    )
    .map(([rows, column, shape]) => {
      const inputs = COLUMNS.map((c) => v2Tensor(c, rows))
      const target = inputs.find((t) => t.name === column)!
      target.shape =
        JSON.stringify(shape) === JSON.stringify([rows.length]) ||
        JSON.stringify(shape) === JSON.stringify([rows.length, 1])
          ? [rows.length + 1]
          : shape
      return json('/v2/models/model/infer', { inputs })
    }),
  fc
    .tuple(
      fc.array(validRow, { minLength: 1, maxLength: 5 }),
      fc.subarray([...COLUMNS], { minLength: 1 }),
      fc.boolean(),
    )
    .map(([rows, gone, addUnknown]) => {
      const inputs: unknown[] = COLUMNS.filter((c) => !gone.includes(c)).map((c) => v2Tensor(c, rows))
      if (addUnknown)
        inputs.push({ name: 'unknown', shape: [rows.length], datatype: 'FP32', data: rows.map(() => 1) })
      return json('/v2/models/model/infer', { inputs })
    }),
  // A missing cell is null (a missing value) in a tensor, so only wrong types make a bad row there.
  // (Not arrays: a tensor's data may legally be nested row-major.)
  fc
    .tuple(
      fc.array(validRow, { maxLength: 4 }),
      wrongTypeRow.filter((row) => !Object.values(row).some(Array.isArray)),
    )
    .map(([rows, bad]) =>
      json('/v2/models/model/infer', { inputs: COLUMNS.map((c) => v2Tensor(c, [...rows, bad])) }),
    ),
)

const ENDPOINTS = ['/predict', '/invocations', '/v2/models/model/infer']
const endpoint = fc.constantFrom(...ENDPOINTS)

/** Payloads that are broken as documents, whatever the endpoint. */
const structuralPayloads: fc.Arbitrary<Request> = fc.oneof(
  // Any JSON that is not a request: scalars, and objects/arrays the schema cannot match.
  fc
    .tuple(
      endpoint,
      fc.jsonValue({ maxDepth: 3 }).filter((v) => !(Array.isArray(v) && v.length === 5)),
    )
    .map(([path, value]) => json(path, value)),
  // Invalid JSON, including NaN / Infinity literals and truncated documents.
  fc
    .tuple(endpoint, fc.string())
    .filter(([, s]) => {
      try {
        JSON.parse(s)
        return false
      } catch {
        return true
      }
    })
    .map(([path, body]) => ({ path, type: 'application/json', body })),
  fc
    .tuple(endpoint, validRow, fc.constantFrom('NaN', 'Infinity', '-Infinity', 'undefined', "'x'"))
    .map(([path, row, literal]) => ({
      path,
      type: 'application/json',
      body: JSON.stringify(path === '/invocations' ? { instances: [row] } : row).replace(
        /"bmi":[^,}]+/,
        `"bmi":${literal}`,
      ),
    })),
  // Deep nesting.
  fc
    .tuple(endpoint, fc.integer({ min: 100, max: 15_000 }), fc.constantFrom('[', '{"a":'))
    .map(([path, depth, open]) => ({
      path,
      type: 'application/json',
      body: open.repeat(depth) + '1' + (open === '[' ? ']' : '}').repeat(depth),
    })),
  // Too many rows, and bodies over the byte limit.
  fc
    .tuple(endpoint, validRow, fc.integer({ min: MAX_ROWS + 1, max: MAX_ROWS * 5 }))
    .map(([path, row, count]) => {
      const rows = Array.from({ length: count }, () => row)
      if (path === '/invocations') return json(path, { dataframe_records: rows })
      if (path === '/predict') return json(path, rows)
      return json(path, { inputs: COLUMNS.map((c) => v2Tensor(c, rows)) })
    }),
  fc.tuple(endpoint, fc.integer({ min: MAX_BODY + 1, max: MAX_BODY * 3 })).map(([path, size]) => ({
    path,
    type: 'application/json',
    body: '[' + '1,'.repeat(Math.floor(size / 2)) + '1]',
  })),
  // Wrong or missing content types, and uploads that are not images (the model is tabular).
  fc
    .tuple(
      endpoint,
      fc.constantFrom(
        'text/plain',
        'application/xml',
        'application/x-www-form-urlencoded',
        'image/png',
        'application/octet-stream',
        undefined,
        'application/jsonx',
      ),
      validRow,
    )
    .map(([path, type, row]) => ({ path, type, body: JSON.stringify(row) })),
  fc
    .tuple(
      fc.uint8Array({ minLength: 1, maxLength: 512 }),
      fc.constantFrom('image/png', 'image/jpeg', 'text/plain'),
    )
    .map(([bytes, type]) => {
      const form = new FormData()
      form.append('image', new Blob([bytes], { type }), 'upload')
      return { path: '/predict', type: undefined, body: form }
    }),
  fc.string().map((body) => ({ path: '/invocations', type: 'text/csv', body: `age,bmi\n${body}` })),
)

let bundle: string
let server: RunningServer

beforeAll(async () => {
  bundle = await tabularBundle()
  server = await startTestServer({
    MODEL_URI: bundle,
    MAX_ROWS: String(MAX_ROWS),
    MAX_BODY_BYTES: String(MAX_BODY),
    BATCH_MAX_WAIT_MS: '0',
  })
})

afterAll(async () => {
  await server?.shutdown()
  await rm(bundle, { recursive: true, force: true })
})

test('10,000 generated bad payloads: every one a 4xx with a message, never a 5xx or a crash', async () => {
  let sent = 0
  const statuses = new Map<number, number>()
  await fc.assert(
    fc.asyncProperty(fc.oneof(rowPayloads, structuralPayloads), async (request) => {
      const res = await post(`${server.url}${request.path}`, request.body, request.type)
      sent++
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
      const message = res.json?.error ?? res.json?.message
      return res.status >= 400 && res.status < 500 && typeof message === 'string' && message.length > 0
    }),
    { numRuns: 10_000, seed: 20261130 },
  )
  expect(sent).toBe(10_000)
  // Every class of refusal happened, and the server still answers good requests.
  expect([...statuses.keys()].sort()).toEqual([400, 413, 415])
  const ok = await post(
    `${server.url}/predict`,
    JSON.stringify({ age: 1, bmi: 2, visits: 3, ward: 'neuro', insulin: 'no' }),
    'application/json',
  )
  expect(ok.status).toBe(200)
  const metrics = (await get(`${server.url}/metrics`)).text
  expect(metrics).not.toMatch(/status="5\d\d"/)
})
