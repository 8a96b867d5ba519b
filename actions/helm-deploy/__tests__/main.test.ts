import { existsSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { FakeCluster, type PodBehaviour } from '../../../packages/kube/src/__fixtures__/fake-cluster.js'
import { FakeKubeApi, type KubeObject } from '../../../packages/kube/src/__fixtures__/fake-kube-api.js'
import { TemplateHelmRunner } from '../../../packages/kube/src/__fixtures__/template-helm-runner.js'
import { main } from '../src/main.js'

/**
 * main() in process, end to end against the fake Kubernetes API: the kubeconfig input (with a real bearer
 * token the fake requires) goes to a temp file that is gone afterwards, and nothing but the runner's mask
 * command ever prints the token. Helm is the template-rendering stand-in (real helm cannot reach the fake).
 */
const repo = resolve(import.meta.dirname, '../../..')
const helmBinary = resolve(repo, '.tools/helm4/helm')
const digest = `sha256:${'e'.repeat(64)}`

let api: FakeKubeApi
let cluster: FakeCluster
let helm: TemplateHelmRunner
let work: string
let stdout: string[]
const savedEnv = { ...process.env }
const writeStdout = process.stdout.write.bind(process.stdout)

// One workspace for the file: @actions/core caches the summary file path after its first write.
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'helm-deploy-main-'))
})
afterAll(() => rm(work, { recursive: true, force: true }))

beforeEach(async () => {
  if (!existsSync(helmBinary))
    throw new Error(`${helmBinary} is missing: run 'bash scripts/tools/helm.sh' first`)
  api = new FakeKubeApi()
  await api.start()
  const behaviour = (pod: KubeObject): PodBehaviour =>
    pod.metadata.annotations?.['mlops-actions/model-version'] === '8' ? 'crash-loop' : 'ready'
  cluster = new FakeCluster({ api, namespace: 'ml', behaviour, tickMs: 15, secondMs: 15 })
  cluster.start()
  helm = new TemplateHelmRunner(helmBinary, cluster)
  await writeFile(join(work, 'fast.yaml'), 'progressDeadlineSeconds: 40\nreplicaCount: 1\n')
  await writeFile(join(work, 'output'), '')
  await writeFile(join(work, 'summary.md'), '')
  Object.assign(process.env, {
    GITHUB_WORKSPACE: work,
    GITHUB_OUTPUT: join(work, 'output'),
    GITHUB_STEP_SUMMARY: join(work, 'summary.md'),
    GITHUB_ACTOR: 'octocat',
    TMPDIR: join(work, 'tmp'),
  })
  await rm(join(work, 'tmp'), { recursive: true, force: true })
  await mkdir(join(work, 'tmp'))
  stdout = []
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout.push(String(chunk))
    return true
  }) as typeof process.stdout.write
})
afterEach(async () => {
  process.stdout.write = writeStdout
  process.env = { ...savedEnv }
  process.exitCode = undefined
  cluster.stop()
  await api.stop()
})

function setInputs(inputs: Record<string, string>): void {
  for (const [name, value] of Object.entries(inputs)) process.env[`INPUT_${name.toUpperCase()}`] = value
}

async function outputs(): Promise<Record<string, string>> {
  // GITHUB_OUTPUT uses name<<delimiter ... delimiter blocks.
  const text = await readFile(join(work, 'output'), 'utf8')
  const out: Record<string, string> = {}
  for (const m of text.matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) out[m[1]!] = m[3]!
  return out
}

const deps = { createHelmRunner: async () => helm }
const base = {
  release: 'readmission',
  namespace: 'ml',
  chart: resolve(repo, 'helm/model-server'),
  'values-files': 'fast.yaml',
  'image-digest': digest,
  'model-name': 'readmission',
  timeout: '20',
}

test('deploys, waits for the served version, records who deployed what, and leaks nothing', async () => {
  setInputs({ ...base, 'model-version': '7', kubeconfig: api.kubeconfig('ml') })
  await main(deps)
  expect(await outputs()).toMatchObject({
    revision: '1',
    'previous-revision': '',
    status: 'deployed',
    service: 'readmission-model-server',
    'service-url': 'http://readmission-model-server.ml.svc.cluster.local:80',
  })
  const upgrade = helm.calls.find((c) => c.method === 'upgradeInstall')!.args as Record<string, unknown>
  expect(upgrade).toMatchObject({
    setString: { 'image.digest': digest, 'model.name': 'readmission', 'model.version': '7' },
    labels: {
      'deployed-by': 'octocat',
      'image-digest': 'eeeeeeeeeeee',
      'model-version': '7',
      'model-name': 'readmission',
    },
  })
  expect(upgrade.description).toBe(`deployed by octocat; image ${digest}; model readmission v7`)
  const summary = await readFile(join(work, 'summary.md'), 'utf8')
  expect(summary).toContain('## ✅ helm-deploy: readmission deployed')
  expect(summary).toMatch(/\| readmission-model-server \| complete \| 1\/1 \| 7 \|/)

  const log = stdout.join('')
  const withoutMasks = log.replace(/^::add-mask::.*$/gm, '')
  expect(log).toContain(`::add-mask::${api.token}`)
  expect(withoutMasks).not.toContain(api.token)
  expect(withoutMasks).not.toContain('insecure-skip-tls-verify')
  // The temp kubeconfig directory is gone.
  expect(await readdir(join(work, 'tmp'))).toEqual([])
})

