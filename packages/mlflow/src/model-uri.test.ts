import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { startFakeMlflowServer, type FakeMlflowServer } from './__fixtures__/fake-mlflow-server.js'
import { tempDir, treeDigest, writeModelFolder } from './__fixtures__/model-folder.js'
import { FileStore } from './file-store.js'
import { downloadModel, parseModelUri, resolveModelUri } from './model-uri.js'
import { RestStore } from './rest-store.js'

describe('parseModelUri', () => {
  test.each([
    ['models:/churn@champion', { kind: 'alias', name: 'churn', alias: 'champion' }],
    ['models:/my@model@prod', { kind: 'alias', name: 'my@model', alias: 'prod' }],
    ['models:/churn/12', { kind: 'version', name: 'churn', version: '12' }],
    ['models:/churn/latest', { kind: 'latest', name: 'churn' }],
    ['models:/churn/LATEST', { kind: 'latest', name: 'churn' }],
    ['models:/churn/Production', { kind: 'stage', name: 'churn', stage: 'Production' }],
    ['runs:/abc123/model', { kind: 'run', runId: 'abc123', path: 'model' }],
    ['runs:/abc123/a/b/', { kind: 'run', runId: 'abc123', path: 'a/b' }],
    ['runs:/abc123', { kind: 'run', runId: 'abc123', path: '' }],
    [
      'mlflow-artifacts:/1/abc/artifacts/model',
      { kind: 'artifact', uri: 'mlflow-artifacts:/1/abc/artifacts/model' },
    ],
    ['s3://bucket/key/model', { kind: 'artifact', uri: 's3://bucket/key/model' }],
    ['file:///tmp/model', { kind: 'artifact', uri: 'file:///tmp/model' }],
    ['./models/churn', { kind: 'local', path: './models/churn' }],
  ])('%s', (uri, expected) => {
    expect(parseModelUri(uri)).toEqual(expected)
  })

  test.each([
    'models:/',
    'models:/churn',
    'models:/churn@',
    'models:/a/b/c',
    'models://host/churn/1',
    'gs://b/m',
    'runs:/',
  ])('refuses %s with the forms it accepts', (uri) => {
    expect(() => parseModelUri(uri)).toThrow(/models:\/|runs:\//)
  })
})

describe('downloadModel', () => {
  let dir: string
  let server: FakeMlflowServer | undefined
  beforeEach(async () => {
    dir = await tempDir('model-uri')
  })
  afterEach(async () => {
    await server?.close()
    server = undefined
    await rm(dir, { recursive: true, force: true })
  })

  test('an mlflow-artifacts:/ URI and a version registered from one download through the proxy', async () => {
    server = await startFakeMlflowServer({ pendingGets: 0 })
    const store = new RestStore({ trackingUri: server.url })
    const run = await store.createRun({ experimentId: '0' })
    await writeModelFolder(join(dir, 'model'))
    await store.uploadArtifacts(run.info.runId, join(dir, 'model'), 'exported/model')
    const uri = `${run.info.artifactUri}/exported/model`
    expect(uri.startsWith('mlflow-artifacts:/')).toBe(true)
    const expected = await treeDigest(join(dir, 'model'))

    const direct = await downloadModel(uri, store, join(dir, 'direct'))
    expect(await treeDigest(direct.path)).toEqual(expected)

    await store.getOrCreateRegisteredModel('m')
    const version = await store.createModelVersion({ name: 'm', source: uri })
    const resolved = await resolveModelUri(`models:/m/${version.version}`, store)
    expect(resolved.artifactUri).toBe(uri)
    const viaRegistry = await downloadModel(`models:/m/${version.version}`, store, join(dir, 'registry'))
    expect(await treeDigest(viaRegistry.path)).toEqual(expected)
  })

  test('a listing that names ".." is refused rather than written outside the destination', async () => {
    server = await startFakeMlflowServer()
    server.inject({
      method: 'GET',
      path: /^\/api\/2\.0\/mlflow-artifacts\/artifacts$/,
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({ files: [{ path: '..', is_dir: true }] }),
    })
    const store = new RestStore({ trackingUri: server.url })
    const error = await downloadModel(
      'mlflow-artifacts:/0/abc/artifacts/model',
      store,
      join(dir, 'out'),
    ).catch((e: unknown) => e)
    expect(error).toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE' })
    expect((error as Error).message).toMatch(/Invalid path|Refusing to download/)
  })

  test('local paths and file:// URIs are copied; a folder already at the destination is used in place', async () => {
    const store = await FileStore.open(join(dir, 'mlruns'))
    const source = join(dir, 'model')
    await writeModelFolder(source)
    const expected = await treeDigest(source)
    expect(await treeDigest((await downloadModel(source, store, join(dir, 'a'))).path)).toEqual(expected)
    expect(
      await treeDigest((await downloadModel(pathToFileURL(source).href, store, join(dir, 'b'))).path),
    ).toEqual(expected)
    expect((await downloadModel(source, store, source)).path).toBe(source)
  })

  test('a URI that does not point at a model folder says what it found instead', async () => {
    const store = await FileStore.open(join(dir, 'mlruns'))
    const experiment = await store.getOrCreateExperiment('e')
    const run = await store.createRun({ experimentId: experiment.experimentId })
    await writeModelFolder(join(dir, 'model'))
    await store.uploadArtifacts(run.info.runId, join(dir, 'model'), 'model')
    const error = await downloadModel(`runs:/${run.info.runId}`, store, join(dir, 'out')).catch(
      (e: unknown) => e,
    )
    expect((error as Error).message).toMatch(/no MLmodel file/)
    expect((error as Error).message).toContain('model/')
  })

  test('an unknown alias fails with the alias and model named', async () => {
    const store = await FileStore.open(join(dir, 'mlruns'))
    await store.getOrCreateRegisteredModel('m')
    const error = await downloadModel('models:/m@champion', store, join(dir, 'out')).catch((e: unknown) => e)
    expect(error).toMatchObject({ status: 400 })
    expect((error as Error).message).toContain('champion')
  })
})
