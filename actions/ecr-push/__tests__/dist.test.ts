import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { runAction, type ActionRun } from '@mlops/cli'
import {
  freePort,
  skopeo,
  startLocalRegistry,
  type LocalRegistry,
} from '../../../packages/oci/src/__fixtures__/local-registry.js'
import { writeFakeBundle } from '../../../packages/oci/src/__fixtures__/model-bundle.js'
import { writeTinyBaseLayout } from '../../../packages/oci/src/__fixtures__/tiny-base-image.js'

/** The action as users get it: action.yml and the committed dist/ in a folder with no node_modules. */
const source = resolve(import.meta.dirname, '..')
let root: string
let actionDir: string
let workspace: string
let registry: LocalRegistry
let guarded: LocalRegistry

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ecr-push-dist-'))
  actionDir = join(root, 'action')
  workspace = join(root, 'workspace')
  await mkdir(actionDir)
  await mkdir(workspace)
  await cp(join(source, 'action.yml'), join(actionDir, 'action.yml'))
  await cp(join(source, 'dist'), join(actionDir, 'dist'), { recursive: true })
  await writeFakeBundle(join(workspace, 'model'))
  await writeTinyBaseLayout(join(workspace, 'serve-layout'), 'v1')
  ;[registry, guarded] = await Promise.all([
    startLocalRegistry(),
    startLocalRegistry({ basicAuth: { username: 'ci', password: 'secret-pw' } }),
  ])
  skopeo([
    'copy',
    '--quiet',
    '--dest-tls-verify=false',
    `oci:${join(workspace, 'serve-layout')}:v1`,
    `docker://${registry.host}/serve:1`,
  ])
})
afterAll(async () => {
  await Promise.all([registry?.stop(), guarded?.stop()])
  await rm(root, { recursive: true, force: true })
})

async function push(inputs: Record<string, string>): Promise<ActionRun & { log: string }> {
  const lines: string[] = []
  // A socket that does not exist: `docker info` fails even on a runner with Docker, so auto means assemble.
  const env: Record<string, string | undefined> = {
    DOCKER_HOST: 'unix:///nonexistent/docker.sock',
    SOURCE_DATE_EPOCH: undefined,
    AWS_ACCESS_KEY_ID: undefined,
    AWS_PROFILE: undefined,
    AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
  }
  const result = await runAction({ actionDir, inputs, workspace, env, write: (line) => lines.push(line) })
  return { ...result, log: lines.join('\n') }
}

const release = (host: string) => ({
  bundle: 'model',
  repository: 'models/readmission',
  registry: host,
  'insecure-registry': 'true',
  'base-image': `${host}/serve:1`,
  'model-version': '3',
})

