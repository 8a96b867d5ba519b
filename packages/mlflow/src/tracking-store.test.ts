// One scenario, two stores: what the register stage does must work the same against the local FileStore
// and against a tracking server over HTTP.
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { startFakeMlflowServer, type FakeMlflowServer } from './__fixtures__/fake-mlflow-server.js'
import { tempDir, treeDigest, writeModelFolder } from './__fixtures__/model-folder.js'
import { hasErrorCode, INVALID_PARAMETER_VALUE, MlflowError, RESOURCE_DOES_NOT_EXIST } from './errors.js'
import { FileStore } from './file-store.js'
import { downloadModel, resolveModelUri } from './model-uri.js'
import { RestStore } from './rest-store.js'
import type { TrackingStore } from './tracking-store.js'

interface Harness {
  store: TrackingStore
  stop: () => Promise<void>
}

const noSleep = async (): Promise<void> => {}

const stores: [string, () => Promise<Harness>][] = [
  [
    'FileStore',
    async () => {
      const dir = await tempDir('mlruns')
      return {
        store: await FileStore.open(join(dir, 'mlruns')),
        stop: () => rm(dir, { recursive: true, force: true }),
      }
    },
  ],
  [
    'RestStore over HTTP',
    async () => {
      const server: FakeMlflowServer = await startFakeMlflowServer({ pendingGets: 2 })
      const store = new RestStore({
        trackingUri: server.url,
        retry: { sleep: noSleep },
        poll: { sleep: noSleep },
      })
      return { store, stop: () => server.close() }
    },
  ],
]

