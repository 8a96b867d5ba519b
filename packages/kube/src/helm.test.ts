import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { HelmError } from './errors.js'
import {
  createHelmRunner,
  helmMajor,
  parseHistory,
  rollbackArgs,
  runHelm,
  upgradeArgs,
  type UpgradeOptions,
} from './helm.js'

/**
 * The real Helm 4 and Helm 3 binaries (scripts/tools/helm.sh). No cluster can run here, so the kubeconfig points
 * at a closed port: helm parses every flag before it connects, so "connection refused" proves each flag was
 * accepted, and the opposite flag set proves the check can fail.
 */
const repo = resolve(import.meta.dirname, '../../..')
const chart = resolve(repo, 'helm/model-server')
const BINARIES = { 4: resolve(repo, '.tools/helm4/helm'), 3: resolve(repo, '.tools/helm3/helm') } as const
const TOKEN = 'kubeconfig-token-that-must-never-show'

let work: string
let kubeconfig: string
beforeAll(async () => {
  for (const b of Object.values(BINARIES)) {
    if (!existsSync(b)) throw new Error(`${b} is missing: run 'bash scripts/tools/helm.sh' first`)
  }
  work = await mkdtemp(join(tmpdir(), 'kube-helm-'))
  kubeconfig = join(work, 'kubeconfig')
  await writeFile(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: ${TOKEN}}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
    { mode: 0o600 },
  )
})
afterAll(() => rm(work, { recursive: true, force: true }))

const upgrade: UpgradeOptions = {
  release: 'readmission',
  namespace: 'ml',
  chart,
  valuesFiles: [resolve(chart, 'ci/minimal-values.yaml')],
  setString: { 'model.version': '3', 'image.digest': `sha256:${'d'.repeat(64)}` },
  atomic: true,
  timeoutSeconds: 90.5,
  createNamespace: true,
  description: 'deployed by octocat: model readmission v3',
  labels: { 'model-version': '3', actor: 'octocat' },
}

test('the major version comes from `helm version --short`', () => {
  expect(helmMajor('v4.1.4+g05fa379')).toBe(4)
  expect(helmMajor('v3.18.0+gcc58e3f\n')).toBe(3)
  expect(() => helmMajor('v2.17.0+ga690bad')).toThrow("unsupported helm version 'v2.17.0+ga690bad'")
})

test('argument construction: --atomic on Helm 3, --rollback-on-failure and --wait=watcher on Helm 4', () => {
  expect(upgradeArgs(3, upgrade)).toEqual([
    'upgrade',
    '--install',
    'readmission',
    chart,
    '--namespace',
    'ml',
    '--create-namespace',
    '--values',
    resolve(chart, 'ci/minimal-values.yaml'),
    '--set-string',
    'model.version=3',
    '--set-string',
    `image.digest=sha256:${'d'.repeat(64)}`,
    '--atomic',
    '--wait',
    '--timeout',
    '91s',
    '--description',
    'deployed by octocat: model readmission v3',
    '--labels',
    'model-version=3,actor=octocat',
  ])
  const four = upgradeArgs(4, upgrade)
  expect(four).toContain('--rollback-on-failure')
  expect(four).toContain('--wait=watcher')
  expect(four).not.toContain('--atomic')
  expect(upgradeArgs(4, { ...upgrade, atomic: false })).not.toContain('--wait=watcher')
  expect(
    rollbackArgs(3, { release: 'r', namespace: 'ml', revision: 4, wait: true, timeoutSeconds: 60 }),
  ).toEqual(['rollback', 'r', '4', '--namespace', 'ml', '--timeout', '60s', '--wait'])
  expect(rollbackArgs(4, { release: 'r', namespace: 'ml', revision: 0, timeoutSeconds: 60 })).toEqual([
    'rollback',
    'r',
    '--namespace',
    'ml',
    '--timeout',
    '60s',
  ])
})

