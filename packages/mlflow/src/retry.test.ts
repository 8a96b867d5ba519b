import { startFakeMlflowServer, type FakeMlflowServer } from './__fixtures__/fake-mlflow-server.js'
import { MlflowError } from './errors.js'
import { RestStore } from './rest-store.js'
import { backoffDelay, DEFAULT_RETRY_POLICY, isRetryableStatus, withRetry } from './retry.js'

describe('retry policy against the server', () => {
  let server: FakeMlflowServer
  let sleeps: number[]
  let store: RestStore

  beforeEach(async () => {
    server = await startFakeMlflowServer()
    sleeps = []
    store = new RestStore({
      trackingUri: server.url,
      retry: { sleep: async (ms) => void sleeps.push(ms), attempts: 4 },
    })
  })
  afterEach(() => server.close())

  const calls = (fragment: string): number => server.requests.filter((r) => r.path.includes(fragment)).length

  test('503 is retried until it succeeds', async () => {
    server.inject({ path: '/experiments/get', times: 2, status: 503 })
    const experiment = await store.getExperiment('0')
    expect(experiment.name).toBe('Default')
    expect(calls('/experiments/get')).toBe(3)
    expect(sleeps).toHaveLength(2)
  })

  test('400 is not retried', async () => {
    server.inject({
      path: '/runs/create',
      status: 400,
      contentType: 'application/json',
      body: JSON.stringify({ error_code: 'INVALID_PARAMETER_VALUE', message: 'bad value' }),
    })
    const error = await store.createRun({ experimentId: '0' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MlflowError)
    expect(error).toMatchObject({ status: 400, errorCode: 'INVALID_PARAMETER_VALUE' })
    expect(calls('/runs/create')).toBe(1)
    expect(sleeps).toHaveLength(0)
  })

  test('a real 4xx from the server (changed param) is not retried either', async () => {
    const run = await store.createRun({ experimentId: '0' })
    await store.logBatch(run.info.runId, { params: [{ key: 'a', value: '1' }] })
    await expect(
      store.logBatch(run.info.runId, { params: [{ key: 'a', value: '2' }] }),
    ).rejects.toMatchObject({
      status: 400,
    })
    expect(calls('/runs/log-batch')).toBe(2)
    expect(sleeps).toHaveLength(0)
  })

  test('429 waits at least as long as Retry-After asks', async () => {
    server.inject({ path: '/experiments/get', status: 429, headers: { 'Retry-After': '3' } })
    await store.getExperiment('0')
    expect(sleeps).toHaveLength(1)
    expect(sleeps[0]).toBeGreaterThanOrEqual(3000)
  })

  test('a dropped connection is retried', async () => {
    server.inject({ path: '/experiments/get', drop: true })
    await store.getExperiment('0')
    expect(calls('/experiments/get')).toBe(2)
    expect(sleeps).toHaveLength(1)
  })

  test('gives up after the configured attempts with the last error', async () => {
    server.inject({ path: '/experiments/get', times: 10, status: 502 })
    await expect(store.getExperiment('0')).rejects.toMatchObject({ status: 502 })
    expect(calls('/experiments/get')).toBe(4)
    expect(sleeps).toHaveLength(3)
  })

  test('501 (not implemented) is final', async () => {
    server.inject({ path: '/experiments/get', status: 501 })
    await expect(store.getExperiment('0')).rejects.toMatchObject({ status: 501 })
    expect(sleeps).toHaveLength(0)
  })
})

describe('backoff', () => {
  test('full jitter: a random share of an exponentially growing, capped ceiling', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 }
    const top = [1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, { ...policy, random: () => 1 }))
    for (let i = 1; i < top.length; i++) expect(top[i]).toBeGreaterThanOrEqual(top[i - 1]!)
    expect(top[1]).toBe(2 * top[0]!)
    expect(Math.max(...top)).toBe(policy.maxDelayMs)
    expect(backoffDelay(5, { ...policy, random: () => 0 })).toBe(0)
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(3, { ...policy, random: Math.random })
      expect(d).toBeGreaterThanOrEqual(0)
      expect(d).toBeLessThanOrEqual(top[2]!)
    }
  })

  test('only 429 and 5xx other than 501 are retryable statuses', () => {
    const retryable = [400, 401, 403, 404, 409, 429, 500, 501, 502, 503, 504].filter(isRetryableStatus)
    expect(retryable).toEqual([429, 500, 502, 503, 504])
  })

  test('withRetry stops at once on an error the classifier refuses', async () => {
    let tries = 0
    const sleeps: number[] = []
    await expect(
      withRetry(
        async () => {
          tries++
          throw new Error('no')
        },
        () => ({ retry: false }),
        { ...DEFAULT_RETRY_POLICY, sleep: async (ms) => void sleeps.push(ms) },
      ),
    ).rejects.toThrow('no')
    expect(tries).toBe(1)
    expect(sleeps).toEqual([])
  })
})
