// The double must refuse what the real server refuses (shared/reference/mlflow.md), or tests against it
// would pass for clients that fail in production.
import { request as httpRequest } from 'node:http'
import { startFakeMlflowServer, type FakeMlflowServer } from './fake-mlflow-server.js'

let server: FakeMlflowServer
beforeEach(async () => {
  server = await startFakeMlflowServer()
})
afterEach(() => server.close())

const api = (endpoint: string): string => `${server.url}/api/2.0/mlflow/${endpoint}`

async function post(endpoint: string, body: unknown, contentType: string | null = 'application/json') {
  const response = await fetch(api(endpoint), {
    method: 'POST',
    headers: contentType === null ? {} : { 'Content-Type': contentType },
    body: JSON.stringify(body),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

async function get(endpoint: string, query: Record<string, string>) {
  const response = await fetch(`${api(endpoint)}?${new URLSearchParams(query)}`)
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

async function newRun(): Promise<string> {
  const { body } = await post('runs/create', { experiment_id: '0', start_time: Date.now() })
  return String((body['run'] as { info: { run_id: string } }).info.run_id)
}

/** fetch normalizes `..` away, as browsers do; a raw request sends it as written. */
function rawRequest(method: string, path: string, body = ''): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.url)
    const req = httpRequest({ host: url.hostname, port: url.port, method, path }, (res) => {
      let text = ''
      res.on('data', (chunk: Buffer) => (text += chunk.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

test('health and version answer as plain text', async () => {
  expect(await (await fetch(`${server.url}/health`)).text()).toBe('OK')
  expect(await (await fetch(`${server.url}/version`)).text()).toMatch(/^\d+\.\d+\.\d+$/)
})

test('a POST without Content-Type: application/json is 400 INVALID_PARAMETER_VALUE', async () => {
  for (const contentType of [null, 'text/plain']) {
    const answer = await post('experiments/create', { name: 'x' }, contentType)
    expect(answer.status).toBe(400)
    expect(answer.body['error_code']).toBe('INVALID_PARAMETER_VALUE')
    expect(typeof answer.body['message']).toBe('string')
  }
  expect((await get('experiments/get-by-name', { experiment_name: 'x' })).status).toBe(404)
})

test('ids are strings, and a duplicate experiment is 400 RESOURCE_ALREADY_EXISTS', async () => {
  const created = await post('experiments/create', { name: 'dup' })
  expect(created.status).toBe(200)
  expect(typeof created.body['experiment_id']).toBe('string')
  const again = await post('experiments/create', { name: 'dup' })
  expect(again).toMatchObject({ status: 400, body: { error_code: 'RESOURCE_ALREADY_EXISTS' } })
  const missing = await get('experiments/get-by-name', { experiment_name: 'none' })
  expect(missing).toMatchObject({ status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST' } })
})

test('runs: RUNNING with an mlflow-artifacts root, runName tag added, user_id not taken from mlflow.user', async () => {
  const { body } = await post('runs/create', {
    experiment_id: '0',
    run_name: 'r',
    start_time: 1,
    tags: [{ key: 'mlflow.user', value: 'bob' }],
  })
  const run = body['run'] as {
    info: Record<string, unknown>
    data: { tags: { key: string; value: string }[] }
  }
  expect(run.info['status']).toBe('RUNNING')
  expect(run.info['artifact_uri']).toBe(`mlflow-artifacts:/0/${String(run.info['run_id'])}/artifacts`)
  expect(run.info['user_id'] ?? '').toBe('')
  expect(run.data.tags).toContainEqual({ key: 'mlflow.runName', value: 'r' })
})

test('log-batch: a metric without timestamp is 400; step defaults to 0; limits are enforced', async () => {
  const runId = await newRun()
  const noTimestamp = await post('runs/log-batch', { run_id: runId, metrics: [{ key: 'm', value: 1 }] })
  expect(noTimestamp).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } })
  expect(
    (await post('runs/log-batch', { run_id: runId, metrics: [{ key: 'm', value: 1, timestamp: 5 }] })).status,
  ).toBe(200)
  const history = await get('metrics/get-history', { run_id: runId, metric_key: 'm' })
  expect(history.body['metrics']).toEqual([{ key: 'm', value: 1, timestamp: 5, step: 0 }])
  const tooMany = Array.from({ length: 1001 }, (_, i) => ({ key: 'm', value: i, timestamp: i }))
  expect((await post('runs/log-batch', { run_id: runId, metrics: tooMany })).status).toBe(400)
  const tooManyParams = Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'v' }))
  expect((await post('runs/log-batch', { run_id: runId, params: tooManyParams })).status).toBe(400)
  const huge = Array.from({ length: 100 }, (_, i) => ({ key: `t${i}`, value: 'x'.repeat(11_000) }))
  expect((await post('runs/log-batch', { run_id: runId, tags: huge })).status).toBe(400)
  expect((await post('runs/log-batch', { run_id: 'nope', metrics: [] })).status).toBe(404)
})

test('a param is write-once: same value fine, a changed value 400', async () => {
  const runId = await newRun()
  const log = (value: string) => post('runs/log-batch', { run_id: runId, params: [{ key: 'lr', value }] })
  expect((await log('0.1')).status).toBe(200)
  expect((await log('0.1')).status).toBe(200)
  expect(await log('0.2')).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } })
})

