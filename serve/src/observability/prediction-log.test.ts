import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { modelSchema } from '../model/model-schema.js'
import { PredictionLog, predictionLogFileName, type LoggedRequest } from './prediction-log.js'

const schema = modelSchema({
  schema: 'mlops-actions/bundle@1',
  task: 'binary',
  target: 'y',
  labels: ['no', 'yes'],
  features: [
    { name: 'age', kind: 'numeric', fill: 50, mean: 50, std: 10 },
    { name: 'ward', kind: 'categorical', categories: ['a', 'b'] },
  ],
  modelType: 'test',
  params: {},
  metrics: {},
  dataHash: '',
  gitSha: null,
  createdAt: '',
})

function entry(id: string): LoggedRequest {
  return {
    ts: Date.UTC(2026, 10, 30, 2, 40),
    requestId: id,
    model: { name: 'm', version: '1' },
    schema,
    rows: [[63, 'a']],
    slice: {
      output: { labels: ['yes'], probabilities: Float32Array.of(0.25, 0.75), classes: 2 },
      offset: 0,
      count: 1,
    },
    latencyMs: 1.23456,
  }
}

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'serve-log-unit-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

test('file names and the line format drift-check reads', async () => {
  expect(predictionLogFileName(new Date(Date.UTC(2026, 10, 30, 2, 4, 5)), 3)).toBe(
    'predictions-20261130-020405-3.jsonl',
  )
  const log = new PredictionLog({ dir, sample: 1, maxBytes: 1 << 20 })
  log.record(entry('r1'))
  await log.close()
  const [file] = await readdir(dir)
  expect(JSON.parse(await readFile(join(dir, file!), 'utf8'))).toEqual({
    ts: '2026-11-30T02:40:00.000Z',
    request_id: 'r1',
    model: { name: 'm', version: '1' },
    inputs: { age: 63, ward: 'a' },
    outputs: { prediction: 'yes', probabilities: { no: 0.25, yes: 0.75 } },
    latency_ms: 1.235,
  })
})

test('sampling keeps the given share of requests', async () => {
  let i = 0
  const log = new PredictionLog({ dir, sample: 0.25, maxBytes: 1 << 20, random: () => (i++ % 4) / 4 })
  for (let n = 0; n < 40; n++) log.record(entry(`r${n}`))
  await log.close()
  const [file] = await readdir(dir)
  expect((await readFile(join(dir, file!), 'utf8')).trim().split('\n')).toHaveLength(10)
})

test('a broken disk drops and counts lines instead of throwing; a full queue drops new requests', async () => {
  const blocked = join(dir, 'not-a-folder')
  await writeFile(blocked, 'a file where the log folder should be')
  let dropped = 0
  const errors: string[] = []
  const log = new PredictionLog({
    dir: blocked,
    sample: 1,
    maxBytes: 1 << 20,
    maxPendingRows: 3,
    onDropped: (n) => (dropped += n),
    onError: (e) => errors.push(e.message),
  })
  for (let n = 0; n < 5; n++) log.record(entry(`r${n}`))
  expect(dropped).toBe(2)
  await log.close()
  expect(dropped).toBe(5)
  expect(errors).toHaveLength(1)
})
