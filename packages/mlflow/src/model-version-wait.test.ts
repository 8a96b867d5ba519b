import {
  startFakeMlflowServer,
  type FakeMlflowServer,
  type FakeMlflowOptions,
} from './__fixtures__/fake-mlflow-server.js'
import { DEADLINE_EXCEEDED, MODEL_REGISTRATION_FAILED } from './errors.js'
import { RestStore } from './rest-store.js'

describe('waiting for a model version to be READY', () => {
  let server: FakeMlflowServer
  let clock: number
  let sleeps: number[]

  async function setUp(options: FakeMlflowOptions): Promise<{ store: RestStore; source: string }> {
    server = await startFakeMlflowServer(options)
    clock = 0
    sleeps = []
    const store = new RestStore({
      trackingUri: server.url,
      poll: {
        intervalMs: 100,
        maxIntervalMs: 400,
        now: () => clock,
        sleep: async (ms) => {
          sleeps.push(ms)
          clock += ms
        },
      },
    })
    const run = await store.createRun({ experimentId: '0' })
    await store.getOrCreateRegisteredModel('m')
    return { store, source: `runs:/${run.info.runId}/model` }
  }

  afterEach(() => server.close())

  const gets = (): number => server.requests.filter((r) => r.path.endsWith('/model-versions/get')).length

  test('polls through PENDING_REGISTRATION with growing, capped intervals', async () => {
    const pending = 4
    const { store, source } = await setUp({ pendingGets: pending })
    const version = await store.createModelVersion({ name: 'm', source })
    expect(version.status).toBe('READY')
    expect(gets()).toBe(pending + 1)
    expect(sleeps).toHaveLength(pending + 1)
    for (let i = 1; i < sleeps.length; i++) expect(sleeps[i]).toBeGreaterThanOrEqual(sleeps[i - 1]!)
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(400)
  })

  test('FAILED_REGISTRATION is an error with the server status message', async () => {
    const { store, source } = await setUp({ pendingGets: 0, failRegistration: true })
    await expect(store.createModelVersion({ name: 'm', source })).rejects.toMatchObject({
      errorCode: MODEL_REGISTRATION_FAILED,
      message: expect.stringContaining('Source could not be copied'),
    })
  })

  test('a version that stays pending past the deadline is an error that says it may still finish', async () => {
    const { store, source } = await setUp({ pendingGets: 1_000_000 })
    const error = await store
      .createModelVersion({ name: 'm', source }, { timeoutMs: 2_000 })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ errorCode: DEADLINE_EXCEEDED })
    expect((error as Error).message).toMatch(/PENDING_REGISTRATION/)
    expect(clock).toBeLessThanOrEqual(2_000)
    expect(clock).toBeGreaterThanOrEqual(2_000 - 400)
  })
})
