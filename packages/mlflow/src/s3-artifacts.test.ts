// Direct S3 upload when a run's artifact root is s3://, against s3rver (a local S3 implementation) and
// checked with a plain SDK client, not with the code under test.
import { createHash, randomBytes } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import S3rver from 's3rver'
import { startFakeMlflowServer, type FakeMlflowServer } from './__fixtures__/fake-mlflow-server.js'
import { fileDigest, tempDir, treeDigest, writeModelFolder } from './__fixtures__/model-folder.js'
import { downloadModel } from './model-uri.js'
import { RestStore } from './rest-store.js'
import type { S3Options } from './s3-artifacts.js'

const BUCKET = 'mlflow-artifacts'
const MiB = 1024 * 1024

describe('artifacts straight to S3', () => {
  let dir: string
  let s3: S3rver
  let server: FakeMlflowServer
  let s3Options: S3Options
  let inspector: S3Client

  beforeAll(async () => {
    dir = await tempDir('s3')
    s3 = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: join(dir, 's3rver'),
      configureBuckets: [{ name: BUCKET, configs: [] }],
    })
    const { port } = (await s3.run()) as AddressInfo
    s3Options = {
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      partSizeBytes: 5 * MiB,
    }
    inspector = new S3Client({ ...s3Options, requestChecksumCalculation: 'WHEN_REQUIRED' })
    server = await startFakeMlflowServer({ artifactRoot: `s3://${BUCKET}/experiments` })
  })

  afterAll(async () => {
    inspector.destroy()
    await server.close()
    await s3.close()
    await rm(dir, { recursive: true, force: true })
  })

  test('uploads a model folder and a multipart-sized file to S3, then downloads by alias byte-identical', async () => {
    const commands: string[] = []
    const client = new S3Client({ ...s3Options, requestChecksumCalculation: 'WHEN_REQUIRED' })
    client.middlewareStack.add(
      (next, context) => async (args) => {
        commands.push(String(context.commandName))
        return next(args)
      },
      { step: 'initialize' },
    )
    const store = new RestStore({ trackingUri: server.url, s3: { ...s3Options, client } })
    const experiment = await store.getOrCreateExperiment('s3-exp')
    const run = await store.createRun({ experimentId: experiment.experimentId })
    const runId = run.info.runId
    expect(run.info.artifactUri).toBe(
      `s3://${BUCKET}/experiments/${experiment.experimentId}/${runId}/artifacts`,
    )

    const modelDir = join(dir, 'model')
    await writeModelFolder(modelDir)
    // Larger than one S3 part, so it goes up as a multipart upload.
    await writeFile(join(modelDir, 'weights.bin'), randomBytes(12 * MiB + 3))
    await store.uploadArtifacts(runId, modelDir, 'model')

    // The big file went in parts, the small ones whole.
    const parts = Math.ceil((12 * MiB + 3) / s3Options.partSizeBytes!)
    expect(commands.filter((c) => c === 'UploadPartCommand')).toHaveLength(parts)
    expect(commands.filter((c) => c === 'CompleteMultipartUploadCommand')).toHaveLength(1)
    expect(commands.filter((c) => c === 'PutObjectCommand')).toHaveLength(
      Object.keys(await treeDigest(modelDir)).length - 1,
    )
    // Nothing went through the tracking server's artifact proxy.
    expect(server.requests.some((r) => r.path.startsWith('/api/2.0/mlflow-artifacts/'))).toBe(false)

    const prefix = `experiments/${experiment.experimentId}/${runId}/artifacts/model/`
    const listed = await inspector.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))
    const keys = (listed.Contents ?? []).map((o) => o.Key!.slice(prefix.length)).sort()
    const expected = await treeDigest(modelDir)
    expect(keys).toEqual(Object.keys(expected).sort())
    for (const key of keys) {
      const object = await inspector.send(new GetObjectCommand({ Bucket: BUCKET, Key: prefix + key }))
      const bytes = await object.Body!.transformToByteArray()
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(expected[key])
    }

    await store.getOrCreateRegisteredModel('s3-model')
    const version = await store.createModelVersion(
      { name: 's3-model', source: `runs:/${runId}/model`, runId },
      { timeoutMs: 5_000 },
    )
    await store.setAlias('s3-model', 'challenger', version.version)
    const downloaded = await downloadModel('models:/s3-model@challenger', store, join(dir, 'down'))
    expect(downloaded.artifactUri.startsWith('s3://')).toBe(true)
    expect(await treeDigest(downloaded.path)).toEqual(expected)
    expect(await fileDigest(join(downloaded.path, 'weights.bin'))).toBe(expected['weights.bin'])
    client.destroy()
  })

  test('a missing object is RESOURCE_DOES_NOT_EXIST naming the S3 location', async () => {
    const store = new RestStore({ trackingUri: server.url, s3: s3Options })
    const error = await store
      .downloadArtifactUri(`s3://${BUCKET}/nothing/here.bin`, join(dir, 'none'))
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST' })
    expect((error as Error).message).toContain(`s3://${BUCKET}/nothing/here.bin`)
  })
})
