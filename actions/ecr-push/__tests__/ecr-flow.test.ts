import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  skopeo,
  startLocalRegistry,
  type LocalRegistry,
} from '../../../packages/oci/src/__fixtures__/local-registry.js'
import { writeFakeBundle } from '../../../packages/oci/src/__fixtures__/model-bundle.js'
import { completeScan, inProgress, RecordedEcr } from '../../../packages/oci/src/__fixtures__/recorded-ecr.js'
import { writeTinyBaseLayout } from '../../../packages/oci/src/__fixtures__/tiny-base-image.js'
import { noDocker, removeRunnerTemp, runMain } from './main-harness.js'

// What GetAuthorizationToken hands out: the ECR double returns base64("AWS:" + this), and the local registry
// accepts exactly this user and password, so the decoded login is used for a real push.
const ECR_PASSWORD = 'eyJwYXlsb2FkIjoiRUNSLXRva2VuLWZvci10ZXN0cyIsInZlcnNpb24iOiIyIn0-Zq8'
const TOKEN = Buffer.from(`AWS:${ECR_PASSWORD}`).toString('base64')
let registry: LocalRegistry
let workspace: string

beforeAll(async () => {
  registry = await startLocalRegistry({ basicAuth: { username: 'AWS', password: ECR_PASSWORD } })
  workspace = await mkdtemp(join(tmpdir(), 'ecr-flow-'))
  await mkdir(join(workspace, 'model'))
  await writeFakeBundle(join(workspace, 'model'))
  await writeTinyBaseLayout(join(workspace, 'serve-layout'), 'v1')
})
afterAll(async () => {
  await removeRunnerTemp()
  await registry?.stop()
  await rm(workspace, { recursive: true, force: true })
})

const inputs = {
  bundle: 'model',
  repository: 'models/readmission',
  registry: 'ecr',
  'insecure-registry': 'true',
  'base-image': 'oci:serve-layout:v1',
  'model-version': '7',
}

/** Lines that show a secret, other than the add-mask commands that register it with the runner. */
function leaks(text: string): string[] {
  return text
    .split('\n')
    .filter(
      (line) =>
        !line.startsWith('::add-mask::') &&
        [ECR_PASSWORD, TOKEN, `AWS:${ECR_PASSWORD}`].some((s) => line.includes(s)),
    )
}

describe('ecr-push on ECR (recorded-shape double) with a real registry behind the login', () => {
  it('creates the repository, pushes with the decoded login, waits for the scan and fails on HIGH; no credential in any output', async () => {
    const ecr = new RecordedEcr({
      password: ECR_PASSWORD,
      proxyEndpoint: `http://${registry.host}`,
      scans: ['scan-not-found', inProgress(), completeScan({ CRITICAL: 1, HIGH: 2, MEDIUM: 4 })],
    })
    const sleeps: number[] = []
    const run = await runMain({ ...inputs, 'scan-severity-threshold': 'HIGH' }, workspace, {
      ecr: () => ecr,
      docker: noDocker,
      sleep: async (ms) => void sleeps.push(ms),
    })
    expect(run.exitCode).toBe(1)
    const digest = /digest<<.*\n(sha256:[0-9a-f]{64})/.exec(run.outputs)![1]!
    expect(run.stdout).toContain(
      `::error::Image ${registry.host}/models/readmission@${digest} failed the vulnerability gate: the scan found 1 CRITICAL, 2 HIGH (threshold HIGH)`,
    )
    expect(ecr.calls.map((c) => c.command)).toEqual([
      'GetAuthorizationTokenCommand',
      'DescribeRepositoriesCommand',
      'CreateRepositoryCommand',
      'PutLifecyclePolicyCommand',
      'DescribeImageScanFindingsCommand',
      'DescribeImageScanFindingsCommand',
      'DescribeImageScanFindingsCommand',
    ])
    expect(ecr.calls[2]!.input).toMatchObject({
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
    })
    expect(ecr.calls[6]!.input).toEqual({
      repositoryName: 'models/readmission',
      imageId: { imageDigest: digest },
    })
    expect(sleeps).toEqual([5000, 5000])
    const inspect = JSON.parse(
      skopeo([
        'inspect',
        '--tls-verify=false',
        `--creds=AWS:${ECR_PASSWORD}`,
        `docker://${registry.host}/models/readmission:7`,
      ]),
    )
    expect(inspect.Digest).toBe(digest)
    expect(inspect.Labels['io.mlops.model.version']).toBe('7')
    expect(run.summary).toContain('### Vulnerability scan')
    expect(run.summary).toMatch(/\| CRITICAL \| 1 \|/)
    expect(run.summary).toContain('**failed**: the scan found 1 CRITICAL, 2 HIGH (threshold HIGH)')

    // Masks are registered before anything else mentions the secrets, and nothing else ever shows them.
    const lines = run.stdout.split('\n').filter((line) => !line.startsWith('::group::'))
    expect(lines.slice(0, 3)).toEqual([
      `::add-mask::${TOKEN}`,
      `::add-mask::AWS:${ECR_PASSWORD}`,
      `::add-mask::${ECR_PASSWORD}`,
    ])
    expect(leaks(run.stdout)).toEqual([])
    expect(leaks(run.outputs)).toEqual([])
    expect(leaks(run.summary)).toEqual([])
  })

  it('an existing repository is left alone; below the threshold the step passes; no credential leaks', async () => {
    const ecr = new RecordedEcr({
      password: ECR_PASSWORD,
      proxyEndpoint: `http://${registry.host}`,
      existing: ['models/readmission'],
      scans: [completeScan({ LOW: 3 })],
    })
    const run = await runMain({ ...inputs, tags: 'v7-rc', 'scan-severity-threshold': 'MEDIUM' }, workspace, {
      ecr: () => ecr,
      docker: noDocker,
      sleep: async () => {},
    })
    expect(run.exitCode).toBe(0)
    expect(ecr.calls.map((c) => c.command)).toEqual([
      'GetAuthorizationTokenCommand',
      'DescribeRepositoriesCommand',
      'DescribeImageScanFindingsCommand',
    ])
    expect(run.summary).toContain('Status **COMPLETE** — passed')
    expect(run.outputs).toMatch(
      new RegExp(`image<<.*\\n${registry.host.replace(/\./g, '\\.')}/models/readmission@sha256:`),
    )
    expect(leaks(run.stdout)).toEqual([])
  })

  it('no AWS credentials: one error saying to add configure-aws-credentials', async () => {
    const ecr = {
      send: async () => {
        throw Object.assign(new Error('Could not load credentials from any providers'), {
          name: 'CredentialsProviderError',
        })
      },
    }
    const run = await runMain(inputs, workspace, { ecr: () => ecr, docker: noDocker })
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain(
      '::error::No AWS credentials for ECR: add aws-actions/configure-aws-credentials',
    )
  })
})
