import { startFakeMlflowServer, type FakeMlflowServer } from './__fixtures__/fake-mlflow-server.js'
import { LOG_BATCH_LIMITS, splitLogBatch, type WireBatch } from './log-batch.js'
import { RestStore } from './rest-store.js'
import type { LogBatchInput } from './types.js'

function withinLimits(batch: WireBatch, runId: string): void {
  expect(batch.metrics.length).toBeLessThanOrEqual(LOG_BATCH_LIMITS.metrics)
  expect(batch.params.length).toBeLessThanOrEqual(LOG_BATCH_LIMITS.params)
  expect(batch.tags.length).toBeLessThanOrEqual(LOG_BATCH_LIMITS.tags)
  expect(batch.metrics.length + batch.params.length + batch.tags.length).toBeLessThanOrEqual(
    LOG_BATCH_LIMITS.entries,
  )
  expect(Buffer.byteLength(JSON.stringify({ run_id: runId, ...batch }))).toBeLessThanOrEqual(
    LOG_BATCH_LIMITS.bytes,
  )
}

function randomBatch(metrics: number, params: number, tags: number, valueLength = 10): LogBatchInput {
  const text = (n: number): string => 'x'.repeat(n)
  return {
    metrics: Array.from({ length: metrics }, (_, i) => ({
      key: `m${i % 7}`,
      value: Math.random(),
      step: i,
      timestamp: i,
    })),
    params: Array.from({ length: params }, (_, i) => ({ key: `p${i}`, value: text(valueLength) })),
    tags: Array.from({ length: tags }, (_, i) => ({ key: `t${i}`, value: text(valueLength) })),
  }
}

describe('splitLogBatch', () => {
  test.each([
    [2500, 0, 0],
    [0, 250, 0],
    [0, 0, 101],
    [999, 1, 1],
    [1000, 100, 100],
    [3, 2, 1],
  ])(
    '%i metrics, %i params, %i tags: every request within all limits, nothing lost or reordered',
    (m, p, t) => {
      const input = randomBatch(m, p, t)
      const batches = splitLogBatch('run1', input)
      for (const batch of batches) withinLimits(batch, 'run1')
      expect(batches.flatMap((b) => b.metrics.map((x) => x.step))).toEqual(input.metrics!.map((x) => x.step))
      expect(batches.flatMap((b) => b.params)).toEqual(input.params)
      expect(batches.flatMap((b) => b.tags)).toEqual(input.tags)
      // Greedy packing never uses more requests than the tightest single limit forces, plus one for mixing.
      const lowerBound = Math.max(
        Math.ceil(m / LOG_BATCH_LIMITS.metrics),
        Math.ceil(p / LOG_BATCH_LIMITS.params),
        Math.ceil(t / LOG_BATCH_LIMITS.tags),
        Math.ceil((m + p + t) / LOG_BATCH_LIMITS.entries),
      )
      expect(batches.length).toBeGreaterThanOrEqual(lowerBound)
      expect(batches.length).toBeLessThanOrEqual(lowerBound + 1)
    },
  )

  test('splits on the 1 MB body limit even when the counts would fit', () => {
    const input = randomBatch(0, 100, 100, 6000)
    const batches = splitLogBatch('run1', input)
    expect(batches.length).toBeGreaterThan(1)
    for (const batch of batches) withinLimits(batch, 'run1')
  })

  test('fills in a timestamp, defaults step to 0, and sends NaN and infinities as strings', () => {
    const [batch] = splitLogBatch(
      'r',
      {
        metrics: [
          { key: 'a', value: NaN },
          { key: 'b', value: -Infinity },
          { key: 'c', value: 2 },
        ],
      },
      LOG_BATCH_LIMITS,
      () => 42,
    )
    expect(batch?.metrics).toEqual([
      { key: 'a', value: 'NaN', timestamp: 42, step: 0 },
      { key: 'b', value: '-Infinity', timestamp: 42, step: 0 },
      { key: 'c', value: 2, timestamp: 42, step: 0 },
    ])
  })
})

describe('RestStore.logBatch against the server', () => {
  let server: FakeMlflowServer
  beforeEach(async () => {
    server = await startFakeMlflowServer()
  })
  afterEach(() => server.close())

  test('2500 metrics go in as many requests as the 1000-metric limit needs, and all points arrive', async () => {
    const store = new RestStore({ trackingUri: server.url })
    const run = await store.createRun({ experimentId: '0' })
    const metrics = Array.from({ length: 2500 }, (_, step) => ({ key: 'loss', value: Math.random(), step }))
    await store.logBatch(run.info.runId, { metrics })
    const batchRequests = server.requests.filter((r) => r.path.endsWith('/runs/log-batch'))
    expect(batchRequests).toHaveLength(Math.ceil(metrics.length / LOG_BATCH_LIMITS.metrics))
    expect(batchRequests.every((r) => r.status === 200)).toBe(true)
    const history = await store.getMetricHistory(run.info.runId, 'loss')
    expect(history.map((m) => [m.step, m.value])).toEqual(metrics.map((m) => [m.step, m.value]))
  })

  test('large params and tags are split under 1 MB per request, which the server would otherwise refuse', async () => {
    const store = new RestStore({ trackingUri: server.url })
    const run = await store.createRun({ experimentId: '0' })
    await store.logBatch(run.info.runId, randomBatch(10, 100, 100, 6000))
    const batchRequests = server.requests.filter((r) => r.path.endsWith('/runs/log-batch'))
    expect(batchRequests.length).toBeGreaterThan(1)
    expect(batchRequests.every((r) => r.status === 200 && r.bytes <= LOG_BATCH_LIMITS.bytes)).toBe(true)
    expect(Object.keys((await store.getRun(run.info.runId)).data.params)).toHaveLength(100)
  })

  test('non-finite values round-trip through the server', async () => {
    const store = new RestStore({ trackingUri: server.url })
    const run = await store.createRun({ experimentId: '0' })
    await store.logBatch(run.info.runId, {
      metrics: [
        { key: 'a', value: NaN },
        { key: 'b', value: Infinity },
        { key: 'c', value: -Infinity },
      ],
    })
    const { metrics } = (await store.getRun(run.info.runId)).data
    expect(metrics['a']?.value).toBeNaN()
    expect(metrics['b']?.value).toBe(Infinity)
    expect(metrics['c']?.value).toBe(-Infinity)
  })
})
