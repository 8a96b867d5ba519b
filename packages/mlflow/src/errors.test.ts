import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startFakeMlflowServer, type FakeMlflowServer } from './__fixtures__/fake-mlflow-server.js'
import { CONNECTION_FAILED, MlflowError } from './errors.js'
import { RestStore } from './rest-store.js'

const noSleep = async (): Promise<void> => {}
const TOKEN = 'tok_s3cr3t_value_123456'

/** Everything an error could leak through: message, stack, own fields, and its causes. */
function everything(error: unknown): string {
  const parts: string[] = []
  let current: unknown = error
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    parts.push(String(current), (current as Error).stack ?? '', JSON.stringify(current))
    current = (current as { cause?: unknown }).cause
  }
  return parts.join('\n')
}

async function failure(promise: Promise<unknown>): Promise<MlflowError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(MlflowError)
  return error as MlflowError
}

describe('errors say what to do', () => {
  let running: FakeMlflowServer | undefined
  const start = async (options?: Parameters<typeof startFakeMlflowServer>[0]): Promise<FakeMlflowServer> =>
    (running = await startFakeMlflowServer(options))
  afterEach(async () => {
    await running?.close()
    running = undefined
  })

  test('401 without credentials names both ways to authenticate', async () => {
    const server = await start({ token: TOKEN })
    const error = await failure(new RestStore({ trackingUri: server.url }).getExperiment('0'))
    expect(error.status).toBe(401)
    expect(error.message).toContain(server.url)
    expect(error.message).toContain('MLFLOW_TRACKING_TOKEN')
    expect(error.message).toMatch(/MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD/)
  })

  test('a refused token is named by its variable and never printed', async () => {
    const server = await start({ token: `${TOKEN}-other` })
    const store = new RestStore({ trackingUri: server.url, auth: { kind: 'bearer', token: TOKEN } })
    const error = await failure(store.getExperiment('0'))
    expect(error.status).toBe(401)
    expect(error.message).toContain('MLFLOW_TRACKING_TOKEN')
    expect(everything(error)).not.toContain(TOKEN)
    // It was sent, as a Bearer header.
    expect(server.requests[0]?.authorization).toBe(`Bearer ${TOKEN}`)
  })

  test('the right token works', async () => {
    const server = await start({ token: TOKEN })
    const store = new RestStore({ trackingUri: server.url, auth: { kind: 'bearer', token: TOKEN } })
    expect((await store.getExperiment('0')).name).toBe('Default')
  })

  test('basic auth: a wrong password names the user and the variables, not the password', async () => {
    const server = await start({ basic: { username: 'alice', password: 'right-password' } })
    const wrong = new RestStore({
      trackingUri: server.url,
      auth: { kind: 'basic', username: 'alice', password: 'wrong-password' },
    })
    const error = await failure(wrong.getExperiment('0'))
    expect(error.message).toContain('MLFLOW_TRACKING_USERNAME')
    expect(error.message).toContain('MLFLOW_TRACKING_PASSWORD')
    expect(error.message).toContain('alice')
    expect(everything(error)).not.toContain('wrong-password')
    const right = new RestStore({
      trackingUri: server.url,
      auth: { kind: 'basic', username: 'alice', password: 'right-password' },
    })
    expect((await right.getExperiment('0')).experimentId).toBe('0')
  })

  test('403 on an experiment says the account lacks permission and what to ask for', async () => {
    const server = await start({
      basic: { username: 'reader', password: 'pw-123456' },
      forbid: ({ method, path }) => method === 'POST' && path.endsWith('/runs/create'),
    })
    const store = new RestStore({
      trackingUri: server.url,
      auth: { kind: 'basic', username: 'reader', password: 'pw-123456' },
    })
    const error = await failure(store.createRun({ experimentId: '0' }))
    expect(error.status).toBe(403)
    expect(error.message).toContain("experiment '0'")
    expect(error.message).toMatch(/permission/i)
    expect(error.message).toContain("'reader' (MLFLOW_TRACKING_USERNAME)")
    expect(everything(error)).not.toContain('pw-123456')
  })

  test('a server that echoes the token back has it removed from the message', async () => {
    const server = await start()
    server.inject({
      path: '/experiments/get',
      status: 400,
      contentType: 'application/json',
      body: JSON.stringify({ error_code: 'INVALID_PARAMETER_VALUE', message: `bad header Bearer ${TOKEN}` }),
    })
    const store = new RestStore({ trackingUri: server.url, auth: { kind: 'bearer', token: TOKEN } })
    const error = await failure(store.getExperiment('0'))
    expect(error.message).toContain('***')
    expect(everything(error)).not.toContain(TOKEN)
  })

  test('connection refused names the URL and MLFLOW_TRACKING_URI, after retrying', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const sleeps: number[] = []
    const store = new RestStore({
      trackingUri: url,
      retry: { attempts: 3, sleep: async (ms) => void sleeps.push(ms) },
    })
    const error = await failure(store.getOrCreateExperiment('x'))
    expect(error.errorCode).toBe(CONNECTION_FAILED)
    expect(error.status).toBeUndefined()
    expect(error.message).toContain(url)
    expect(error.message).toContain('MLFLOW_TRACKING_URI')
    expect(error.message).toContain('connection refused')
    expect(sleeps).toHaveLength(2)
  })

  test('an HTML 500 page is reported as text, not as broken JSON', async () => {
    const server = await start()
    server.inject({ path: '/experiments/get', times: 10 })
    const store = new RestStore({ trackingUri: server.url, retry: { sleep: noSleep, attempts: 2 } })
    const error = await failure(store.getExperiment('0'))
    expect(error.status).toBe(500)
    expect(error.message).toContain('Internal Server Error')
    expect(error.message).not.toMatch(/[<>]/)
    expect(error.message).not.toMatch(/JSON/)
  })

  test('malformed JSON sent to the server comes back as an HTML 500 that the client reads as text', async () => {
    const server = await start()
    const response = await fetch(`${server.url}/api/2.0/mlflow/experiments/create`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"name": ',
    })
    expect(response.status).toBe(500)
    expect(response.headers.get('content-type')).toContain('text/html')
  })

  test('a tracking URI with a wrong path prefix is called out', async () => {
    const server = await start()
    const store = new RestStore({ trackingUri: `${server.url}/mlflow-ui`, retry: { sleep: noSleep } })
    const error = await failure(store.getExperiment('0'))
    expect(error.status).toBe(404)
    expect(error.message).toContain('MLFLOW_TRACKING_URI')
    expect(error.message).toContain('/mlflow-ui/api/2.0/mlflow/experiments/get')
  })

  test('a login page answered with 200 is not taken for data', async () => {
    const server = await start()
    server.inject({
      path: '/experiments/get',
      status: 200,
      body: '<html><body>Sign in with SSO</body></html>',
    })
    const error = await failure(new RestStore({ trackingUri: server.url }).getExperiment('0'))
    expect(error.message).toContain('Sign in with SSO')
    expect(error.message).toContain('MLFLOW_TRACKING_URI')
  })

  test('fields a newer server adds are ignored', async () => {
    const server = await start()
    server.inject({
      path: '/experiments/get',
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({
        experiment: {
          experiment_id: '0',
          name: 'Default',
          artifact_location: 'mlflow-artifacts:/0',
          lifecycle_stage: 'active',
          creation_time: '1700000000000',
          workspace: { id: 7 },
          tags: [{ key: 'a', value: 'b', origin: 'ui' }],
        },
        request_id: 'abc',
      }),
    })
    const experiment = await new RestStore({ trackingUri: server.url }).getExperiment('0')
    expect(experiment).toMatchObject({
      experimentId: '0',
      name: 'Default',
      creationTime: 1_700_000_000_000,
      tags: { a: 'b' },
    })
  })
})
