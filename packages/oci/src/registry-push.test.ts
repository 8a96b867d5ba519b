import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startLocalRegistry, skopeo, type LocalRegistry } from './__fixtures__/local-registry.js'
import { readTree, writeFakeBundle } from './__fixtures__/model-bundle.js'
import { writeTinyBaseLayout } from './__fixtures__/tiny-base-image.js'
import { assembleImage, epochTimestamp, modelImageLabels } from './assemble-image.js'
import { folderLayer } from './deterministic-tar.js'
import { writeImageLayout } from './image-layout.js'
import { openImageSource } from './image-source.js'
import { pushImage } from './push-image.js'
import { RegistryClient, type RegistryRequestRecord } from './registry-client.js'

let registry: LocalRegistry
let work: string
let bundle: string
let baseLayout: string

beforeAll(async () => {
  registry = await startLocalRegistry()
  work = await mkdtemp(join(tmpdir(), 'oci-push-'))
  bundle = join(work, 'bundle')
  baseLayout = join(work, 'base-layout')
  await writeFakeBundle(bundle)
  await writeTinyBaseLayout(baseLayout, 'base')
  // The base reaches the registry through skopeo, an independent client, as a published serve image would.
  skopeo([
    'copy',
    '--quiet',
    '--dest-tls-verify=false',
    `oci:${baseLayout}:base`,
    `docker://${registry.host}/serve:1`,
  ])
})
afterAll(async () => {
  await registry?.stop()
  await rm(work, { recursive: true, force: true })
})

function client(log: RegistryRequestRecord[] = [], chunkSize?: number): RegistryClient {
  return new RegistryClient({
    registry: registry.host,
    insecure: true,
    onRequest: (r) => log.push(r),
    ...(chunkSize ? { chunkSize } : {}),
  })
}

const created = epochTimestamp(0)
const labels = modelImageLabels({
  modelName: 'readmission',
  modelVersion: '3',
  dataHash: `sha256:${'ab'.repeat(32)}`,
  gitSha: '0123456789abcdef0123456789abcdef01234567',
  created,
})

/** Everything the action does in assemble mode, from a fresh layer build each time. */
async function assembleAndPush(
  repository: string,
  tags: string[],
  log: RegistryRequestRecord[],
  base?: string,
  chunkSize?: number,
) {
  const c = client(log, chunkSize)
  const layer = await folderLayer(bundle, 'model')
  const image = await assembleImage({
    base: openImageSource(base ?? `${registry.host}/serve:1`, () => c),
    layer,
    env: { MODEL_URI: '/model' },
    labels,
    created,
  })
  return { image, pushed: await pushImage(c, repository, image, tags) }
}

const uploads = (log: RegistryRequestRecord[]) =>
  log.filter((r) => (r.method === 'POST' || r.method === 'PATCH') && r.path.includes('/blobs/uploads/'))

