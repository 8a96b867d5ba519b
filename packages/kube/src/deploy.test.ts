import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { FakeCluster, type PodBehaviour } from './__fixtures__/fake-cluster.js'
import { FakeKubeApi, type KubeObject } from './__fixtures__/fake-kube-api.js'
import { TemplateHelmRunner } from './__fixtures__/template-helm-runner.js'
import { deployRelease, type DeployOptions } from './deploy.js'
import { renderDiagnostics } from './diagnostics.js'
import { withKubeconfig } from './kubeconfig.js'
import { rolloutStatus, watchRollout } from './rollout.js'

/**
 * The deploy flow end to end: client-node talks HTTP to the fake API server (watch streams, status, logs,
 * events), the fake controllers roll pods out, and the chart is rendered by the real Helm 4 binary.
 */
const repo = resolve(import.meta.dirname, '../../..')
const helmBinary = resolve(repo, '.tools/helm4/helm')
const chart = resolve(repo, 'helm/model-server')
const digest = `sha256:${'c'.repeat(64)}`
const NS = 'ml'

// Model version 2 is a bad build: its pods crash at warm-up. Version 9 cannot pull its image.
const behaviour = (pod: KubeObject): PodBehaviour => {
  const version = pod.metadata.annotations?.['mlops-actions/model-version']
  if (version === '2') return 'crash-loop'
  if (version === '9') return 'image-pull-backoff'
  return 'ready'
}

let api: FakeKubeApi
let cluster: FakeCluster
let helm: TemplateHelmRunner

let work: string
let shortDeadline: string
let longDeadline: string
beforeAll(async () => {
  if (!existsSync(helmBinary))
    throw new Error(`${helmBinary} is missing: run 'bash scripts/tools/helm.sh' first`)
  work = await mkdtemp(join(tmpdir(), 'kube-deploy-'))
  // progressDeadlineSeconds 40 x 15 ms: the deadline passes after about 0.6 s without progress.
  shortDeadline = join(work, 'short.yaml')
  await writeFile(shortDeadline, 'progressDeadlineSeconds: 40\n')
  longDeadline = join(work, 'long.yaml')
  await writeFile(longDeadline, 'progressDeadlineSeconds: 6000\n')
})
afterAll(() => rm(work, { recursive: true, force: true }))
beforeEach(async () => {
  api = new FakeKubeApi()
  await api.start()
  cluster = new FakeCluster({ api, namespace: NS, behaviour, tickMs: 15, secondMs: 15 })
  cluster.start()
  helm = new TemplateHelmRunner(helmBinary, cluster)
})
afterEach(async () => {
  cluster.stop()
  await api.stop()
})

function options(version: string, extra: Partial<DeployOptions> = {}): Omit<DeployOptions, 'kubeConfig'> {
  return {
    helm,
    release: 'readmission',
    namespace: NS,
    chart,
    valuesFiles: [shortDeadline],
    setString: { 'image.digest': digest, 'model.name': 'readmission', 'model.version': version },
    timeoutSeconds: 20,
    wait: true,
    expectedModelVersion: version,
    rollbackOnFailure: true,
    ...extra,
  }
}

test('a rollout that becomes ready succeeds, and every ready pod serves the expected version', async () => {
  const messages: string[] = []
  const result = await withKubeconfig({ kind: 'content', content: api.kubeconfig(NS) }, ({ kubeConfig }) =>
    deployRelease({ ...options('1'), kubeConfig, onProgress: (m) => messages.push(m) }),
  )
  expect(result.failures).toEqual([])
  expect(result).toMatchObject({ status: 'deployed', revision: 1, previousRevision: undefined })
  expect(result.rollouts).toEqual([
    expect.objectContaining({
      deployment: 'readmission-model-server',
      phase: 'complete',
      servedVersions: ['1', '1'],
    }),
  ])
  expect(result.objects.map((o) => o.kind)).toEqual(
    expect.arrayContaining(['Deployment', 'Service', 'ConfigMap']),
  )
  expect(messages[0]).toBe(`installing readmission into ${NS}`)
  expect(
    messages.some((m) => /0 of 2 updated replicas are available|waiting for .* spec update/.test(m)),
  ).toBe(true)
  expect(messages.some((m) => /successfully rolled out \(2\/2 available\)/.test(m))).toBe(true)
  // The watcher really streamed: a watch request from the resourceVersion it had read.
  expect(
    api.requests.some((r) =>
      /\/deployments\?.*watch=true.*resourceVersion=\d+|resourceVersion=\d+.*watch=true/.test(r),
    ),
  ).toBe(true)
  expect(api.requests.some((r) => r.includes('fieldSelector=metadata.name%3Dreadmission-model-server'))).toBe(
    true,
  )
})

