import { rm } from 'node:fs/promises'
import type { RunningServer } from '../src/server.js'
import { get, post, startTestServer } from './start-test-server.js'
import { tabularBundle } from './test-bundle.js'

const ROWS = [
  { age: 63, bmi: 31.2, visits: 3, ward: 'cardio', insulin: 'yes' },
  { age: 25, bmi: 22, visits: 0, ward: 'ortho', insulin: 'no' },
  { age: null, bmi: 27.5, visits: 1, ward: 'neuro', insulin: null },
]
const COLUMNS = ['age', 'bmi', 'visits', 'ward', 'insulin'] as const

let bundle: string
let server: RunningServer

beforeAll(async () => {
  bundle = await tabularBundle()
  server = await startTestServer({ MODEL_URI: bundle, MODEL_NAME: 'readmission', MODEL_VERSION: '3' })
})

afterAll(async () => {
  await server?.shutdown()
  await rm(bundle, { recursive: true, force: true })
})

describe('the three protocols answer the same request identically', () => {
  test('/predict, /invocations (four JSON formats and CSV) and /v2 infer', async () => {
    const { url } = server
    const predict = await post(`${url}/predict`, JSON.stringify(ROWS), 'application/json')
    expect(predict.status).toBe(200)
    expect(predict.json.model).toEqual({ name: 'readmission', version: '3' })
    const labels: string[] = predict.json.predictions.map((p: { prediction: string }) => p.prediction)
    const probabilities: number[][] = predict.json.predictions.map(
      (p: { probabilities: Record<string, number> }) => [p.probabilities.no, p.probabilities.yes],
    )
    for (const p of predict.json.predictions) {
      expect(p.confidence).toBe(Math.max(p.probabilities.no, p.probabilities.yes))
      expect(p.probabilities.no + p.probabilities.yes).toBeCloseTo(1, 5)
    }
    // The first patient is old, cardio, on insulin: the synthetic label rule says yes; the second says no.
    expect(labels.slice(0, 2)).toEqual(['yes', 'no'])

    const mlflowBodies = {
      dataframe_split: {
        dataframe_split: {
          columns: [...COLUMNS].reverse(),
          data: ROWS.map((r) => [...COLUMNS].reverse().map((c) => r[c])),
        },
      },
      dataframe_records: { dataframe_records: ROWS },
      instances: { instances: ROWS },
      inputs: {
        inputs: Object.fromEntries(COLUMNS.map((c) => [c, ROWS.map((r) => r[c])])),
        params: { unused: 1 },
      },
    }
    for (const [format, body] of Object.entries(mlflowBodies)) {
      const res = await post(`${url}/invocations`, JSON.stringify(body), 'application/json; charset=utf-8')
      expect([format, res.status]).toEqual([format, 200])
      expect(res.json.predictions.map((p: { label: string }) => p.label)).toEqual(labels)
      expect(res.json.predictions.map((p: { probabilities: number[] }) => p.probabilities)).toEqual(
        probabilities,
      )
    }
    const csv =
      'ward,age,bmi,visits,insulin\n' +
      ROWS.map((r) => [r.ward, r.age ?? '', r.bmi, r.visits, r.insulin ?? ''].join(',')).join('\r\n') +
      '\n'
    const fromCsv = await post(`${url}/invocations`, csv, 'text/csv')
    expect(fromCsv.status).toBe(200)
    expect(fromCsv.json.predictions.map((p: { probabilities: number[] }) => p.probabilities)).toEqual(
      probabilities,
    )

    const v2 = await post(
      `${url}/v2/models/readmission/versions/3/infer`,
      JSON.stringify({
        id: 'req-1',
        inputs: COLUMNS.map((name) => ({
          name,
          shape: [3, 1],
          datatype: name === 'ward' || name === 'insulin' ? 'BYTES' : 'FP32',
          data: ROWS.map((r) => (name === 'ward' || name === 'insulin' ? (r[name] ?? '') : r[name])),
        })),
      }),
      'application/json',
    )
    expect(v2.status).toBe(200)
    expect(v2.json.model_name).toBe('readmission')
    expect(v2.json.model_version).toBe('3')
    expect(v2.json.id).toBe('req-1')
    const [label, probs] = v2.json.outputs
    expect(label).toEqual({ name: 'label', datatype: 'BYTES', shape: [3], data: labels })
    expect(probs.name).toBe('probabilities')
    expect(probs.shape).toEqual([3, 2])
    expect(probs.data).toEqual(probabilities.flat())
  })

  test('a single row, a positional array and OIP output selection', async () => {
    const { url } = server
    const one = await post(`${url}/predict`, JSON.stringify(ROWS[0]), 'application/json')
    expect(one.status).toBe(200)
    expect(Object.keys(one.json).sort()).toEqual(['confidence', 'model', 'prediction', 'probabilities'])
    const positional = await post(
      `${url}/predict`,
      JSON.stringify(COLUMNS.map((c) => ROWS[0]![c])),
      'application/json',
    )
    expect(positional.json.probabilities).toEqual(one.json.probabilities)
    const onlyLabel = await post(
      `${url}/v2/models/readmission/infer`,
      JSON.stringify({
        inputs: COLUMNS.map((name) => ({
          name,
          shape: [1],
          datatype: name === 'ward' || name === 'insulin' ? 'BYTES' : 'FP64',
          data: [ROWS[0]![name]],
        })),
        outputs: [{ name: 'label' }],
      }),
      'application/json',
    )
    expect(onlyLabel.status).toBe(200)
    expect(onlyLabel.json.outputs).toEqual([
      { name: 'label', datatype: 'BYTES', shape: [1], data: [one.json.prediction] },
    ])
    expect(typeof onlyLabel.json.id).toBe('string')
  })
})

