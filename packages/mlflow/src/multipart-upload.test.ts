import { randomBytes } from 'node:crypto'
import { open, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { startFakeMlflowServer, type FakeMlflowServer } from './__fixtures__/fake-mlflow-server.js'
import { fileDigest, tempDir } from './__fixtures__/model-folder.js'
import { RestStore } from './rest-store.js'

const MiB = 1024 * 1024

/** Random bytes written a mebibyte at a time, so the test never holds the whole file in memory. */
async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const file = await open(path, 'w')
  try {
    for (let written = 0; written < bytes; written += MiB)
      await file.write(randomBytes(Math.min(MiB, bytes - written)))
  } finally {
    await file.close()
  }
}

describe('large artifacts through the proxy', () => {
  let server: FakeMlflowServer
  let dir: string
  const sleeps: number[] = []
  const sleep = async (ms: number): Promise<void> => void sleeps.push(ms)

  beforeEach(async () => {
    sleeps.length = 0
    dir = await tempDir('mpu')
  })
  afterEach(async () => {
    await server.close()
    await rm(dir, { recursive: true, force: true })
  })

  test('a 60 MB file goes up in parts; a part failing once with 500 is retried; the stored file is identical', async () => {
    server = await startFakeMlflowServer()
    const partSize = 10 * MiB
    const size = 60 * MiB + 12345
    const file = join(dir, 'model.onnx')
    await writeRandomFile(file, size)
    // The third part PUT fails once, as a storage node restarting would.
    server.inject({ method: 'PUT', path: /^\/presigned\//, skip: 2, times: 1, status: 500 })

    const store = new RestStore({
      trackingUri: server.url,
      retry: { sleep },
      multipart: { partSizeBytes: partSize, thresholdBytes: partSize },
    })
    const run = await store.createRun({ experimentId: '0' })
    await store.uploadArtifact(run.info.runId, file, 'model')

    const parts = Math.ceil(size / partSize)
    const partRequests = server.requests.filter((r) => r.path.startsWith('/presigned/'))
    expect(partRequests).toHaveLength(parts + 1)
    expect(partRequests.filter((r) => r.status === 500)).toHaveLength(1)
    // Presigned URLs carry their own signature: MLflow credentials must not travel there.
    expect(partRequests.every((r) => r.authorization === undefined)).toBe(true)
    expect(partRequests.every((r) => r.bytes <= partSize)).toBe(true)
    expect(sleeps).toHaveLength(1)
    expect(server.requests.some((r) => r.path.includes('/mpu/complete/'))).toBe(true)
    expect(server.requests.some((r) => r.path.includes('/mpu/abort/'))).toBe(false)
    expect(server.openUploads()).toBe(0)

    const stored = await server.artifactFile(`0/${run.info.runId}/artifacts/model/model.onnx`)
    expect(stored).toBeDefined()
    expect((await stat(stored!)).size).toBe(size)
    expect(await fileDigest(stored!)).toBe(await fileDigest(file))

    // And back down through the proxy, byte-identical.
    const local = await store.downloadArtifacts(run.info.runId, 'model/model.onnx', join(dir, 'down'))
    expect(await fileDigest(local)).toBe(await fileDigest(file))
  })

  test('a part that keeps failing aborts the upload and reports the failure', async () => {
    server = await startFakeMlflowServer()
    const file = join(dir, 'big.bin')
    await writeRandomFile(file, 6 * MiB)
    server.inject({ method: 'PUT', path: /^\/presigned\/[\w-]+\/2$/, times: 100, status: 503 })
    const store = new RestStore({
      trackingUri: server.url,
      retry: { sleep, attempts: 3 },
      multipart: { partSizeBytes: 2 * MiB, thresholdBytes: 2 * MiB },
    })
    const run = await store.createRun({ experimentId: '0' })
    const error = await store.uploadArtifact(run.info.runId, file).catch((e: unknown) => e)
    expect(error).toMatchObject({ status: 503 })
    expect((error as Error).message).toContain('part 2 of 3')
    expect(
      server.requests.filter((r) => r.path.endsWith('/2') && r.path.startsWith('/presigned/')),
    ).toHaveLength(3)
    expect(server.requests.some((r) => r.path.includes('/mpu/abort/'))).toBe(true)
    expect(server.openUploads()).toBe(0)
    expect(await server.artifactFile(`0/${run.info.runId}/artifacts/big.bin`)).toBeUndefined()
  })

  test('a server without multipart support (501) gets the file in one streamed PUT', async () => {
    server = await startFakeMlflowServer({ multipart: false })
    const file = join(dir, 'big.bin')
    await writeRandomFile(file, 5 * MiB + 7)
    const store = new RestStore({
      trackingUri: server.url,
      retry: { sleep },
      multipart: { partSizeBytes: 1 * MiB, thresholdBytes: 1 * MiB },
    })
    const run = await store.createRun({ experimentId: '0' })
    await store.uploadArtifact(run.info.runId, file)
    expect(server.requests.filter((r) => r.path.includes('/mpu/create/'))).toMatchObject([{ status: 501 }])
    expect(sleeps).toHaveLength(0)
    const stored = await server.artifactFile(`0/${run.info.runId}/artifacts/big.bin`)
    expect(await fileDigest(stored!)).toBe(await fileDigest(file))
  })
})