test('a failing rollout: diagnostics in the summary, rollback, and a failed step', async () => {
  setInputs({ ...base, 'model-version': '7', kubeconfig: api.kubeconfig('ml') })
  await main(deps)
  await writeFile(join(work, 'output'), '')
  await writeFile(join(work, 'summary.md'), '')
  setInputs({ 'model-version': '8' })
  await expect(main(deps)).rejects.toThrow(
    /^readmission revision 2 failed: readmission-model-server exceeded its progress deadline: .*\. rolled back to revision 1; .* See the job summary/,
  )
  expect(await outputs()).toMatchObject({ revision: '2', 'previous-revision': '1', status: 'rolled-back' })
  const summary = await readFile(join(work, 'summary.md'), 'utf8')
  expect(summary).toContain('## ↩️ helm-deploy: readmission rolled-back')
  expect(summary).toContain('### What failed')
  expect(summary).toContain('### Rollback\n\n✅ rolled back to revision 1')
  expect(summary).toContain('waiting: CrashLoopBackOff')
  expect(summary).toContain('model warm-up failed')
  expect(
    api.get('deployments', 'ml', 'readmission-model-server')!.spec.template.metadata.annotations,
  ).toMatchObject({
    'mlops-actions/model-version': '7',
  })
  expect(await readdir(join(work, 'tmp'))).toEqual([])
  expect(stdout.join('').replace(/^::add-mask::.*$/gm, '')).not.toContain(api.token)
})

test('records a GitHub deployment and its status when asked', async () => {
  const calls: Array<{ path: string; auth: string | undefined; body: Record<string, unknown> }> = []
  const github = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      calls.push({
        path: req.url ?? '',
        auth: req.headers.authorization,
        body: JSON.parse(body) as Record<string, unknown>,
      })
      res.writeHead(201, { 'content-type': 'application/json' })
      res.end(JSON.stringify(req.url?.endsWith('/deployments') ? { id: 4711 } : { id: 1, state: 'success' }))
    })
  })
  await new Promise<void>((r) => github.listen(0, '127.0.0.1', r))
  try {
    Object.assign(process.env, {
      GITHUB_API_URL: `http://127.0.0.1:${(github.address() as AddressInfo).port}`,
      GITHUB_REPOSITORY: 'acme/models',
      GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    })
    setInputs({
      ...base,
      'model-version': '7',
      kubeconfig: api.kubeconfig('ml'),
      environment: 'production',
      'github-token': 'ghs_deploytoken123',
      // The ecr-push `image` output, instead of repository + digest.
      'image-digest': '',
      image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/readmission@${digest}`,
    })
    await main(deps)
  } finally {
    await new Promise((r) => github.close(r))
  }
  expect(calls.map((c) => c.path)).toEqual([
    '/repos/acme/models/deployments',
    '/repos/acme/models/deployments/4711/statuses',
  ])
  expect(calls.every((c) => c.auth === 'Bearer ghs_deploytoken123')).toBe(true)
  expect(calls[0]!.body).toMatchObject({
    ref: '0123456789abcdef0123456789abcdef01234567',
    environment: 'production',
    production_environment: true,
    payload: { release: 'readmission', namespace: 'ml', digest, revision: '1' },
  })
  expect(calls[1]!.body).toMatchObject({
    state: 'success',
    environment_url: 'http://readmission-model-server.ml.svc.cluster.local:80',
  })
  expect(stdout.join('')).toContain('::add-mask::ghs_deploytoken123')
  expect(stdout.join('').replace(/^::add-mask::.*$/gm, '')).not.toContain('ghs_deploytoken123')
})

test('bad inputs are configuration errors before anything runs', async () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ 'image-digest': 'latest' }, /Input 'image-digest' must be sha256:<64 lowercase hex>, got 'latest'/],
    [{ release: 'Readmission_1' }, /Input 'release' must be a lowercase DNS label/],
    [
      { 'image-digest': '', image: 'registry/readmission:3' },
      /Input 'image' must be registry\/repository@sha256:<64 hex>/,
    ],
    [{ 'image-digest': '' }, /Input 'image-digest' \(or 'image' as repository@sha256:\.\.\.\) is required/],
    [
      { 'image-repository': 'registry/readmission:latest' },
      /Input 'image-repository' must be a repository without tag/,
    ],
    [{ kubeconfig: 'clusters: [' }, /input 'kubeconfig' is not valid YAML/],
    [{ kubeconfig: 'apiVersion: v1\nkind: Config\n' }, /input 'kubeconfig' has no 'clusters' entries/],
    [
      { environment: 'production' },
      /Input 'environment' records a GitHub deployment and needs 'github-token'/,
    ],
  ]
  for (const [inputs, message] of cases) {
    for (const key of Object.keys(process.env)) if (key.startsWith('INPUT_')) delete process.env[key]
    setInputs({ ...base, kubeconfig: api.kubeconfig('ml'), ...inputs })
    await expect(main(deps)).rejects.toThrow(message)
  }
  expect(helm.calls).toEqual([])
})
