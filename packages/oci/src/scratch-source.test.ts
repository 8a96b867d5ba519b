import { execFileSync } from 'node:child_process'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { assembleImage } from './assemble-image.js'
import { folderLayer } from './deterministic-tar.js'
import { writeImageLayout } from './image-layout.js'
import { scratchSource } from './scratch-source.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oci-scratch-'))
  await mkdir(join(dir, 'app'))
  await writeFile(join(dir, 'app/server.mjs'), 'console.log("serving")\n')
})
afterAll(() => rm(dir, { recursive: true, force: true }))

async function build(layout: string) {
  const image = await assembleImage({
    base: scratchSource({ entrypoint: ['node', '/app/server.mjs'], user: '10001', exposedPorts: [8080] }),
    layer: await folderLayer(join(dir, 'app'), 'app'),
    env: { PORT: '8080' },
    labels: { 'org.opencontainers.image.title': 'serve' },
    created: '1970-01-01T00:00:00Z',
  })
  return writeImageLayout(layout, image, ['base'])
}

describe('scratch base', () => {
  test('one layer and its config make an image skopeo reads, with the same digest every time', async () => {
    const first = await build(join(dir, 'layout-1'))
    const second = await build(join(dir, 'layout-2'))
    expect(second.digest).toBe(first.digest)
    const config = JSON.parse(
      execFileSync('skopeo', ['inspect', '--config', `oci:${join(dir, 'layout-1')}:base`], {
        encoding: 'utf8',
      }),
    )
    expect(config.config).toMatchObject({
      Entrypoint: ['node', '/app/server.mjs'],
      User: '10001',
      Env: ['PORT=8080'],
      ExposedPorts: { '8080/tcp': {} },
      Labels: { 'org.opencontainers.image.title': 'serve' },
    })
    expect(config.rootfs.diff_ids).toHaveLength(1)
  })
})
