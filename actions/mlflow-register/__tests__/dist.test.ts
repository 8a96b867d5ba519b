import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { runAction } from '@mlops/cli'
import { exportLinearClassifier, writeModelBundle, type FeatureSpec } from '@mlops/ml'
import {
  downloadModel,
  FileStore,
  fromEnvironment,
  openTrackingStore,
  type TrackingStore,
} from '@mlops/mlflow'
import {
  startFakeMlflowServer,
  type FakeMlflowServer,
} from '../../../packages/mlflow/src/__fixtures__/fake-mlflow-server.js'
import { treeDigest } from '../../../packages/mlflow/src/__fixtures__/model-folder.js'

/** The action as users get it (action.yml + committed dist/ only), run as the runner would run it. */
const source = resolve(import.meta.dirname, '..')
let root: string
let actionDir: string
let bundleDir: string

const features: FeatureSpec[] = [
  { name: 'age', kind: 'numeric', fill: 60, mean: 60, std: 12 },
  { name: 'admission_type', kind: 'categorical', categories: ['Elective', 'Emergency', 'Urgent'] },
]

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mlflow-register-'))
  actionDir = join(root, 'action')
  await mkdir(actionDir)
  await cp(join(source, 'action.yml'), join(actionDir, 'action.yml'))
  await cp(join(source, 'dist'), join(actionDir, 'dist'), { recursive: true })
  bundleDir = join(root, 'workspace', 'model')
  await writeModelBundle(bundleDir, {
    onnx: exportLinearClassifier(features, {
      classes: ['0', '1'],
      weights: [[0.4, 0.1, 0.3, -0.2]],
      intercepts: [-1],
    }),
    info: {
      task: 'binary',
      target: 'readmitted_30d',
      labels: ['0', '1'],
      features,
      modelType: 'logistic-regression',
      params: { c: 1, max_iter: 1000 },
      metrics: { roc_auc: 0.71, log_loss: 0.33 },
      dataHash: 'sha256:1234',
      gitSha: null,
    },
    reference: { schema: 'test', rows: 3 },
  })
})
afterAll(() => rm(root, { recursive: true, force: true }))

const github = {
  GITHUB_REPOSITORY: 'acme/readmission',
  GITHUB_RUN_ID: '777',
  GITHUB_SHA: 'abc123',
  GITHUB_REF: 'refs/heads/main',
}

async function register(inputs: Record<string, string>, env: Record<string, string | undefined> = {}) {
  const lines: string[] = []
  const result = await runAction({
    actionDir,
    inputs: { bundle: 'model', 'model-name': 'readmission', ...inputs },
    workspace: join(root, 'workspace'),
    write: (line) => lines.push(line),
    env: {
      MLFLOW_TRACKING_URI: undefined,
      MLFLOW_TRACKING_TOKEN: undefined,
      GITHUB_RUN_ID: undefined,
      GITHUB_REPOSITORY: undefined,
      ...env,
    },
  })
  return { ...result, log: lines.join('\n') }
}

async function expectResolvesBack(store: TrackingStore, runId: string): Promise<void> {
  const original = await treeDigest(bundleDir)
  for (const uri of ['models:/readmission@challenger', `runs:/${runId}/model`]) {
    const dest = await mkdtemp(join(root, 'download-'))
    const downloaded = await downloadModel(uri, store, dest)
    expect(await treeDigest(downloaded.path)).toEqual(original)
  }
}

describe('mlflow-register against the local FileStore (no server configured)', () => {
  it('logs the run, registers version 1 with alias challenger, and the bundle resolves back byte-identical', async () => {
    const run = await register({ 'mlruns-dir': 'mlruns-a' })
    expect(run.exitCode).toBe(0)
    expect(run.outputs).toMatchObject({
      'model-version': '1',
      'model-uri': 'models:/readmission/1',
      'alias-uri': 'models:/readmission@challenger',
      reused: 'false',
    })
    const store = await FileStore.open(join(root, 'workspace', 'mlruns-a'))
    const logged = await store.getRun(run.outputs['run-id']!)
    expect(logged.data.params).toMatchObject({ c: '1', max_iter: '1000' })
    expect(logged.data.metrics.roc_auc?.value).toBeCloseTo(0.71)
    expect(logged.data.tags).toMatchObject({ data_hash: 'sha256:1234' })
    expect(logged.info.status).toBe('FINISHED')
    await expectResolvesBack(store, run.outputs['run-id']!)
  })
})