test('".." in an artifact path is 400 "Invalid path", in the URL and in a query', async () => {
  const runId = await newRun()
  const put = await rawRequest(
    'PUT',
    `/api/2.0/mlflow-artifacts/artifacts/0/${runId}/artifacts/../../escape`,
    'x',
  )
  expect(put.status).toBe(400)
  expect(JSON.parse(put.text)).toMatchObject({
    error_code: 'INVALID_PARAMETER_VALUE',
    message: 'Invalid path',
  })
  const list = await get('artifacts/list', { run_id: runId, path: '../other' })
  expect(list).toMatchObject({ status: 400, body: { message: 'Invalid path' } })
  const mpu = await rawRequest('POST', '/api/2.0/mlflow-artifacts/mpu/create/0/../x', '{}')
  expect(mpu.status).toBe(400)
})

test('registry: string versions, duplicate model 400, unknown alias 400 (not 404), reserved alias 400', async () => {
  const runId = await newRun()
  expect((await post('registered-models/create', { name: 'm' })).status).toBe(200)
  expect(await post('registered-models/create', { name: 'm' })).toMatchObject({
    status: 400,
    body: { error_code: 'RESOURCE_ALREADY_EXISTS' },
  })
  const created = await post('model-versions/create', {
    name: 'm',
    source: `runs:/${runId}/model`,
    run_id: runId,
  })
  const version = (created.body['model_version'] as Record<string, unknown>)['version']
  expect(version).toBe('1')
  const unknown = await get('registered-models/alias', { name: 'm', alias: 'nobody' })
  expect(unknown).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } })
  for (const alias of ['latest', 'v1']) {
    expect((await post('registered-models/alias', { name: 'm', alias, version: '1' })).status).toBe(400)
  }
  expect((await post('registered-models/alias', { name: 'm', alias: 'champion', version: '1' })).status).toBe(
    200,
  )
  expect((await get('registered-models/alias', { name: 'm', alias: 'champion' })).status).toBe(200)
  expect((await get('model-versions/get', { name: 'm', version: '7' })).status).toBe(404)
  expect((await get('registered-models/get', { name: 'nope' })).status).toBe(404)
})

test('a new version is PENDING_REGISTRATION at first, then READY', async () => {
  const runId = await newRun()
  await post('registered-models/create', { name: 'p' })
  const created = await post('model-versions/create', { name: 'p', source: `runs:/${runId}/model` })
  expect((created.body['model_version'] as Record<string, unknown>)['status']).toBe('PENDING_REGISTRATION')
  const statuses: unknown[] = []
  for (let i = 0; i < 3; i++) {
    const { body } = await get('model-versions/get', { name: 'p', version: '1' })
    statuses.push((body['model_version'] as Record<string, unknown>)['status'])
  }
  expect(statuses[0]).toBe('PENDING_REGISTRATION')
  expect(statuses[statuses.length - 1]).toBe('READY')
  const uri = await get('model-versions/get-download-uri', { name: 'p', version: '1' })
  expect(uri.body['artifact_uri']).toBe(`mlflow-artifacts:/0/${runId}/artifacts/model`)
})

test('model version sources: local paths, file:// and ".." are refused', async () => {
  await post('registered-models/create', { name: 's' })
  for (const source of ['/tmp/model', 'file:///tmp/model', 'mlflow-artifacts:/0/../x']) {
    expect(await post('model-versions/create', { name: 's', source })).toMatchObject({
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE' },
    })
  }
  expect((await post('model-versions/create', { name: 's', source: 's3://bucket/model' })).status).toBe(200)
})

test('injected failures hit the Nth matching request only', async () => {
  server.inject({ path: '/experiments/get', skip: 1, times: 1, status: 503 })
  const statuses = []
  for (let i = 0; i < 3; i++) statuses.push((await fetch(`${api('experiments/get')}?experiment_id=0`)).status)
  expect(statuses).toEqual([200, 503, 200])
})
