import { spawn, type ChildProcess } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { runAction, type ActionRun } from '@mlops/cli'
import {
  mulberry32,
  predictWithOnnx,
  tabularTrainer,
  trainTabular,
  tabularBundleInfo,
  writeModelBundle,
} from '../../../packages/ml/src/index.js'

/**
 * The committed dist of smoke-test against the real model server: serve/src/main.ts started as its own process
 * (through tsx, as `node dist/server.mjs` would run it after a build) on a bundle trained here. Golden
 * expectations come from running the same model.onnx directly with onnxruntime, outside the server.
 */
const source = resolve(import.meta.dirname, '..')
const repo = resolve(source, '../..')
let root: string
let actionDir: string
let workspace: string
let server: ChildProcess
let serverLog = ''
let url: string

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as AddressInfo
  await new Promise((r) => s.close(r))
  return port
}

/** Three numeric and one categorical column driving a yes/no label. */
function syntheticColumns(
  rows: number,
): Array<{ name: string; kind: 'numeric' | 'categorical'; values: Array<number | string | null> }> {
  const random = mulberry32(7)
  const age: number[] = []
  const bmi: number[] = []
  const visits: number[] = []
  const ward: string[] = []
  const label: string[] = []
  for (let i = 0; i < rows; i++) {
    const a = 20 + random() * 60
    const w = ['cardio', 'neuro', 'ortho'][Math.floor(random() * 3)]!
    age.push(a)
    bmi.push(18 + random() * 20)
    visits.push(Math.floor(random() * 6))
    ward.push(w)
    label.push((a - 50) / 15 + (w === 'cardio' ? 1 : 0) + (random() - 0.5) > 0.3 ? 'yes' : 'no')
  }
  return [
    { name: 'age', kind: 'numeric', values: age },
    { name: 'bmi', kind: 'numeric', values: bmi },
    { name: 'visits', kind: 'numeric', values: visits },
    { name: 'ward', kind: 'categorical', values: ward },
    { name: 'label', kind: 'categorical', values: label },
  ]
}

const goldenRows = [
  { age: 74, bmi: 31.5, visits: 4, ward: 'cardio' },
  { age: 28, bmi: 21, visits: 0, ward: 'ortho' },
  { age: 52, bmi: 26, visits: 2, ward: 'neuro' },
]

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'smoke-dist-'))
  actionDir = join(root, 'action')
  workspace = join(root, 'workspace')
  await mkdir(actionDir)
  await mkdir(workspace)
  await cp(join(source, 'action.yml'), join(actionDir, 'action.yml'))
  await cp(join(source, 'dist'), join(actionDir, 'dist'), { recursive: true })

  // A real bundle, and the golden file its own graph produces when run directly.
  const columns = syntheticColumns(500)
  const trained = await trainTabular({
    columns,
    target: 'label',
    trainer: tabularTrainer('logistic-regression'),
    seed: 1,
  })
  const bundle = join(workspace, 'model')
  await writeModelBundle(bundle, {
    onnx: trained.onnx,
    info: tabularBundleInfo(trained, { target: 'label', modelType: 'logistic-regression', dataHash: 'test' }),
  })
  const direct = await predictWithOnnx(
    trained.onnx,
    trained.specs,
    trained.specs.map((s) => ({ name: s.name, values: goldenRows.map((r) => r[s.name as keyof typeof r]) })),
    goldenRows.map((_, i) => i),
  )
  const cases = goldenRows.map((input, i) => ({
    name: `row ${i + 1}`,
    input,
    expected: {
      prediction: direct.labels[i],
      probabilities: Object.fromEntries(
        trained.classes.map((c, k) => [c, direct.probabilities[i * direct.classCount + k]]),
      ),
    },
  }))
  await writeFile(join(workspace, 'golden.json'), JSON.stringify({ tolerance: 1e-5, cases }, null, 2))

  const port = await freePort()
  url = `http://127.0.0.1:${port}`
  server = spawn(
    process.execPath,
    [resolve(repo, 'node_modules/tsx/dist/cli.mjs'), resolve(repo, 'serve/src/main.ts')],
    {
      cwd: resolve(repo, 'serve'),
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        MODEL_URI: bundle,
        MODEL_NAME: 'readmission',
        MODEL_VERSION: '3',
        ORT_INTRA_OP_THREADS: '1',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  server.stdout!.on('data', (c) => (serverLog += c))
  server.stderr!.on('data', (c) => (serverLog += c))
})

afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM')
    await new Promise((r) => server.once('exit', r))
  }
  await rm(root, { recursive: true, force: true })
})

async function smoke(inputs: Record<string, string>): Promise<ActionRun & { log: string }> {
  const lines: string[] = []
  const result = await runAction({ actionDir, inputs, workspace, write: (line) => lines.push(line) })
  return { ...result, log: lines.join('\n') }
}

test('passes against the real server: ready, version, golden predictions, 4xx, metrics, p95', async () => {
  const run = await smoke({
    url,
    'expected-version': '3',
    'model-name': 'readmission',
    'golden-file': 'golden.json',
    'ready-timeout': '45',
    'latency-requests': '30',
    'latency-p95-ms': '250',
  })
  if (run.exitCode !== 0) console.log(`${run.log}\n--- server log ---\n${serverLog}`)
  expect(run.exitCode).toBe(0)
  expect(run.outputs).toMatchObject({ passed: 'true', 'served-version': '3', 'rolled-back': 'false' })
  expect(Number(run.outputs['p95-ms'])).toBeGreaterThan(0)
  expect(run.summary).toContain('## ✅ smoke-test passed')
  for (const check of [
    'ready',
    'health',
    'version',
    'golden: row 1',
    'golden: row 3',
    'invalid input',
    'metrics',
    'latency',
  ]) {
    expect(run.summary).toMatch(new RegExp(`\\| ${check.replace(/[:]/g, '\\$&')} \\| ✅ pass \\|`))
  }
  expect(run.log).toMatch(/pass invalid input: HTTP 400/)
}, 90_000)

test('fails against the same server when it is not the version that was deployed, with every reason', async () => {
  const golden = JSON.parse(await readFile(join(workspace, 'golden.json'), 'utf8'))
  golden.cases[0].expected.prediction = golden.cases[0].expected.prediction === 'yes' ? 'no' : 'yes'
  await writeFile(join(workspace, 'golden-wrong.json'), JSON.stringify(golden))
  const run = await smoke({
    url,
    'expected-version': '4',
    'golden-file': 'golden-wrong.json',
    'ready-timeout': '45',
    'latency-requests': '5',
  })
  expect(run.exitCode).toBe(1)
  expect(run.outputs.passed).toBe('false')
  expect(run.log).toMatch(
    /smoke-test failed: version: serves model version 3, expected 4 \| golden: row 1: answered by model version 3, expected 4; prediction '(yes|no)', expected '(yes|no)'/,
  )
  expect(run.log).toMatch(/metrics: model_info is for another version/)
  expect(run.log).not.toMatch(/\n\s+at /)
}, 90_000)

test('bad input is one clear error, never a stack trace', async () => {
  const run = await smoke({ url: 'localhost:8080' })
  expect(run.exitCode).toBe(1)
  expect(run.log).toMatch(
    /Input 'url' must be an http\(s\) URL such as http:\/\/127\.0\.0\.1:8080, got 'localhost:8080'/,
  )
  const both = await smoke({ url, service: 'x' })
  expect(both.log).toMatch(/Give exactly one of 'url'/)
  expect(both.log).not.toMatch(/\n\s+at /)
})