describe('mlflow-register against a tracking server (the test double over HTTP)', () => {
  let server: FakeMlflowServer
  beforeAll(async () => {
    server = await startFakeMlflowServer({ token: 's3cr3t-token' })
  })
  afterAll(() => server.close())
  const auth = () => ({ MLFLOW_TRACKING_URI: server.url, MLFLOW_TRACKING_TOKEN: 's3cr3t-token' })

  it('registers, tags the run with the workflow, and resolves back byte-identical', async () => {
    const run = await register({}, { ...auth(), ...github })
    expect(run.exitCode).toBe(0)
    expect(run.outputs['run-url']).toBe(
      `${server.url}/#/experiments/${run.outputs['run-url']!.split('/experiments/')[1]!.split('/')[0]}/runs/${run.outputs['run-id']}`,
    )
    const store = await openTrackingStore(fromEnvironment(auth()))
    const logged = await store.getRun(run.outputs['run-id']!)
    expect(logged.data.tags).toMatchObject({
      'mlflow.source.git.commit': 'abc123',
      'github.workflow_run': 'https://github.com/acme/readmission/actions/runs/777',
    })
    await expectResolvesBack(store, run.outputs['run-id']!)
  })

  it('re-running the same workflow run creates no second version', async () => {
    const again = await register({}, { ...auth(), ...github })
    expect(again.exitCode).toBe(0)
    expect(again.outputs).toMatchObject({ 'model-version': '1', reused: 'true' })
    const store = await openTrackingStore(fromEnvironment(auth()))
    expect(await store.searchModelVersions({ filter: "name = 'readmission'" })).toHaveLength(1)
    const next = await register({}, { ...auth(), ...github, GITHUB_RUN_ID: '778' })
    expect(next.outputs['model-version']).toBe('2')
  })

  it('a wrong token fails with the variable to set, and never prints the token', async () => {
    const run = await register(
      {},
      { MLFLOW_TRACKING_URI: server.url, MLFLOW_TRACKING_TOKEN: 'wrong-token-value' },
    )
    expect(run.exitCode).toBe(1)
    expect(run.annotations[0]?.message).toMatch(/MLFLOW_TRACKING_TOKEN/)
    expect(run.log).not.toContain('wrong-token-value')
    expect(run.log).not.toMatch(/This is a bug/)
  })
})

describe('mlflow-register errors', () => {
  it('a tracking URI nothing listens on names the URL', async () => {
    // A port that was free a moment ago: nothing listens, so the connection is refused.
    const probe = createServer()
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done))
    const port = (probe.address() as AddressInfo).port
    await new Promise((done) => probe.close(done))
    const url = `http://127.0.0.1:${port}`
    const run = await register({ 'tracking-uri': url })
    expect(run.exitCode).toBe(1)
    expect(run.annotations[0]?.message).toContain(url)
    expect(run.annotations[0]?.message).toMatch(/Could not connect .*Check MLFLOW_TRACKING_URI/)
    expect(run.log).not.toMatch(/\n\s+at .+:\d+:\d+\)/)
  })

  it('a folder that is not a model bundle is refused before anything is logged', async () => {
    await mkdir(join(root, 'workspace', 'empty'), { recursive: true })
    const run = await register({ bundle: 'empty', 'mlruns-dir': 'mlruns-b' })
    expect(run.exitCode).toBe(1)
    expect(run.annotations[0]?.message).toMatch(/empty is not an MLflow model folder: it has no MLmodel file/)
  })

  it('a reserved alias names the input', async () => {
    const run = await register({ alias: 'latest' })
    expect(run.exitCode).toBe(1)
    expect(run.annotations[0]?.message).toMatch(/Input 'alias': 'latest' is reserved/)
  })
})