describe.each(stores)('%s', (_name, start) => {
  let harness: Harness
  let work: string

  beforeEach(async () => {
    harness = await start()
    work = await tempDir('mlflow-e2e')
  })
  afterEach(async () => {
    await harness.stop()
    await rm(work, { recursive: true, force: true })
  })

  test('registers a model from a run and downloads it back byte-identical by alias and by run', async () => {
    const { store } = harness
    const experiment = await store.getOrCreateExperiment('churn', { team: 'ml' })
    expect(typeof experiment.experimentId).toBe('string')
    expect(await store.getOrCreateExperiment('churn')).toMatchObject({
      experimentId: experiment.experimentId,
    })

    const run = await store.createRun({
      experimentId: experiment.experimentId,
      runName: 'train-42',
      userId: 'ci-bot',
      tags: { 'git.sha': 'abc123' },
    })
    const runId = run.info.runId
    expect(run.info.status).toBe('RUNNING')
    expect(run.info.runName).toBe('train-42')

    const losses = Array.from({ length: 25 }, (_, step) => ({ step, value: 1 / (step + 1) }))
    await store.logBatch(runId, {
      params: [
        { key: 'learning_rate', value: '0.1' },
        { key: 'model/depth', value: '6' },
      ],
      metrics: [
        ...losses.map(({ step, value }) => ({
          key: 'loss',
          value,
          step,
          timestamp: 1_700_000_000_000 + step,
        })),
        { key: 'eval/auc', value: 0.91, step: 0 },
        { key: 'diverged', value: NaN },
      ],
      tags: [{ key: 'data.hash', value: 'd41d8cd9' }],
    })
    // Same param value again is fine; a different one is refused by both stores.
    await store.logBatch(runId, { params: [{ key: 'learning_rate', value: '0.1' }] })
    const changed = store.logBatch(runId, { params: [{ key: 'learning_rate', value: '0.2' }] })
    await expect(changed).rejects.toMatchObject({ status: 400, errorCode: INVALID_PARAMETER_VALUE })

    const modelDir = join(work, 'bundle')
    await writeModelFolder(modelDir)
    await store.uploadArtifacts(runId, modelDir, 'model')
    await store.updateRun(runId, { status: 'FINISHED' })

    const fetched = await store.getRun(runId)
    expect(fetched.info.status).toBe('FINISHED')
    expect(fetched.info.endTime).toBeGreaterThanOrEqual(fetched.info.startTime)
    expect(fetched.info.userId).toBe('ci-bot')
    expect(fetched.data.params).toEqual({ learning_rate: '0.1', 'model/depth': '6' })
    expect(fetched.data.tags).toMatchObject({
      'git.sha': 'abc123',
      'data.hash': 'd41d8cd9',
      'mlflow.runName': 'train-42',
    })
    const last = losses[losses.length - 1]!
    expect(fetched.data.metrics['loss']).toMatchObject({ value: last.value, step: last.step })
    expect(fetched.data.metrics['eval/auc']?.value).toBe(0.91)
    expect(fetched.data.metrics['diverged']?.value).toBeNaN()
    const history = await store.getMetricHistory(runId, 'loss')
    expect(history.map((m) => [m.step, m.value])).toEqual(losses.map((l) => [l.step, l.value]))

    const listed = await store.listArtifacts(runId, 'model')
    expect(listed.map((f) => f.path).sort()).toEqual([
      'model/MLmodel',
      'model/bundle.json',
      'model/model.onnx',
      'model/nested',
    ])
    expect(listed.find((f) => f.path === 'model/nested')?.isDir).toBe(true)

    await store.getOrCreateRegisteredModel('churn-model')
    await store.getOrCreateRegisteredModel('churn-model')
    const version = await store.createModelVersion({
      name: 'churn-model',
      source: `runs:/${runId}/model`,
      runId,
      tags: { 'github.run_id': '1001' },
    })
    expect(version.status).toBe('READY')
    expect(typeof version.version).toBe('string')
    await store.setAlias('churn-model', 'challenger', version.version)

    const byAlias = await store.getModelVersionByAlias('churn-model', 'challenger')
    expect(byAlias.version).toBe(version.version)
    expect(byAlias.aliases).toContain('challenger')
    const found = await store.searchModelVersions({
      filter: "name = 'churn-model' and tags.github.run_id = '1001'",
    })
    expect(found.map((v) => v.version)).toEqual([version.version])
    expect(
      await store.searchModelVersions({ filter: "name = 'churn-model' and tags.github.run_id = '999'" }),
    ).toEqual([])

    const expected = await treeDigest(modelDir)
    const viaAlias = await downloadModel('models:/churn-model@challenger', store, join(work, 'by-alias'))
    expect(viaAlias.modelVersion?.version).toBe(version.version)
    expect(viaAlias.runId).toBe(runId)
    expect(await treeDigest(viaAlias.path)).toEqual(expected)
    const viaRun = await downloadModel(`runs:/${runId}/model`, store, join(work, 'by-run'))
    expect(await treeDigest(viaRun.path)).toEqual(expected)
    const viaVersion = await downloadModel(
      `models:/churn-model/${version.version}`,
      store,
      join(work, 'by-version'),
    )
    expect(await treeDigest(viaVersion.path)).toEqual(expected)
    const viaLatest = await downloadModel('models:/churn-model/latest', store, join(work, 'by-latest'))
    expect(await treeDigest(viaLatest.path)).toEqual(expected)
  })

  test('a second version is numbered after the first and aliases move between versions', async () => {
    const { store } = harness
    const experiment = await store.getOrCreateExperiment('moves')
    const run = await store.createRun({ experimentId: experiment.experimentId })
    await writeModelFolder(join(work, 'm'))
    await store.uploadArtifacts(run.info.runId, join(work, 'm'), 'model')
    await store.getOrCreateRegisteredModel('mover')
    const v1 = await store.createModelVersion({
      name: 'mover',
      source: `runs:/${run.info.runId}/model`,
      runId: run.info.runId,
    })
    const v2 = await store.createModelVersion({
      name: 'mover',
      source: `runs:/${run.info.runId}/model`,
      runId: run.info.runId,
    })
    expect(Number(v2.version)).toBe(Number(v1.version) + 1)
    await store.setAlias('mover', 'champion', v1.version)
    await store.setAlias('mover', 'champion', v2.version)
    expect((await store.getModelVersionByAlias('mover', 'champion')).version).toBe(v2.version)
    expect((await store.getRegisteredModel('mover')).aliases).toEqual({ champion: v2.version })
    expect((await resolveModelUri('models:/mover/latest', store)).modelVersion?.version).toBe(v2.version)

    await store.deleteAlias('mover', 'champion')
    const gone = store.getModelVersionByAlias('mover', 'champion')
    // Both stores answer like the server: 400, not 404, for an alias that is not set.
    await expect(gone).rejects.toMatchObject({ status: 400, errorCode: INVALID_PARAMETER_VALUE })
    await expect(store.setAlias('mover', 'latest', v1.version)).rejects.toMatchObject({ status: 400 })
  })

  test('stages still work as a fallback for registries older than aliases', async () => {
    const { store } = harness
    const experiment = await store.getOrCreateExperiment('stages')
    const run = await store.createRun({ experimentId: experiment.experimentId })
    await writeModelFolder(join(work, 'm'))
    await store.uploadArtifacts(run.info.runId, join(work, 'm'), 'model')
    await store.getOrCreateRegisteredModel('staged')
    const source = `runs:/${run.info.runId}/model`
    const v1 = await store.createModelVersion({ name: 'staged', source })
    const v2 = await store.createModelVersion({ name: 'staged', source })
    await store.transitionModelVersionStage('staged', v1.version, 'Production')
    await store.transitionModelVersionStage('staged', v2.version, 'production', true)
    expect((await store.getModelVersion('staged', v1.version)).currentStage).toBe('Archived')
    const [latest] = await store.getLatestVersions('staged', ['Production'])
    expect(latest?.version).toBe(v2.version)
    expect((await resolveModelUri('models:/staged/Production', store)).modelVersion?.version).toBe(v2.version)
  })

  test('missing things are RESOURCE_DOES_NOT_EXIST errors that name what is missing', async () => {
    const { store } = harness
    expect(await store.getExperimentByName('nope')).toBeUndefined()
    const error = await store.getRun('0123456789abcdef0123456789abcdef').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MlflowError)
    expect(hasErrorCode(error, RESOURCE_DOES_NOT_EXIST)).toBe(true)
    expect((error as MlflowError).status).toBe(404)
    expect((error as MlflowError).message).toContain('0123456789abcdef0123456789abcdef')
    const model = await store.getRegisteredModel('ghost').catch((e: unknown) => e)
    expect((model as MlflowError).message).toContain('ghost')
  })

  test('searches runs by tag and param', async () => {
    const { store } = harness
    const experiment = await store.getOrCreateExperiment('search')
    const ids: string[] = []
    for (const sha of ['aaa', 'bbb', 'aaa']) {
      const run = await store.createRun({ experimentId: experiment.experimentId, tags: { sha } })
      await store.logBatch(run.info.runId, { params: [{ key: 'seed', value: String(ids.length) }] })
      ids.push(run.info.runId)
    }
    const byTag = await store.searchRuns({
      experimentIds: [experiment.experimentId],
      filter: "tags.sha = 'aaa'",
    })
    expect(byTag.map((r) => r.info.runId).sort()).toEqual([ids[0], ids[2]].sort())
    const both = await store.searchRuns({
      experimentIds: [experiment.experimentId],
      filter: "tags.sha = 'aaa' and params.seed = '2'",
    })
    expect(both.map((r) => r.info.runId)).toEqual([ids[2]])
  })
})