test('a watch stream closed by the server mid-rollout is resumed from the last resourceVersion', async () => {
  const result = await withKubeconfig(
    { kind: 'content', content: api.kubeconfig(NS) },
    async ({ kubeConfig }) => {
      const deploying = deployRelease({ ...options('1'), kubeConfig })
      let closed = 0
      while (closed === 0) {
        await new Promise((r) => setTimeout(r, 10))
        closed = api.closeWatches()
      }
      return deploying
    },
  )
  expect(result.status).toBe('deployed')
  const watches = api.requests
    .filter((r) => r.includes('/deployments?') && r.includes('watch=true'))
    .map((r) => Number(new URL(r.split(' ')[1]!, 'http://x').searchParams.get('resourceVersion')))
  expect(watches.length).toBeGreaterThanOrEqual(2)
  expect(watches[1]).toBeGreaterThanOrEqual(watches[0]!)
})

test('a rollout that exceeds its progress deadline fails, is diagnosed, and is rolled back', async () => {
  const result = await withKubeconfig(
    { kind: 'content', content: api.kubeconfig(NS) },
    async ({ kubeConfig }) => {
      const first = await deployRelease({ ...options('1'), kubeConfig })
      expect(first.status).toBe('deployed')
      return deployRelease({ ...options('2'), kubeConfig })
    },
  )
  expect(result.status).toBe('rolled-back')
  expect(result).toMatchObject({ revision: 2, previousRevision: 1 })
  expect(result.failures).toEqual([
    expect.stringMatching(
      /readmission-model-server exceeded its progress deadline: ReplicaSet "readmission-model-server-[0-9a-f]+" has timed out progressing/,
    ),
  ])
  expect(result.rollouts[0]).toMatchObject({ phase: 'failed', reason: 'ProgressDeadlineExceeded' })

  // Diagnostics were taken while the crashing pods still existed.
  const [d] = result.diagnostics
  expect(d!.conditions).toContainEqual(
    expect.objectContaining({ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }),
  )
  const crashing = d!.pods.filter((p) => p.modelVersion === '2')
  expect(crashing).toHaveLength(2)
  expect(crashing[0]!.containers[0]).toMatchObject({
    name: 'model-server',
    ready: false,
    state: expect.stringMatching(/^waiting: CrashLoopBackOff/),
    lastTermination: 'Error (exit 1)',
    logSource: 'previous',
  })
  expect(crashing[0]!.containers[0]!.logTail!.join('\n')).toContain('model warm-up failed')
  // The old pods kept serving (maxUnavailable 0) and are not reported as failing.
  expect(
    d!.pods.filter((p) => p.modelVersion === '1').every((p) => p.ready && !p.containers[0]!.logTail),
  ).toBe(true)
  expect(d!.events.map((e) => `${e.type} ${e.reason}`)).toEqual(
    expect.arrayContaining([
      'Warning BackOff',
      'Warning ProgressDeadlineExceeded',
      'Normal ScalingReplicaSet',
    ]),
  )
  const md = result.diagnosticsMarkdown
  expect(md).toContain('### Diagnostics: deployment readmission-model-server (namespace ml)')
  expect(md).toMatch(
    /\| readmission-model-server-[0-9a-f]+-\w+ \| Running \| no \| 2 \| model-server \| waiting: CrashLoopBackOff/,
  )
  expect(md).toMatch(
    /<summary>Last \d+ log lines of readmission-model-server-.* \(previous \(crashed\) container\)<\/summary>/,
  )
  expect(md).toBe(result.diagnostics.map(renderDiagnostics).join('\n'))

  // Rolled back to revision 1, and the rollback itself was watched to readiness.
  expect(helm.calls.filter((c) => c.method === 'rollback').map((c) => c.args)).toEqual([
    expect.objectContaining({ release: 'readmission', namespace: NS, revision: 1 }),
  ])
  expect(result.rollback).toMatchObject({ toRevision: 1, ok: true })
  const deployment = api.get('deployments', NS, 'readmission-model-server')!
  expect(deployment.spec.template.metadata.annotations['mlops-actions/model-version']).toBe('1')
  expect(rolloutStatus(deployment as never).phase).toBe('complete')
  const pods = api.list('pods', NS)
  expect(pods.map((p) => p.metadata.annotations?.['mlops-actions/model-version'])).toEqual(['1', '1'])
  // helm was never asked to wait or roll back by itself (it would delete the evidence first).
  for (const call of helm.calls.filter((c) => c.method === 'upgradeInstall')) {
    expect(call.args).toMatchObject({ wait: false, atomic: false })
  }
})

