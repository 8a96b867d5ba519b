// Reads what the FileStore wrote with nothing but the rules of the reference page (shared/reference/mlflow.md),
// as `mlflow ui` would: if these pass, MLflow can open the folder.
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { tempDir, treeDigest, writeModelFolder } from './__fixtures__/model-folder.js'
import { FileStore } from './file-store.js'

const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/
const EXPERIMENT_ID = /^[a-zA-Z0-9][\w-]{0,63}$/
const STATUS = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 }

async function yamlOf(path: string): Promise<Record<string, unknown>> {
  return parse(await readFile(path, 'utf8'), { version: '1.1' }) as Record<string, unknown>
}

/** Each line "<timestamp_ms> <value> <step>", value as Python prints floats (nan/inf allowed). */
function parseMetricLines(text: string): { timestamp: number; value: number; step: number }[] {
  expect(text.endsWith('\n')).toBe(true)
  return text
    .trimEnd()
    .split('\n')
    .map((line) => {
      const fields = line.split(' ')
      expect(fields).toHaveLength(3)
      const [ts, value, step] = fields as [string, string, string]
      expect(ts).toMatch(/^\d+$/)
      expect(step).toMatch(/^-?\d+$/)
      expect(value).toMatch(/^(-?inf|nan|-?\d+(\.\d+)?(e[+-]?\d+)?)$/)
      const v =
        value === 'nan' ? NaN : value === 'inf' ? Infinity : value === '-inf' ? -Infinity : Number(value)
      return { timestamp: Number(ts), value: v, step: Number(step) }
    })
}