describe('health, metadata and errors', () => {
  test('health and metadata endpoints', async () => {
    const { url } = server
    expect(await get(`${url}/v2/health/live`)).toMatchObject({ status: 200, json: { live: true } })
    expect(await get(`${url}/healthz`)).toMatchObject({ status: 200 })
    expect(await get(`${url}/v2/health/ready`)).toMatchObject({ status: 200, json: { ready: true } })
    expect((await get(`${url}/ping`)).status).toBe(200)
    expect((await get(`${url}/health`)).status).toBe(200)
    const version = await get(`${url}/version`)
    expect(version.json.model).toMatchObject({ name: 'readmission', version: '3' })
    expect(version.json.model.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect((await get(`${url}/v2`)).json).toMatchObject({ name: 'mlops-serve', extensions: [] })
    const metadata = await get(`${url}/v2/models/readmission`)
    expect(metadata.json).toMatchObject({
      name: 'readmission',
      versions: ['3'],
      platform: 'onnxruntime_onnx',
    })
    expect(metadata.json.inputs).toContainEqual({ name: 'ward', datatype: 'BYTES', shape: [-1, 1] })
    expect(metadata.json.inputs).toContainEqual({ name: 'age', datatype: 'FP32', shape: [-1, 1] })
    expect(metadata.json.outputs).toEqual([
      { name: 'label', datatype: 'BYTES', shape: [-1] },
      { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
    ])
    expect((await get(`${url}/v2/models/readmission/versions/3`)).status).toBe(200)
    expect(await get(`${url}/v2/models/readmission/ready`)).toMatchObject({
      status: 200,
      json: { name: 'readmission', ready: true },
    })
    expect((await get(`${url}/v2/models/other`)).json.error).toMatch("model 'other' is not served here")
    expect((await get(`${url}/v2/models/readmission/versions/9`)).status).toBe(404)
  })

  test('wrong content types are 415 and bad payloads 400 with the problem named', async () => {
    const { url } = server
    const cases: Array<[string, string, string | undefined, number, RegExp]> = [
      ['/invocations', 'a=1', 'application/x-www-form-urlencoded', 415, /application\/json or text\/csv/],
      ['/invocations', '{}', 'text/plain', 415, /got 'text\/plain'/],
      ['/predict', '{}', 'text/csv', 415, /application\/json/],
      ['/v2/models/readmission/infer', '{}', 'text/plain', 415, /application\/json/],
      ['/invocations', '{"dataframe_records": [', 'application/json', 400, /not valid JSON/],
      ['/invocations', '{}', 'application/json', 400, /needs one of dataframe_split/],
      [
        '/invocations',
        JSON.stringify({ instances: ROWS, inputs: ROWS }),
        'application/json',
        400,
        /exactly one/,
      ],
      [
        '/invocations',
        JSON.stringify({ dataframe_records: [{ ...ROWS[0], age: 'old' }] }),
        'application/json',
        400,
        /dataframe_records\[0\]: column 'age' must be a number or null, got string "old"/,
      ],
      [
        '/invocations',
        JSON.stringify({ dataframe_records: [{ age: 1 }] }),
        'application/json',
        400,
        /missing columns 'bmi', 'visits'/,
      ],
      [
        '/invocations',
        JSON.stringify({ dataframe_records: [{ ...ROWS[0], extra: 1 }] }),
        'application/json',
        400,
        /unknown column 'extra'/,
      ],
      [
        '/invocations',
        'age,bmi\n1,2\n',
        'text/csv',
        400,
        /CSV header is missing column\(s\) visits, ward, insulin/,
      ],
      [
        '/invocations',
        'age,bmi,visits,ward,insulin\nx,2,3,cardio,no\n',
        'text/csv',
        400,
        /CSV line 2, column 'age': 'x' is not a number/,
      ],
      [
        '/predict',
        JSON.stringify(ROWS[0]).replace('31.2', '1e400'),
        'application/json',
        400,
        /column 'bmi' must be a finite number, got Infinity/,
      ],
      ['/predict', JSON.stringify([1, 2]), 'application/json', 400, /has 2 values; the model takes 5/],
      ['/predict', '', 'application/json', 400, /empty/],
      [
        '/v2/models/readmission/infer',
        JSON.stringify({ inputs: [{ name: 'age', shape: [2], datatype: 'FP32', data: [1] }] }),
        'application/json',
        400,
        /needs 2 values, data has 1/,
      ],
      [
        '/v2/models/readmission/infer',
        JSON.stringify({ inputs: [{ name: 'ward', shape: [1], datatype: 'FP32', data: [1] }] }),
        'application/json',
        400,
        /datatype must be BYTES/,
      ],
    ]
    for (const [path, body, type, status, message] of cases) {
      const res = await post(`${url}${path}`, body, type)
      expect([path, body.slice(0, 60), res.status]).toEqual([path, body.slice(0, 60), status])
      const text = res.json?.message ?? res.json?.error
      expect(text).toMatch(message)
    }
    const mlflowError = await post(`${url}/invocations`, '{}', 'application/json')
    expect(mlflowError.json.error_code).toBe('BAD_REQUEST')
  })

  test('oversized bodies are 413 and too many rows are refused', async () => {
    const small = await startTestServer({ MODEL_URI: bundle, MAX_BODY_BYTES: '2048', MAX_ROWS: '10' })
    try {
      const big = await post(
        `${small.url}/predict`,
        JSON.stringify(Array(200).fill(ROWS[0])),
        'application/json',
      )
      expect(big.status).toBe(413)
      expect(big.json.error).toMatch(/over the 2048-byte limit/)
      const many = await post(
        `${small.url}/predict`,
        JSON.stringify(Array(11).fill([1, 2, 3, 'a', 'b'])),
        'application/json',
      )
      expect(many.status).toBe(413)
      expect(many.json.error).toMatch(/11 rows; at most 10/)
    } finally {
      await small.shutdown()
    }
  })
})
