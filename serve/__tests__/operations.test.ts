import { createRequire } from 'node:module'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readConfig } from '../src/config.js'
import { loadModel, type LoadedModel } from '../src/model/load-model.js'
import { silentLogger } from '../src/observability/json-log.js'
import { startServer } from '../src/server.js'
import { get, post, startTestServer, type Json } from './start-test-server.js'
import { imageBundle, imageTensorBundle, syntheticTable, tabularBundle } from './test-bundle.js'

let bundle: string
const cleanup: string[] = []

beforeAll(async () => {
  bundle = await tabularBundle()
  cleanup.push(bundle)
})

afterAll(async () => {
  for (const dir of cleanup) await rm(dir, { recursive: true, force: true })
})

const ROW = { age: 63, bmi: 31.2, visits: 3, ward: 'cardio', insulin: 'yes' }

/** Value of one sample line of the Prometheus text, matched on name and every given label. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      return Number(line.split(' ').at(-1))
  }
  return undefined
}

test('503 for inference and readiness until the model is loaded and warmed up', async () => {
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  const config = readConfig({ PORT: '0', HOST: '127.0.0.1', MODEL_URI: bundle, ORT_INTRA_OP_THREADS: '1' })
  const running = await startServer(config, {
    log: silentLogger,
    load: async (): Promise<LoadedModel> => {
      await gate
      return loadModel(config)
    },
  })
  try {
    const { url } = running
    expect((await get(`${url}/v2/health/live`)).status).toBe(200)
    expect(await get(`${url}/v2/health/ready`)).toMatchObject({ status: 503, json: { ready: false } })
    expect((await get(`${url}/ping`)).status).toBe(503)
    const early = await post(`${url}/predict`, JSON.stringify(ROW), 'application/json')
    expect(early.status).toBe(503)
    expect(early.json.error).toMatch(/not ready/)
    const earlyMlflow = await post(
      `${url}/invocations`,
      JSON.stringify({ instances: [ROW] }),
      'application/json',
    )
    expect(earlyMlflow.json.error_code).toBe('SERVICE_UNAVAILABLE')
    expect((await get(`${url}/v2/models/model/ready`)).status).toBe(503)
    release()
    await running.loaded
    expect(await get(`${url}/v2/health/ready`)).toMatchObject({ status: 200, json: { ready: true } })
    expect((await post(`${url}/predict`, JSON.stringify(ROW), 'application/json')).status).toBe(200)
  } finally {
    release()
    await running.shutdown()
  }
})

test('a bundle that cannot load keeps the server up and not ready', async () => {
  const running = await startTestServer({ MODEL_URI: join(tmpdir(), 'no-such-bundle-here') })
  try {
    expect((await get(`${running.url}/v2/health/live`)).status).toBe(200)
    expect((await get(`${running.url}/v2/health/ready`)).status).toBe(503)
    expect((await post(`${running.url}/predict`, JSON.stringify(ROW), 'application/json')).status).toBe(503)
  } finally {
    await running.shutdown()
  }
})

test('metrics carry route patterns and model labels; concurrent single rows are merged into batches', async () => {
  const running = await startTestServer({
    MODEL_URI: bundle,
    MODEL_NAME: 'readmission',
    MODEL_VERSION: '7',
    BATCH_MAX_WAIT_MS: '25',
    BATCH_MAX_SIZE: '64',
  })
  try {
    const { url } = running
    const answers = await Promise.all(
      Array.from({ length: 48 }, () => post(`${url}/predict`, JSON.stringify(ROW), 'application/json')),
    )
    expect(answers.every((a) => a.status === 200)).toBe(true)
    const infer = await post(
      `${url}/v2/models/readmission/infer`,
      JSON.stringify({ inputs: [{ name: 'age', shape: [1], datatype: 'FP32', data: [1] }] }),
      'application/json',
    )
    expect(infer.status).toBe(400)
    const text = (await get(`${url}/metrics`)).text
    const model = { model: 'readmission', version: '7' }
    expect(sample(text, 'http_requests_total', { route: '/predict', method: 'POST', status: '200' })).toBe(48)
    expect(sample(text, 'http_requests_total', { route: '/v2/models/:model/infer', status: '400' })).toBe(1)
    expect(sample(text, 'http_request_duration_seconds_bucket', { route: '/predict', le: '+Inf' })).toBe(48)
    expect(sample(text, 'http_requests_in_flight')).toBe(1) // the /metrics request itself
    expect(sample(text, 'model_predictions_total', { ...model, class: 'yes' })).toBe(48)
    expect(sample(text, 'model_info', { ...model })).toBe(1)
    expect(text).toMatch(/model_info\{model="readmission",version="7",digest="sha256:[0-9a-f]{64}"\} 1/)
    expect(sample(text, 'model_ready', model)).toBe(1)
    expect(sample(text, 'model_inference_total', { ...model, status: 'ok' })).toBeGreaterThan(0)
    expect(sample(text, 'model_inference_duration_seconds_count', model)).toBeGreaterThan(0)
    expect(text).toMatch(/process_resident_memory_bytes \d+/)
    expect(text).toMatch(/nodejs_eventloop_lag_seconds/)
    // 48 rows in far fewer session.run calls: the batcher merged concurrent requests.
    const runs = sample(text, 'model_batch_size_count', model)!
    expect(sample(text, 'model_batch_size_sum', model)).toBe(48)
    expect(runs).toBeLessThanOrEqual(12)
    expect(sample(text, 'model_batch_size_bucket', { ...model, le: '2' })!).toBeLessThan(runs)
  } finally {
    await running.shutdown()
  }
})

test('without batching every request is its own session.run', async () => {
  const running = await startTestServer({ MODEL_URI: bundle, BATCH_MAX_SIZE: '1' })
  try {
    await Promise.all(
      Array.from({ length: 20 }, () =>
        post(`${running.url}/predict`, JSON.stringify(ROW), 'application/json'),
      ),
    )
    const text = (await get(`${running.url}/metrics`)).text
    expect(sample(text, 'model_batch_size_count', { model: 'model' })).toBe(20)
    expect(sample(text, 'model_batch_size_bucket', { le: '1' })).toBe(20)
  } finally {
    await running.shutdown()
  }
})

test('the prediction log writes one JSON line per row, rotated by size', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'serve-predlog-'))
  cleanup.push(dir)
  const running = await startTestServer({
    MODEL_URI: bundle,
    MODEL_NAME: 'readmission',
    MODEL_VERSION: '3',
    PREDICTION_LOG_DIR: dir,
    PREDICTION_LOG_MAX_BYTES: '2048',
  })
  const ids: string[] = []
  for (let i = 0; i < 15; i++) {
    const res = await post(
      `${running.url}/predict`,
      JSON.stringify([ROW, { ...ROW, age: null, insulin: null }]),
      'application/json',
    )
    expect(res.status).toBe(200)
    ids.push(res.headers.get('x-request-id')!)
  }
  await running.shutdown()
  const files = (await readdir(dir)).sort()
  expect(files.length).toBeGreaterThan(3)
  for (const file of files) expect(file).toMatch(/^predictions-\d{8}-\d{6}-\d+\.jsonl$/)
  const lines: Json[] = []
  for (const file of files) {
    const text = await readFile(join(dir, file), 'utf8')
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(2048)
    lines.push(
      ...text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    )
  }
  expect(lines).toHaveLength(30)
  expect(new Set(lines.map((l) => l.request_id))).toEqual(new Set(ids))
  expect(lines[0]).toMatchObject({
    model: { name: 'readmission', version: '3' },
    inputs: ROW,
    outputs: { prediction: 'yes' },
  })
  expect(lines[1].inputs).toEqual({ ...ROW, age: null, insulin: null })
  expect(Object.keys(lines[0].outputs.probabilities)).toEqual(['no', 'yes'])
  expect(typeof lines[0].latency_ms).toBe('number')
  expect(new Date(lines[0].ts).toISOString()).toBe(lines[0].ts)
})

test('live drift gauges compare the recent window with reference.json', async () => {
  const running = await startTestServer({ MODEL_URI: bundle, DRIFT_WINDOW: '300', DRIFT_INTERVAL_MS: '100' })
  try {
    // 300 rows where only age moved (+30 years): age must drift, bmi must not.
    const table = syntheticTable(300, 99, 1)
    const names = ['age', 'bmi', 'visits', 'ward', 'insulin']
    const rows = Array.from({ length: 300 }, (_, r) =>
      Object.fromEntries(names.map((n) => [n, table.find((c) => c.name === n)!.values[r]])),
    )
    expect((await post(`${running.url}/predict`, JSON.stringify(rows), 'application/json')).status).toBe(200)
    await new Promise((r) => setTimeout(r, 400))
    const text = (await get(`${running.url}/metrics`)).text
    expect(sample(text, 'model_drift_window_rows')).toBe(300)
    expect(sample(text, 'model_feature_drifted', { feature: 'age' })).toBe(1)
    expect(sample(text, 'model_feature_drifted', { feature: 'bmi' })).toBe(0)
    expect(sample(text, 'model_feature_drift_score', { feature: 'age', method: 'ks' })).toBeLessThan(0.05)
    expect(sample(text, 'model_feature_drift_threshold', { feature: 'age', method: 'ks' })).toBe(0.05)
    expect(sample(text, 'model_drift_share')).toBeCloseTo(0.2, 5)
    expect(sample(text, 'model_dataset_drift')).toBe(0)
  } finally {
    await running.shutdown()
  }
})

test('a bundle without reference.json exposes no drift series', async () => {
  const plain = await tabularBundle({ reference: false })
  cleanup.push(plain)
  const running = await startTestServer({ MODEL_URI: plain, DRIFT_INTERVAL_MS: '100' })
  try {
    await post(`${running.url}/predict`, JSON.stringify(ROW), 'application/json')
    await new Promise((r) => setTimeout(r, 250))
    const text = (await get(`${running.url}/metrics`)).text
    expect(text).not.toMatch(/^model_feature_drift_score\{/m)
    expect(text).not.toMatch(/^model_drift_window_rows\{/m)
  } finally {
    await running.shutdown()
  }
})

describe('image models', () => {
  const fromData = createRequire(createRequire(import.meta.url).resolve('@mlops/data'))
  const { PNG } = fromData('pngjs')
  const jpeg = fromData('jpeg-js')

  /** A 32x32 RGB picture bright in its top or bottom half (the model sees it resampled to 8x8). */
  function picture(top: boolean): { width: number; height: number; data: Buffer } {
    const data = Buffer.alloc(32 * 32 * 4)
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) {
        const v = y < 16 === top ? 220 : 40
        data.set([v, v, v, 255], (y * 32 + x) * 4)
      }
    return { width: 32, height: 32, data }
  }

  test('PNG and JPEG uploads on /predict; other uploads are refused', async () => {
    const dir = await imageBundle()
    cleanup.push(dir)
    const running = await startTestServer({ MODEL_URI: dir })
    try {
      const upload = (bytes: Uint8Array, type: string) => {
        const form = new FormData()
        form.append('image', new Blob([bytes], { type }), 'upload')
        return fetch(`${running.url}/predict`, { method: 'POST', body: form }).then(async (r) => ({
          status: r.status,
          json: (await r.json()) as Json,
        }))
      }
      const topPng = PNG.sync.write(Object.assign(new PNG({ width: 32, height: 32 }), picture(true)))
      const bottomJpeg = jpeg.encode(picture(false), 95).data
      expect(await upload(topPng, 'image/png')).toMatchObject({ status: 200, json: { prediction: 'top' } })
      const bottom = await upload(bottomJpeg, 'image/jpeg')
      expect(bottom).toMatchObject({ status: 200, json: { prediction: 'bottom' } })
      expect(bottom.json.confidence).toBeGreaterThan(0.9)
      const text = await upload(Buffer.from('hello, not an image'), 'text/plain')
      expect(text).toEqual({ status: 415, json: { error: 'the upload is not a PNG or JPEG image' } })
      const broken = await upload(Buffer.concat([topPng.subarray(0, 40), Buffer.alloc(20)]), 'image/png')
      expect(broken.status).toBe(400)
      expect(broken.json.error).toMatch(/PNG upload could not be decoded/)
      // A flat pixel array works on the same model.
      const flat = await post(
        `${running.url}/predict`,
        JSON.stringify(Array.from({ length: 64 }, (_, p) => (p < 32 ? 220 : 40))),
        'application/json',
      )
      expect(flat.json.prediction).toBe('top')
    } finally {
      await running.shutdown()
    }
  })

  test('a model taking an image tensor: uploads, OIP image tensors and MLflow nested instances', async () => {
    const dir = await imageTensorBundle()
    cleanup.push(dir)
    const logs = await mkdtemp(join(tmpdir(), 'serve-image-log-'))
    cleanup.push(logs)
    const running = await startTestServer({ MODEL_URI: dir, MODEL_NAME: 'halves', PREDICTION_LOG_DIR: logs })
    try {
      const { url } = running
      const form = new FormData()
      const png = PNG.sync.write(Object.assign(new PNG({ width: 32, height: 32 }), picture(false)))
      form.append('image', new Blob([png], { type: 'image/png' }), 'bottom.png')
      const uploaded = await fetch(`${url}/predict`, { method: 'POST', body: form })
      expect(uploaded.status).toBe(200)
      expect(((await uploaded.json()) as Json).prediction).toBe('bottom')
      const metadata = await get(`${url}/v2/models/halves`)
      expect(metadata.json.inputs).toEqual([{ name: 'image', datatype: 'FP32', shape: [-1, 8, 8, 1] }])
      // Raw pixels as the bundle's scale expects them (0-255); top half bright.
      const nested = Array.from({ length: 8 }, (_, y) => Array.from({ length: 8 }, () => [y < 4 ? 230 : 20]))
      const infer = await post(
        `${url}/v2/models/halves/infer`,
        JSON.stringify({
          inputs: [{ name: 'image', shape: [1, 8, 8, 1], datatype: 'UINT8', data: nested.flat(2) }],
        }),
        'application/json',
      )
      expect(infer.status).toBe(200)
      expect(infer.json.outputs[0]).toEqual({ name: 'label', datatype: 'BYTES', shape: [1], data: ['top'] })
      const mlflow = await post(
        `${url}/invocations`,
        JSON.stringify({ instances: [nested] }),
        'application/json',
      )
      expect(mlflow.json.predictions[0].label).toBe('top')
      expect(mlflow.json.predictions[0].probabilities).toEqual(infer.json.outputs[1].data)
      const wrongShape = await post(
        `${url}/v2/models/halves/infer`,
        JSON.stringify({
          inputs: [{ name: 'image', shape: [1, 4, 4, 1], datatype: 'FP32', data: Array(16).fill(0) }],
        }),
        'application/json',
      )
      expect(wrongShape.status).toBe(400)
      expect(wrongShape.json.error).toMatch(/shape must be \[N, 8, 8, 1\], got \[1,4,4,1\]/)
    } finally {
      await running.shutdown()
    }
    const [file] = await readdir(logs)
    const first = JSON.parse((await readFile(join(logs, file!), 'utf8')).split('\n')[0]!)
    expect(first.inputs).toEqual({ image_shape: [8, 8, 1] })
    expect(first.outputs.prediction).toBe('bottom')
  })

  test('a tabular model refuses uploads with 415', async () => {
    const running = await startTestServer({ MODEL_URI: bundle })
    try {
      const form = new FormData()
      form.append('image', new Blob([Buffer.from('x')]), 'a.png')
      const res = await fetch(`${running.url}/predict`, { method: 'POST', body: form })
      expect(res.status).toBe(415)
      expect(((await res.json()) as Json).error).toMatch(/takes rows of 5 columns, not images/)
    } finally {
      await running.shutdown()
    }
  })
})
