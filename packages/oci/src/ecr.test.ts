import { completeScan, inProgress, RecordedEcr } from './__fixtures__/recorded-ecr.js'
import {
  defaultLifecyclePolicy,
  ecrLogin,
  ensureEcrRepository,
  gateScan,
  parseEcrRepository,
  waitForScanFindings,
} from './ecr.js'
import { RegistryAuthError } from './errors.js'

const password = 'eyJwYXlsb2FkIjoiZmFrZS1lY3ItcGFzc3dvcmQifQ==-SECRET'

describe('ECR against a recorded-shape double', () => {
  it('decodes the authorization token into AWS:<password> and masks token, pair and password before returning', async () => {
    const ecr = new RecordedEcr({ password })
    const order: string[] = []
    const masked: string[] = []
    const login = await ecrLogin(ecr, (s) => {
      masked.push(s)
      order.push('mask')
    })
    order.push('returned')
    const token = Buffer.from(`AWS:${password}`).toString('base64')
    expect(masked).toEqual([token, `AWS:${password}`, password])
    expect(order).toEqual(['mask', 'mask', 'mask', 'returned'])
    expect(login).toMatchObject({
      registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      username: 'AWS',
      password,
    })
    expect(ecr.calls).toEqual([{ command: 'GetAuthorizationTokenCommand', input: {} }])
  })

  it('a token without a password is an auth error that names what to check, and says nothing secret', async () => {
    const ecr = new RecordedEcr({ password: '' })
    const error = await ecrLogin(ecr, () => {}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RegistryAuthError)
    expect((error as Error).message).toMatch(
      /no usable token: check that the job has AWS credentials .* ecr:GetAuthorizationToken/,
    )
  })

  it('creates a missing repository with scan-on-push, immutable tags and the lifecycle policy; leaves an existing one', async () => {
    const ecr = new RecordedEcr({ password, existing: ['models/old'] })
    const policy = defaultLifecyclePolicy(30, 7)
    expect(
      await ensureEcrRepository(ecr, 'models/new', {
        scanOnPush: true,
        immutableTags: true,
        lifecyclePolicy: policy,
      }),
    ).toEqual({
      created: true,
      uri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/models/new',
    })
    expect(ecr.calls.map((c) => c.command)).toEqual([
      'DescribeRepositoriesCommand',
      'CreateRepositoryCommand',
      'PutLifecyclePolicyCommand',
    ])
    expect(ecr.calls[1]!.input).toEqual({
      repositoryName: 'models/new',
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
    })
    expect(JSON.parse(ecr.repositories.get('models/new')!.lifecyclePolicy!).rules).toHaveLength(2)
    expect(JSON.parse(policy).rules[1].selection).toEqual({
      tagStatus: 'any',
      countType: 'imageCountMoreThan',
      countNumber: 30,
    })

    ecr.calls.length = 0
    expect(await ensureEcrRepository(ecr, 'models/old', { scanOnPush: true, immutableTags: true })).toEqual({
      created: false,
    })
    expect(ecr.calls.map((c) => c.command)).toEqual(['DescribeRepositoriesCommand'])
  })

  it('waits through "no scan yet" and IN_PROGRESS with the replaceable sleep, then summarises', async () => {
    const ecr = new RecordedEcr({
      password,
      existing: ['models/x'],
      scans: ['scan-not-found', inProgress(), inProgress(), completeScan({ HIGH: 2, LOW: 5, CRITICAL: 1 })],
    })
    const sleeps: number[] = []
    const summary = await waitForScanFindings(ecr, 'models/x', `sha256:${'1'.repeat(64)}`, {
      intervalMs: 1000,
      sleep: async (ms) => void sleeps.push(ms),
    })
    expect(sleeps).toEqual([1000, 1000, 1000])
    expect(summary.status).toBe('COMPLETE')
    expect(summary.counts).toEqual({ HIGH: 2, LOW: 5, CRITICAL: 1 })
    expect(summary.top.map((f) => f.severity)).toEqual(['CRITICAL', 'HIGH', 'LOW'])
    expect(ecr.calls[0]!.input).toEqual({
      repositoryName: 'models/x',
      imageId: { imageDigest: `sha256:${'1'.repeat(64)}` },
    })

    expect(gateScan(summary, 'HIGH')).toEqual({
      passed: false,
      offending: [
        { severity: 'CRITICAL', count: 1 },
        { severity: 'HIGH', count: 2 },
      ],
      reason: 'the scan found 1 CRITICAL, 2 HIGH (threshold HIGH)',
    })
    expect(gateScan({ ...summary, counts: { LOW: 5 } }, 'HIGH').passed).toBe(true)
    expect(gateScan(summary, undefined).passed).toBe(true)
  })

  it('gives up at the timeout; a threshold then fails because findings cannot be ruled out', async () => {
    const ecr = new RecordedEcr({ password, existing: ['models/x'], scans: [inProgress()] })
    let clock = 0
    const summary = await waitForScanFindings(ecr, 'models/x', `sha256:${'2'.repeat(64)}`, {
      intervalMs: 10_000,
      timeoutMs: 35_000,
      now: () => clock,
      sleep: async (ms) => void (clock += ms),
    })
    expect(summary.status).toBe('TIMED_OUT')
    expect(ecr.calls).toHaveLength(4)
    expect(gateScan(summary, 'CRITICAL')).toMatchObject({
      passed: false,
      reason: expect.stringContaining('the scan did not complete (status TIMED_OUT)'),
    })
  })

  it('parses ECR repository URIs and bare names', () => {
    expect(parseEcrRepository('123456789012.dkr.ecr.eu-west-1.amazonaws.com/models/readmission')).toEqual({
      registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      accountId: '123456789012',
      region: 'eu-west-1',
      repository: 'models/readmission',
    })
    expect(parseEcrRepository('models/readmission')).toEqual({ repository: 'models/readmission' })
  })
})