describe('ecr-push from its committed dist, assemble mode, against docker-registry', () => {
  let digest: string

  it('auto mode without a Docker daemon assembles, pushes by digest, and skopeo reads labels and layers back', async () => {
    const run = await push({ ...release(registry.host), tags: '3, stable', 'layout-dir': 'out/layout' })
    expect(run.exitCode).toBe(0)
    expect(run.log).toContain('Build mode: assemble (auto)')
    digest = run.outputs.digest!
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(run.outputs.image).toBe(`${registry.host}/models/readmission@${digest}`)
    expect(run.outputs.tags).toBe('3,stable')
    expect(run.outputs.registry).toBe(registry.host)
    const inspect = JSON.parse(
      skopeo(['inspect', '--tls-verify=false', `docker://${registry.host}/models/readmission:stable`]),
    )
    expect(inspect.Digest).toBe(digest)
    expect(inspect.Labels).toMatchObject({
      'io.mlops.model.name': 'readmission',
      'io.mlops.model.version': '3',
      'io.mlops.model.data-hash': `sha256:${'ab'.repeat(32)}`,
      'io.mlops.model.git-sha': '0123456789abcdef0123456789abcdef01234567',
      'org.opencontainers.image.base.name': `${registry.host}/serve:1`,
    })
    expect(inspect.Env).toContain('MODEL_URI=/model')
    expect(inspect.Layers).toHaveLength(2)
    expect(run.log).toMatch(/model layer sha256:[0-9a-f]{64}: uploaded/)
    expect(run.log).toMatch(/base layer sha256:[0-9a-f]{64}: mounted/)
    expect(run.summary).toContain('## ecr-push: ')
    expect(run.summary).toContain('### Layers')
    expect(run.summary).toMatch(
      /\| sha256:[0-9a-f]{12}… \| model layer \| \d+\.\d KB \| \d+\.\d% \| uploaded \|/,
    )
    expect(JSON.parse(skopeo(['inspect', `oci:${join(workspace, 'out/layout')}:3`])).Digest).toBe(digest)
  })

  it('a second run pushes the same digest and uploads nothing', async () => {
    const run = await push({ ...release(registry.host), tags: '3, stable' })
    expect(run.exitCode).toBe(0)
    expect(run.outputs.digest).toBe(digest)
    expect(run.log).not.toMatch(/: (uploaded|mounted) \(/)
    expect(run.log.match(/: exists \(/g)).toHaveLength(3)
  })

  it('with no registry and no AWS credentials it writes the OCI layout (the embedded default) from a layout base', async () => {
    const run = await push({
      bundle: 'model',
      repository: 'models/readmission',
      'base-image': 'oci:serve-layout:v1',
      'model-version': '3',
    })
    expect(run.exitCode).toBe(0)
    const layout = join(workspace, 'image-layout')
    expect(run.outputs.image).toBe(`oci:${layout}:3`)
    expect(run.outputs.registry).toBe('')
    // The same base, bundle and labels as the registry push, except the base name label.
    const inspect = JSON.parse(skopeo(['inspect', `oci:${layout}:3`]))
    expect(inspect.Digest).toBe(run.outputs.digest)
    expect(inspect.Labels['org.opencontainers.image.base.name']).toBe(
      `oci:${join(workspace, 'serve-layout')}:v1`,
    )
    skopeo([
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      `oci:${layout}:3`,
      `docker://${registry.host}/copied:3`,
    ])
    expect(
      JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${registry.host}/copied:3`])).Digest,
    ).toBe(run.outputs.digest)
  })

  describe('failures are one clear line naming the image or registry, never a stack trace', () => {
    const cases: Array<[string, () => Promise<Record<string, string>>, RegExp]> = [
      [
        'a base image that does not exist',
        async () => ({ ...release(registry.host), 'base-image': `${registry.host}/serve:nope` }),
        /error: Image 127\.0\.0\.1:\d+\/serve:nope does not exist: check the repository name and the tag/,
      ],
      [
        'an unreachable registry',
        async () => {
          const host = `127.0.0.1:${await freePort()}`
          return { ...release(host), 'base-image': 'oci:serve-layout:v1' }
        },
        /error: Cannot reach the registry at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED.*\)\. Check the registry address and that it is running\./,
      ],
      [
        'a registry that wants a login (401)',
        async () => ({ ...release(guarded.host), 'base-image': 'oci:serve-layout:v1' }),
        /error: The registry 127\.0\.0\.1:\d+ answered HTTP 401 to push to models\/readmission: it asks for a user name and password\. Log in first/,
      ],
      [
        'wrong registry credentials',
        async () => ({
          ...release(guarded.host),
          'base-image': 'oci:serve-layout:v1',
          'registry-username': 'ci',
          'registry-password': 'wrong-pw',
        }),
        /error: The registry 127\.0\.0\.1:\d+ answered HTTP 401 to push to models\/readmission: it refused the credentials\. Check that/,
      ],
      [
        'assemble mode without a base image',
        async () => ({ ...release(registry.host), 'base-image': '' }),
        /Input 'base-image' is required in assemble mode/,
      ],
      [
        'a bad tag',
        async () => ({ ...release(registry.host), tags: 'v1:latest' }),
        /Input 'tags' has 'v1:latest', which is not a valid tag/,
      ],
      [
        'a folder that is not a bundle',
        async () => ({ ...release(registry.host), bundle: 'serve-layout' }),
        /has no MLmodel file: point it at the model bundle folder/,
      ],
    ]
    it.each(cases)('%s', async (_, inputs, message) => {
      const run = await push(await inputs())
      expect(run.exitCode).toBe(1)
      expect(run.log).toMatch(message)
      expect(run.log).not.toMatch(/\n\s+at /)
      expect(run.log).not.toContain('wrong-pw')
    })
  })

  it('pushes to a registry with basic auth when given credentials, and never prints the password', async () => {
    const run = await push({
      ...release(guarded.host),
      'base-image': 'oci:serve-layout:v1',
      'registry-username': 'ci',
      'registry-password': 'secret-pw',
    })
    expect(run.exitCode).toBe(0)
    expect(run.log).not.toContain('secret-pw')
    expect(run.summary).not.toContain('secret-pw')
  })
})