test('a first install that fails has nothing to roll back to, and says so', async () => {
  const result = await withKubeconfig({ kind: 'content', content: api.kubeconfig(NS) }, ({ kubeConfig }) =>
    deployRelease({ ...options('9'), kubeConfig }),
  )
  expect(result.status).toBe('failed')
  expect(result.rollback).toMatchObject({
    ok: false,
    message: 'no previous deployed revision to roll back to',
  })
  const containers = result.diagnostics[0]!.pods.map((p) => p.containers[0]!.state)
  expect(containers.every((s) => /^waiting: (ErrImagePull|ImagePullBackOff)/.test(s))).toBe(true)
  expect(result.diagnostics[0]!.events.some((e) => e.reason === 'Failed' && e.message.includes(digest))).toBe(
    true,
  )
  expect(helm.calls.some((c) => c.method === 'rollback')).toBe(false)
})

test('a stale pod cannot pass: the deployment is complete but serves another model version', async () => {
  await withKubeconfig({ kind: 'content', content: api.kubeconfig(NS) }, async ({ kubeConfig }) => {
    await deployRelease({ ...options('1'), kubeConfig })
    const result = await watchRollout({
      kubeConfig,
      namespace: NS,
      deployment: 'readmission-model-server',
      timeoutMs: 1200,
      expectedModelVersion: '5',
    })
    expect(result).toMatchObject({ phase: 'failed', reason: 'WrongModelVersion', servedVersions: ['1', '1'] })
    expect(result.message).toBe('ready pods serve model version(s) 1, expected 5')
  })
})

test('the watcher gives up at its deadline with what it last saw', async () => {
  await withKubeconfig({ kind: 'content', content: api.kubeconfig(NS) }, async ({ kubeConfig }) => {
    // A long progress deadline: the crash loop never trips it within the watcher's 800 ms.
    await helm.upgradeInstall({ ...options('2'), valuesFiles: [longDeadline] })
    const result = await watchRollout({
      kubeConfig,
      namespace: NS,
      deployment: 'readmission-model-server',
      timeoutMs: 800,
    })
    expect(result.phase).toBe('timeout')
    expect(result.message).toMatch(
      /^rollout of readmission-model-server did not finish in 1s: 0 of 2 updated replicas are available|did not finish/,
    )
    expect(result.elapsedMs).toBeGreaterThanOrEqual(790)
  })
})

test('a wrong token is refused by the fake API and surfaces as an error, not a hang', async () => {
  const content = api.kubeconfig(NS).replace(api.token, 'wrong-token')
  await expect(
    withKubeconfig({ kind: 'content', content }, ({ kubeConfig }) =>
      watchRollout({ kubeConfig, namespace: NS, deployment: 'anything', timeoutMs: 1000 }),
    ),
  ).rejects.toThrow(/401|Unauthorized/)
})
