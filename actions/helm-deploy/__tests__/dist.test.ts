import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { runAction, type ActionRun } from '@mlops/cli'

/** The action as users get it: action.yml and the committed dist/ in a folder with no node_modules. */
const source = resolve(import.meta.dirname, '..')
const repo = resolve(source, '../..')
const helm4 = resolve(repo, '.tools/helm4/helm')
const helm3 = resolve(repo, '.tools/helm3/helm')
const digest = `sha256:${'f'.repeat(64)}`
const TOKEN = 'k3s-token-dist-test-0123456789'
let root: string
let actionDir: string
let workspace: string
let temp: string

beforeAll(async () => {
  for (const b of [helm4, helm3])
    if (!existsSync(b)) throw new Error(`${b} is missing: run 'bash scripts/tools/helm.sh' first`)
  root = await mkdtemp(join(tmpdir(), 'helm-deploy-dist-'))
  actionDir = join(root, 'action')
  workspace = join(root, 'workspace')
  temp = join(root, 'tmp')
  await mkdir(actionDir)
  await mkdir(temp)
  await cp(join(source, 'action.yml'), join(actionDir, 'action.yml'))
  await cp(join(source, 'dist'), join(actionDir, 'dist'), { recursive: true })
  await cp(join(repo, 'helm/model-server'), join(workspace, 'helm/model-server'), { recursive: true })
})
afterAll(() => rm(root, { recursive: true, force: true }))

async function deploy(inputs: Record<string, string>): Promise<ActionRun & { log: string }> {
  const lines: string[] = []
  const result = await runAction({
    actionDir,
    inputs: { release: 'readmission', namespace: 'ml', 'image-digest': digest, ...inputs },
    workspace,
    env: { TMPDIR: temp, GITHUB_ACTOR: 'octocat' },
    write: (line) => lines.push(line),
  })
  return { ...result, log: lines.join('\n') }
}

test.each([
  ['Helm 4', helm4],
  ['Helm 3', helm3],
])('dry run with %s: lint + template of the chart in the workspace', async (_, helm) => {
  await writeFile(join(workspace, 'prod.yaml'), 'replicaCount: 3\nmodel:\n  name: readmission\n')
  const run = await deploy({ helm, 'dry-run': 'true', 'values-files': 'prod.yaml', 'model-version': '12' })
  expect(run.exitCode).toBe(0)
  expect(run.outputs).toMatchObject({
    status: 'rendered',
    service: 'readmission-model-server',
    'service-url': 'http://readmission-model-server.ml.svc.cluster.local:80',
  })
  // The manifest file lives in RUNNER_TEMP (gone after the run here); the summary carries the same text.
  expect(run.outputs.manifest).toMatch(/\/helm-deploy\/readmission\.yaml$/)
  const manifest = run.summary
  expect(manifest).toContain(`image: "ghcr.io/mlops-actions/model-server@${digest}"`)
  expect(manifest).toContain('replicas: 3')
  expect(manifest).toContain('MODEL_VERSION: "12"')
  expect(run.summary).toMatch(/Rendered with v[34]\.\d+\.\d+\S*: .*Deployment\/readmission-model-server/)
})

test('dry run catches a field the API server would drop (a typo in a values-supplied block)', async () => {
  await writeFile(
    join(workspace, 'typo.yaml'),
    'extraEnv:\n  - name: AWS_REGION\n    valu: eu-west-1\ntopologySpreadConstraints:\n  - maxSkew: 1\n    topologyKey: kubernetes.io/hostname\n    whenUnsatisfiable: ScheduleAnyway\n    labelSelectr: {}\n',
  )
  const run = await deploy({ helm: helm4, 'dry-run': 'true', 'values-files': 'typo.yaml' })
  expect(run.exitCode).toBe(1)
  expect(run.log).toContain('the rendered manifest does not match the Kubernetes schemas')
  expect(run.log).toContain(
    'Deployment/readmission-model-server: spec.template.spec.containers[0].env[0].valu: unknown field (not in V1EnvVar)',
  )
  expect(run.log).toContain('spec.template.spec.topologySpreadConstraints[0].labelSelectr: unknown field')
  expect(run.log).not.toMatch(/\n\s+at /)
})

test('a cluster that cannot be reached: one clear error, no token in the log, no kubeconfig left behind', async () => {
  const kubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: k3s, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: ci, user: {token: ${TOKEN}}}]
contexts: [{name: k3s, context: {cluster: k3s, user: ci}}]
current-context: k3s
`
  const run = await deploy({ helm: helm4, kubeconfig, 'model-version': '3', timeout: '10' })
  expect(run.exitCode).toBe(1)
  expect(run.log).toMatch(/helm history failed \(exit 1\): Error: .*cluster unreachable/i)
  expect(run.log).not.toMatch(/\n\s+at /)
  expect(run.log).not.toContain(TOKEN)
  expect(run.summary).not.toContain(TOKEN)
  expect(await readdir(temp)).toEqual([])
})

test('bad input is one clear error, never a stack trace', async () => {
  const run = await deploy({ helm: helm4, 'image-digest': 'sha256:abc', kubeconfig: 'not: [valid' })
  expect(run.exitCode).toBe(1)
  expect(run.log).toMatch(/Input 'image-digest' must be sha256:<64 lowercase hex>, got 'sha256:abc'/)
  expect(run.log).not.toMatch(/\n\s+at /)
})