describe.each([4, 3] as const)('real Helm %i', (major) => {
  const binary = BINARIES[major]

  test('version detection through the runner', async () => {
    const runner = await createHelmRunner({ binary })
    expect(runner.major).toBe(major)
    expect(runner.version).toMatch(new RegExp(`^v${major}\\.`))
  })

  test("the binary accepts every flag built for it, and rejects the other version's flag", async () => {
    const commands: string[][] = []
    const run = (args: string[]): Promise<string> =>
      runHelm(args, {
        binary,
        kubeconfigPath: kubeconfig,
        onCommand: (a) => commands.push(a),
        secrets: [TOKEN],
      })
    // helm stops at the first contact with the cluster, after flag parsing and chart loading.
    await expect(run(upgradeArgs(major, upgrade))).rejects.toThrow(/cluster unreachable.*127\.0\.0\.1:1/is)
    await expect(
      run(rollbackArgs(major, { release: 'r', namespace: 'ml', revision: 1, wait: true, timeoutSeconds: 5 })),
    ).rejects.toThrow(/cluster unreachable/i)
    const other = upgradeArgs(major === 4 ? 3 : 4, upgrade)
    const error = await run(other).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HelmError)
    const output = (error as HelmError).output
    if (major === 3) expect(output).toMatch(/unknown flag: --rollback-on-failure/)
    // Helm 4 still takes --atomic, with a deprecation warning we must not trigger.
    else expect(output).toMatch(/Flag --atomic has been deprecated, use --rollback-on-failure instead/)
    // The kubeconfig reached helm through $KUBECONFIG, never the command line.
    for (const args of commands)
      expect(args.join(' ')).not.toMatch(new RegExp(`${kubeconfig}|${TOKEN}|--kubeconfig`))
  })

  test('helm lint and template of the chart through the same runner', async () => {
    const lint = await runHelm(
      ['lint', chart, '--strict', '--values', resolve(chart, 'ci/minimal-values.yaml')],
      { binary },
    )
    expect(lint).toContain('0 chart(s) failed')
    const text = await runHelm(
      ['template', 'r', chart, '--values', resolve(chart, 'ci/minimal-values.yaml')],
      { binary },
    )
    expect(text).toContain('kind: Deployment')
  })
})

test('secrets are redacted from the output carried by HelmError', async () => {
  const error = (await runHelm(['-c', `echo "Error: bad token ${TOKEN}" >&2; exit 3`], {
    binary: '/bin/sh',
    secrets: [TOKEN],
  }).catch((e: unknown) => e)) as HelmError
  expect(error).toBeInstanceOf(HelmError)
  expect(error.exitCode).toBe(3)
  expect(error.output).toBe('Error: bad token ***')
  expect(error.message).not.toContain(TOKEN)
})

test('history JSON is parsed oldest first', async () => {
  // The shape `helm history -o json` prints (checked against Helm 3.18 and 4.1 source).
  const rows = parseHistory(
    JSON.stringify([
      {
        revision: 2,
        updated: '2026-11-30T02:00:00Z',
        status: 'deployed',
        chart: 'model-server-0.1.0',
        app_version: '0.1.0',
        description: 'Upgrade complete',
      },
      {
        revision: 1,
        updated: '2026-11-29T02:00:00Z',
        status: 'superseded',
        chart: 'model-server-0.1.0',
        app_version: '0.1.0',
        description: 'Install complete',
      },
    ]),
  )
  expect(rows.map((r) => [r.revision, r.status, r.appVersion])).toEqual([
    [1, 'superseded', '0.1.0'],
    [2, 'deployed', '0.1.0'],
  ])
  expect(parseHistory('null')).toEqual([])
})

test('a missing release reads as no history and no status; other failures still throw', async () => {
  // A stand-in binary that answers the way helm does for a release that does not exist.
  const fake = join(work, 'helm-not-found')
  await writeFile(
    fake,
    `#!/bin/sh
case "$1" in
  version) echo v4.1.4+g05fa379 ;;
  history|status) echo "Error: release: not found" >&2; exit 1 ;;
  *) echo "Error: boom" >&2; exit 1 ;;
esac
`,
    { mode: 0o755 },
  )
  const runner = await createHelmRunner({ binary: fake })
  expect(await runner.history('nope', 'ml')).toEqual([])
  expect(await runner.status('nope', 'ml')).toBeUndefined()
  await expect(runner.manifest('nope', 'ml')).rejects.toThrow('helm get failed (exit 1): Error: boom')
  await expect(createHelmRunner({ binary: join(work, 'no-such-helm') })).rejects.toThrow(
    /cannot run '.*no-such-helm version'/,
  )
})