describe('assemble and push to a real registry (docker-registry 2.8), read back by skopeo', () => {
  let firstDigest: string
  let layerDigest: string

  it('pushes base + model layer with labels and env; skopeo sees them; the layer untars to the bundle byte for byte', async () => {
    const log: RegistryRequestRecord[] = []
    const { image, pushed } = await assembleAndPush('models/readmission', ['3', 'latest'], log)
    firstDigest = pushed.digest
    layerDigest = image.layer.digest
    expect(pushed.digest).toBe(image.root.digest)
    // The base layer is mounted from serve (same registry), the model layer and config are uploaded.
    expect(pushed.blobs.map((b) => [b.kind, b.result])).toEqual([
      ['base layer', 'mounted'],
      ['model layer', 'uploaded'],
      ['config', 'uploaded'],
    ])

    const inspect = JSON.parse(
      skopeo(['inspect', '--tls-verify=false', `docker://${registry.host}/models/readmission:3`]),
    )
    expect(inspect.Digest).toBe(pushed.digest)
    expect(inspect.Labels).toMatchObject({
      'io.mlops.model.name': 'readmission',
      'io.mlops.model.version': '3',
      'io.mlops.model.data-hash': `sha256:${'ab'.repeat(32)}`,
      'io.mlops.model.git-sha': '0123456789abcdef0123456789abcdef01234567',
      'org.opencontainers.image.title': 'readmission',
      'org.opencontainers.image.created': '1970-01-01T00:00:00Z',
    })
    expect(inspect.Layers).toHaveLength(2)
    expect(inspect.Layers[1]).toBe(layerDigest)
    expect(inspect.Env).toContain('MODEL_URI=/model')
    expect(inspect.Env).not.toContain('MODEL_URI=/somewhere-else')
    expect(inspect.Env).toContain('PATH=/usr/local/bin:/usr/bin:/bin')
    const config = JSON.parse(
      skopeo(['inspect', '--config', '--tls-verify=false', `docker://${registry.host}/models/readmission:3`]),
    )
    expect(config.config.User).toBe('10001')
    expect(config.config.Cmd).toEqual(['node', '/app/server.js'])

    // Pull the image with skopeo into a dir: transport and unpack the model layer with GNU tar.
    const pulled = join(work, 'pulled')
    skopeo([
      'copy',
      '--quiet',
      '--src-tls-verify=false',
      `docker://${registry.host}/models/readmission:3`,
      `dir:${pulled}`,
    ])
    const extracted = join(work, 'extracted')
    await mkdir(extracted)
    execFileSync('tar', ['-xzf', join(pulled, layerDigest.slice(7)), '-C', extracted])
    const expected = await readTree(bundle)
    const actual = await readTree(join(extracted, 'model'))
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort())
    for (const [path, bytes] of expected) expect(actual.get(path)!.equals(bytes)).toBe(true)
  })

  it('pushing the same inputs again gives the same digest, uploads no blob and writes nothing', async () => {
    const log: RegistryRequestRecord[] = []
    const { pushed } = await assembleAndPush('models/readmission', ['3', 'latest'], log)
    expect(pushed.digest).toBe(firstDigest)
    expect(pushed.blobs.every((b) => b.result === 'exists')).toBe(true)
    expect(pushed.updatedTags).toEqual([])
    expect(uploads(log)).toEqual([])
    // Only reads: the base manifest and config, three blob HEADs, two tag HEADs.
    expect(log.filter((r) => r.method !== 'GET' && r.method !== 'HEAD')).toEqual([])
    expect(
      log.filter((r) => r.method === 'HEAD').map((r) => r.path.replace(/sha256:[0-9a-f]{64}/, '<digest>')),
    ).toEqual([
      '/v2/models/readmission/blobs/<digest>',
      '/v2/models/readmission/blobs/<digest>',
      '/v2/models/readmission/blobs/<digest>',
      '/v2/models/readmission/manifests/3',
      '/v2/models/readmission/manifests/latest',
    ])
  })

  it('moves a tag that points elsewhere and leaves the tag that already names the digest', async () => {
    const c = client()
    const other = await c.getManifest('serve', '1')
    const config = (JSON.parse(other.bytes.toString()) as { config: { digest: string } }).config.digest
    expect(
      await c.pushBlob('models/readmission', config, () => c.getBlob('serve', config), {
        mountFrom: 'serve',
      }),
    ).toBe('mounted')
    await c.putManifest('models/readmission', 'latest', other.bytes, other.mediaType)
    const log: RegistryRequestRecord[] = []
    const { pushed } = await assembleAndPush('models/readmission', ['3', 'latest'], log)
    expect(pushed.updatedTags).toEqual(['latest'])
    expect(log.filter((r) => r.method === 'PUT').map((r) => r.path)).toEqual([
      '/v2/models/readmission/manifests/latest',
    ])
    expect(await c.manifestDigest('models/readmission', 'latest')).toBe(firstDigest)
  })

  it('lists tags and fetches the manifest back by digest', async () => {
    const c = client()
    expect((await c.listTags('models/readmission')).sort()).toEqual(['3', 'latest'])
    const manifest = await c.getManifest('models/readmission', firstDigest)
    expect(manifest.digest).toBe(firstDigest)
    expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json')
  })

  it('uploads large blobs in PATCH chunks with Content-Range; the registry accepts the result', async () => {
    const log: RegistryRequestRecord[] = []
    const { image, pushed } = await assembleAndPush('models/chunked', ['1'], log, undefined, 64 * 1024)
    const patches = log.filter((r) => r.method === 'PATCH')
    expect(patches).toHaveLength(Math.ceil(image.layer.compressed.length / (64 * 1024)))
    expect(pushed.digest).toBe(firstDigest)
    const inspect = JSON.parse(
      skopeo(['inspect', '--tls-verify=false', `docker://${registry.host}/models/chunked:1`]),
    )
    expect(inspect.Layers[1]).toBe(image.layer.digest)
  })

  it('the same image from the base layout folder has the same digest; its OCI layout passes skopeo inspect and copy', async () => {
    const layer = await folderLayer(bundle, 'model')
    const image = await assembleImage({
      base: openImageSource(`oci:${baseLayout}:base`, () => client()),
      layer,
      env: { MODEL_URI: '/model' },
      labels,
      created,
    })
    expect(image.root.digest).toBe(firstDigest)
    const layout = join(work, 'layout')
    await writeImageLayout(layout, image, ['3'])
    expect(JSON.parse(await readFile(join(layout, 'oci-layout'), 'utf8'))).toEqual({
      imageLayoutVersion: '1.0.0',
    })
    const inspect = JSON.parse(skopeo(['inspect', `oci:${layout}:3`]))
    expect(inspect.Digest).toBe(firstDigest)
    expect(inspect.Labels['io.mlops.model.name']).toBe('readmission')
    skopeo([
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      `oci:${layout}:3`,
      `docker://${registry.host}/from-layout:3`,
    ])
    const copied = JSON.parse(
      skopeo(['inspect', '--tls-verify=false', `docker://${registry.host}/from-layout:3`]),
    )
    expect(copied.Digest).toBe(firstDigest)
    expect(copied.Layers).toEqual(inspect.Layers)
  })

  it('a Docker schema 2 base keeps Docker media types, which skopeo and the registry accept', async () => {
    skopeo([
      'copy',
      '--quiet',
      '--format',
      'v2s2',
      '--dest-tls-verify=false',
      `oci:${baseLayout}:base`,
      `docker://${registry.host}/serve-docker:1`,
    ])
    const log: RegistryRequestRecord[] = []
    const { image, pushed } = await assembleAndPush(
      'models/docker',
      ['1'],
      log,
      `${registry.host}/serve-docker:1`,
    )
    const raw = JSON.parse(
      skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/models/docker:1`]),
    )
    expect(raw.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json')
    expect(raw.config.mediaType).toBe('application/vnd.docker.container.image.v1+json')
    expect(raw.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual([
      'application/vnd.docker.image.rootfs.diff.tar.gzip',
      'application/vnd.docker.image.rootfs.diff.tar.gzip',
    ])
    expect(raw.layers[1].digest).toBe(image.layer.digest)
    const inspect = JSON.parse(
      skopeo(['inspect', '--tls-verify=false', `docker://${registry.host}/models/docker:1`]),
    )
    expect(inspect.Digest).toBe(pushed.digest)
    expect(inspect.Labels['io.mlops.model.name']).toBe('readmission')
  })

  it('a multi-platform base gives an index with the model layer on every platform, or one platform on request', async () => {
    const multi = join(work, 'multi-layout')
    await writeTinyBaseLayout(multi, 'multi', [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64' },
    ])
    skopeo([
      'copy',
      '--quiet',
      '--all',
      '--dest-tls-verify=false',
      `oci:${multi}:multi`,
      `docker://${registry.host}/serve-multi:1`,
    ])
    const log: RegistryRequestRecord[] = []
    const { image, pushed } = await assembleAndPush(
      'models/multi',
      ['1'],
      log,
      `${registry.host}/serve-multi:1`,
    )
    expect(image.manifests.map((m) => m.platform?.architecture)).toEqual(['amd64', 'arm64'])
    const raw = JSON.parse(
      skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/models/multi:1`]),
    )
    expect(raw.mediaType).toBe('application/vnd.oci.image.index.v1+json')
    expect(pushed.digest).toBe(image.root.digest)
    const arm = JSON.parse(
      skopeo([
        'inspect',
        '--override-arch',
        'arm64',
        '--tls-verify=false',
        `docker://${registry.host}/models/multi:1`,
      ]),
    )
    expect(arm.Architecture).toBe('arm64')
    expect(arm.Labels['io.mlops.model.version']).toBe('3')
    expect(arm.Layers[1]).toBe(image.layer.digest)
    // The layout keeps the index; skopeo picks a platform from it and copies all of them.
    const layout = join(work, 'multi-out')
    await writeImageLayout(layout, image, ['1'])
    const fromLayout = JSON.parse(skopeo(['inspect', '--override-arch', 'arm64', `oci:${layout}:1`]))
    expect(fromLayout.Architecture).toBe('arm64')
    expect(fromLayout.Labels['io.mlops.model.name']).toBe('readmission')
    skopeo([
      'copy',
      '--quiet',
      '--all',
      '--dest-tls-verify=false',
      `oci:${layout}:1`,
      `docker://${registry.host}/multi-copy:1`,
    ])
    expect(
      JSON.parse(
        skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/multi-copy:1`]),
      ),
    ).toEqual(raw)

    const c = client()
    const one = await assembleImage({
      base: openImageSource(`${registry.host}/serve-multi:1`, () => c),
      layer: image.layer,
      env: { MODEL_URI: '/model' },
      labels,
      created,
      platforms: ['linux/arm64'],
    })
    expect(one.root.mediaType).toBe('application/vnd.oci.image.manifest.v1+json')
    expect(one.root.digest).toBe(image.manifests[1]!.digest)
    await expect(
      assembleImage({
        base: openImageSource(`${registry.host}/serve-multi:1`, () => c),
        layer: image.layer,
        env: {},
        labels,
        created,
        platforms: ['linux/s390x'],
      }),
    ).rejects.toThrow(
      `Base image ${registry.host}/serve-multi:1 has no linux/s390x variant; it has linux/amd64, linux/arm64`,
    )
  })
})