describe('FileStore on-disk layout', () => {
  let dir: string
  let root: string

  beforeEach(async () => {
    dir = await tempDir('layout')
    root = join(dir, 'mlruns')
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  test('a new store holds experiment 0 "Default"', async () => {
    await FileStore.open(root)
    const meta = await yamlOf(join(root, '0', 'meta.yaml'))
    expect(meta).toMatchObject({ experiment_id: '0', name: 'Default', lifecycle_stage: 'active' })
    expect(fileURLToPath(String(meta['artifact_location']))).toBe(join(root, '0'))
    // Opening again does not rewrite it.
    const before = (await stat(join(root, '0', 'meta.yaml'))).mtimeMs
    await FileStore.open(root)
    expect((await stat(join(root, '0', 'meta.yaml'))).mtimeMs).toBe(before)
  })

  test('experiments, runs, metrics, params, tags, artifacts and the registry follow the reference layout', async () => {
    let clock = 1_700_000_000_000
    const store = await FileStore.open(root, { now: () => clock++ })
    const experiment = await store.getOrCreateExperiment('yes', { owner: 'on' })
    const expId = experiment.experimentId
    expect(expId).toMatch(/^\d+$/)
    expect(expId).toMatch(EXPERIMENT_ID)

    const expMeta = await yamlOf(join(root, expId, 'meta.yaml'))
    // A YAML 1.1 reader (PyYAML) must see strings, not booleans, for 'yes' and 'on'.
    expect(expMeta).toEqual({
      artifact_location: expect.stringMatching(/^file:\/\//),
      creation_time: expect.any(Number),
      experiment_id: expId,
      last_update_time: expect.any(Number),
      lifecycle_stage: 'active',
      name: 'yes',
    })
    expect(await readFile(join(root, expId, 'meta.yaml'), 'utf8')).toContain(`experiment_id: '${expId}'`)
    expect(await readFile(join(root, expId, 'tags', 'owner'), 'utf8')).toBe('on')

    const run = await store.createRun({
      experimentId: expId,
      runName: 'r1',
      userId: 'alice',
      startTime: 1234,
    })
    const runId = run.info.runId
    expect(runId).toMatch(RUN_ID)
    expect(runId).toMatch(/^[0-9a-f]{32}$/)
    const runDir = join(root, expId, runId)
    let runMeta = await yamlOf(join(runDir, 'meta.yaml'))
    expect(runMeta).toEqual({
      artifact_uri: expect.stringMatching(/^file:\/\//),
      end_time: null,
      experiment_id: expId,
      lifecycle_stage: 'active',
      run_id: runId,
      run_uuid: runId,
      run_name: 'r1',
      start_time: 1234,
      status: STATUS.RUNNING,
      user_id: 'alice',
    })
    expect(fileURLToPath(String(runMeta['artifact_uri']))).toBe(join(runDir, 'artifacts'))
    expect(await readFile(join(runDir, 'tags', 'mlflow.runName'), 'utf8')).toBe('r1')
    expect(await readFile(join(runDir, 'tags', 'mlflow.user'), 'utf8')).toBe('alice')

    const points = [
      { key: 'loss', value: 0.5, step: 0, timestamp: 100 },
      { key: 'loss', value: 1, step: 1, timestamp: 101 },
      { key: 'loss', value: NaN, step: 2, timestamp: 102 },
      { key: 'loss', value: Infinity, step: 3, timestamp: 103 },
      { key: 'loss', value: -Infinity, step: 4, timestamp: 104 },
      { key: 'loss', value: 1e-7, step: 5, timestamp: 105 },
      { key: 'train/acc', value: 0.75, step: 7, timestamp: 106 },
    ]
    await store.logBatch(runId, {
      metrics: points,
      params: [
        { key: 'lr', value: '0.01' },
        { key: 'opt/name', value: 'adam\nwith newline' },
      ],
      tags: [{ key: 'note', value: 'x' }],
    })
    await store.logBatch(runId, { metrics: [{ key: 'loss', value: 0.25, step: 6, timestamp: 107 }] })

    const lossLines = parseMetricLines(await readFile(join(runDir, 'metrics', 'loss'), 'utf8'))
    const expectedLoss = [...points.filter((p) => p.key === 'loss'), { value: 0.25, step: 6, timestamp: 107 }]
    expect(lossLines).toHaveLength(expectedLoss.length)
    lossLines.forEach((line, i) => {
      expect(line.timestamp).toBe(expectedLoss[i]!.timestamp)
      expect(line.step).toBe(expectedLoss[i]!.step)
      expect(Object.is(line.value, expectedLoss[i]!.value) || line.value === expectedLoss[i]!.value).toBe(
        true,
      )
    })
    const raw = await readFile(join(runDir, 'metrics', 'loss'), 'utf8')
    expect(raw.split('\n')[1]).toBe('101 1.0 1')
    expect(raw).toContain(' nan 2\n')
    expect(raw).toContain(' inf 3\n')
    expect(raw).toContain(' -inf 4\n')
    // "/" in a key makes a subfolder.
    expect((await stat(join(runDir, 'metrics', 'train'))).isDirectory()).toBe(true)
    expect(parseMetricLines(await readFile(join(runDir, 'metrics', 'train', 'acc'), 'utf8'))).toEqual([
      { timestamp: 106, value: 0.75, step: 7 },
    ])
    // Params and tags: raw values, no trailing newline.
    expect(await readFile(join(runDir, 'params', 'lr'), 'utf8')).toBe('0.01')
    expect(await readFile(join(runDir, 'params', 'opt', 'name'), 'utf8')).toBe('adam\nwith newline')
    expect(await readFile(join(runDir, 'tags', 'note'), 'utf8')).toBe('x')

    await store.updateRun(runId, { status: 'FINISHED', endTime: 5678 })
    runMeta = await yamlOf(join(runDir, 'meta.yaml'))
    expect(runMeta['status']).toBe(STATUS.FINISHED)
    expect(runMeta['end_time']).toBe(5678)

    const modelDir = join(dir, 'model')
    await writeModelFolder(modelDir)
    await store.uploadArtifacts(runId, modelDir, 'model')
    expect(await treeDigest(join(runDir, 'artifacts', 'model'))).toEqual(await treeDigest(modelDir))

    // Registry
    await store.getOrCreateRegisteredModel('churn')
    const modelMeta = await yamlOf(join(root, 'models', 'churn', 'meta.yaml'))
    expect(modelMeta).toMatchObject({ name: 'churn', creation_timestamp: expect.any(Number) })
    expect(modelMeta).toHaveProperty('last_updated_timestamp')
    expect(modelMeta).toHaveProperty('description')
    const v1 = await store.createModelVersion({ name: 'churn', source: `runs:/${runId}/model`, runId })
    const v2 = await store.createModelVersion({ name: 'churn', source: `runs:/${runId}/model`, runId })
    expect([v1.version, v2.version]).toEqual(['1', '2'])
    const versionMeta = await yamlOf(join(root, 'models', 'churn', 'version-2', 'meta.yaml'))
    expect(versionMeta).toEqual({
      name: 'churn',
      version: 2,
      creation_timestamp: expect.any(Number),
      last_updated_timestamp: expect.any(Number),
      current_stage: 'None',
      description: null,
      run_id: runId,
      source: `runs:/${runId}/model`,
      storage_location: `${String(runMeta['artifact_uri'])}/model`,
      status: 'READY',
    })
    expect(await store.getModelVersionDownloadUri('churn', '2')).toBe(versionMeta['storage_location'])

    await store.setAlias('churn', 'challenger', v2.version)
    expect(await readFile(join(root, 'models', 'churn', 'aliases', 'challenger'), 'utf8')).toBe('2')
    await store.setModelVersionTag('churn', '2', 'validated', 'true')
    expect(await readFile(join(root, 'models', 'churn', 'version-2', 'tags', 'validated'), 'utf8')).toBe(
      'true',
    )

    // Next version = highest version-N + 1, even with gaps.
    await mkdir(join(root, 'models', 'churn', 'version-9'))
    await writeFile(
      join(root, 'models', 'churn', 'version-9', 'meta.yaml'),
      await readFile(join(root, 'models', 'churn', 'version-2', 'meta.yaml'), 'utf8').then((t) =>
        t.replace('version: 2', 'version: 9'),
      ),
    )
    const v10 = await store.createModelVersion({ name: 'churn', source: `runs:/${runId}/model` })
    expect(v10.version).toBe('10')

    // Nothing else at the top level: experiments, the registry, and MLflow's trash folder.
    const top = (await readdir(root)).sort()
    expect(top).toEqual(['.trash', '0', expId, 'models'].sort())
  })

  test('reads a folder written by MLflow itself (Python float formatting, old metric lines without step)', async () => {
    const store = await FileStore.open(root)
    const experiment = await store.getOrCreateExperiment('legacy')
    const run = await store.createRun({ experimentId: experiment.experimentId })
    const metrics = join(root, experiment.experimentId, run.info.runId, 'metrics')
    await writeFile(join(metrics, 'old'), '1000 0.5\n2000 1e-05 3\n3000 nan 4\n')
    const history = await store.getMetricHistory(run.info.runId, 'old')
    expect(history.map((m) => m.step)).toEqual([0, 3, 4])
    expect(history[1]?.value).toBe(1e-5)
    expect(history[2]?.value).toBeNaN()
    expect((await store.getRun(run.info.runId)).data.metrics['old']?.step).toBe(4)
  })

  test('keys that would leave their folder and reserved alias names are refused', async () => {
    const store = await FileStore.open(root)
    const experiment = await store.getOrCreateExperiment('guard')
    const run = await store.createRun({ experimentId: experiment.experimentId })
    for (const key of ['../escape', 'a/../b', '/abs', 'bad\\slash', '']) {
      await expect(store.logBatch(run.info.runId, { params: [{ key, value: '1' }] })).rejects.toMatchObject({
        status: 400,
      })
    }
    await expect(store.uploadArtifact(run.info.runId, thisFile(), '../x')).rejects.toMatchObject({
      message: expect.stringContaining('Invalid path'),
    })
    await store.getOrCreateRegisteredModel('m')
    const v = await store.createModelVersion({ name: 'm', source: `runs:/${run.info.runId}` })
    for (const alias of ['latest', 'LATEST', 'v1', 'V12']) {
      await expect(store.setAlias('m', alias, v.version)).rejects.toMatchObject({ status: 400 })
    }
    await expect(store.createModelVersion({ name: 'm', source: '/etc/passwd' })).rejects.toMatchObject({
      status: 400,
    })
    await expect(
      store.createModelVersion({ name: 'm', source: `runs:/${run.info.runId}/../../x` }),
    ).rejects.toMatchObject({ status: 400 })
  })
})

function thisFile(): string {
  return fileURLToPath(import.meta.url)
}
