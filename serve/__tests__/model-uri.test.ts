import { createRequire } from 'node:module'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileStore, registerModelBundle } from '@mlops/mlflow'
import { readConfig } from '../src/config.js'
import { loadModel, ModelLoadError } from '../src/model/load-model.js'
import { tabularBundle } from './test-bundle.js'

/** MODEL_URI through packages/mlflow against the local FileStore (the embedded default: no server needed). */
let root: string
let bundle: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'serve-mlruns-'))
  bundle = await tabularBundle()
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
  await rm(bundle, { recursive: true, force: true })
})

test('models:/name@alias, models:/name/N and runs:/ load the registered bundle with its registry name and version', async () => {
  const mlruns = join(root, 'mlruns')
  const store = await FileStore.open(mlruns)
  const registered = await registerModelBundle({
    store,
    bundleDir: bundle,
    experiment: 'serve',
    modelName: 'readmission',
    alias: 'champion',
  })
  const cache = join(root, 'cache')
  const env = { MLFLOW_TRACKING_URI: mlruns, ORT_INTRA_OP_THREADS: '1', MODEL_CACHE_DIR: cache }
  for (const uri of ['models:/readmission@champion', `models:/readmission/${registered.version}`]) {
    const model = await loadModel(readConfig({ ...env, MODEL_URI: uri }))
    try {
      expect([uri, model.name, model.version]).toEqual([uri, 'readmission', registered.version])
      expect(model.schema.features.map((f) => f.name)).toEqual(['age', 'bmi', 'visits', 'ward', 'insulin'])
      expect(model.reference).toContain('reference-profile')
      const out = await model.infer([[63, 31.2, 3, 'cardio', 'yes']])
      expect(out.labels).toEqual(['yes'])
    } finally {
      await model.release()
    }
  }
  const byRun = await loadModel(
    readConfig({ ...env, MODEL_URI: `runs:/${registered.runId}/model`, MODEL_VERSION: '9' }),
  )
  expect([byRun.name, byRun.version]).toEqual(['model', '9'])
  await byRun.release()
  // Each load downloads into its own folder and release() removes it.
  expect((await readdir(root)).filter((f) => f.startsWith('cache'))).toEqual([])
})

test('a wrong URI or a folder that is not a bundle is a clear ModelLoadError', async () => {
  const base = {
    ORT_INTRA_OP_THREADS: '1',
    MLFLOW_TRACKING_URI: join(root, 'mlruns'),
    MODEL_CACHE_DIR: join(root, 'cache'),
  }
  await expect(loadModel(readConfig({ ...base, MODEL_URI: 'models:/nope@champion' }))).rejects.toThrow(
    ModelLoadError,
  )
  await expect(loadModel(readConfig({ ...base, MODEL_URI: 'ftp://x/y' }))).rejects.toThrow(
    /MODEL_URI: Unsupported model URI 'ftp:\/\/x\/y'/,
  )
  await expect(loadModel(readConfig({ ...base, MODEL_URI: root }))).rejects.toThrow(/MLmodel is missing/)
  expect(() => readConfig({ BATCH_MAX_SIZE: '0' })).toThrow(
    "BATCH_MAX_SIZE must be a whole number from 1 to 4096, got '0'",
  )
  expect(() => readConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL must be one of debug, info, warn, error/)
})

test('s3:// bundles download from an S3 endpoint (s3rver) with the MLflow S3 variables', async () => {
  // s3rver and the AWS SDK are dependencies of @mlops/mlflow (the code that talks to S3), not of serve.
  const fromMlflow = createRequire(createRequire(import.meta.url).resolve('@mlops/mlflow'))
  const S3rver = fromMlflow('s3rver')
  const { S3Client, PutObjectCommand } = fromMlflow('@aws-sdk/client-s3')
  const s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: join(root, 's3rver'),
    configureBuckets: [{ name: 'models', configs: [] }],
  })
  const { port } = (await s3.run()) as AddressInfo
  const endpoint = `http://127.0.0.1:${port}`
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials })
  try {
    for (const file of await readdir(bundle)) {
      await client.send(
        new PutObjectCommand({
          Bucket: 'models',
          Key: `readmission/3/${file}`,
          Body: await readFile(join(bundle, file)),
        }),
      )
    }
    const env = {
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      MLFLOW_S3_ENDPOINT_URL: endpoint,
    }
    const config = readConfig({
      MODEL_URI: 's3://models/readmission/3',
      MODEL_NAME: 'readmission',
      MODEL_VERSION: '3',
      ORT_INTRA_OP_THREADS: '1',
      MODEL_CACHE_DIR: join(root, 's3-cache'),
    })
    const model = await loadModel(config, env)
    try {
      expect(model.dir.startsWith(join(root, 's3-cache-'))).toBe(true)
      expect((await model.infer([[25, 22, 0, 'ortho', 'no']])).labels).toEqual(['no'])
    } finally {
      await model.release()
    }
    await expect(loadModel({ ...config, modelUri: 's3://models/nothing-here' }, env)).rejects.toThrow(
      ModelLoadError,
    )
  } finally {
    client.destroy()
    await s3.close()
  }
})
