import type { BatchOutput } from './load-model.js'
import { MicroBatcher } from './micro-batcher.js'
import type { RowValues } from './model-schema.js'

/** A fake run that labels each row with its first value, so slices can be checked against their requests. */
function recordingRun() {
  const batches: number[] = []
  const run = async (rows: RowValues[]): Promise<BatchOutput> => {
    batches.push(rows.length)
    return {
      labels: rows.map((r) => String(r[0])),
      probabilities: new Float32Array(rows.length * 2),
      classes: 2,
    }
  }
  return { batches, run }
}

const row = (n: number): RowValues => [n]

test('requests arriving together leave as one batch and each gets its own slice', async () => {
  const { batches, run } = recordingRun()
  const batcher = new MicroBatcher({ maxSize: 64, maxWaitMs: 0, run })
  const slices = await Promise.all([
    batcher.submit([row(1)]),
    batcher.submit([row(2), row(3)]),
    batcher.submit([row(4)]),
  ])
  expect(batches).toEqual([4])
  expect(slices.map((s) => s.output.labels.slice(s.offset, s.offset + s.count))).toEqual([
    ['1'],
    ['2', '3'],
    ['4'],
  ])
})

test('a batch leaves when it is full, and a request at the size limit runs on its own', async () => {
  const { batches, run } = recordingRun()
  const batcher = new MicroBatcher({ maxSize: 3, maxWaitMs: 1000, run })
  const started = performance.now()
  await Promise.all([1, 2, 3].map((n) => batcher.submit([row(n)])))
  expect(performance.now() - started).toBeLessThan(500)
  await batcher.submit([row(1), row(2), row(3), row(4)])
  expect(batches).toEqual([3, 4])
})

test('the first request waits at most maxWaitMs for company', async () => {
  const { batches, run } = recordingRun()
  const batcher = new MicroBatcher({ maxSize: 64, maxWaitMs: 30, run })
  const first = batcher.submit([row(1)])
  await new Promise((r) => setTimeout(r, 10))
  const second = batcher.submit([row(2)])
  await Promise.all([first, second])
  expect(batches).toEqual([2])
  const started = performance.now()
  await batcher.submit([row(3)])
  const waited = performance.now() - started
  expect(waited).toBeGreaterThanOrEqual(25)
  expect(batches).toEqual([2, 1])
})

test('a failing run rejects every request of its batch, and drained() resolves', async () => {
  const batcher = new MicroBatcher({
    maxSize: 8,
    maxWaitMs: 0,
    run: async () => {
      throw new Error('session failed')
    },
  })
  const results = await Promise.allSettled([batcher.submit([row(1)]), batcher.submit([row(2)])])
  expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
  expect(batcher.pending).toBe(0)
  await batcher.drained()
})
