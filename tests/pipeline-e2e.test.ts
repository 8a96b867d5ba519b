import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startService } from '../packages/cli/src/pipeline-service.js'

/**
 * The README's main job end to end, through the built `mlops` command and every action's committed dist: the
 * whole chain passes on the embedded example, then a deliberately worse model stops at the gate with the rule
 * named, and the champion stays the one served.
 */
const root = resolve(import.meta.dirname, '..')
const mlops = join(root, 'packages/cli/dist/mlops.js')
let workspace: string

function runPipeline(...args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [mlops, 'pipeline', 'examples/readmission/pipeline.yml', ...args], {
      cwd: workspace,
      env: { ...process.env, MLFLOW_TRACKING_URI: '', GITHUB_ACTIONS: '' },
    })
    let output = ''
    child.stdout.on('data', (c: Buffer) => (output += c))
    child.stderr.on('data', (c: Buffer) => (output += c))
    child.on('close', (code) => done({ code: code ?? 1, output }))
  })
}

beforeAll(async () => {
  for (const [what, file] of [
    ['the example data (bash scripts/examples.sh)', 'examples/readmission/data/reference.csv'],
    ['Helm (bash scripts/tools/helm.sh)', '.tools/helm4/helm'],
  ] as const) {
    if (!existsSync(join(root, file))) throw new Error(`${what} is missing: ${file}`)
  }
  execFileSync(process.execPath, [join(root, 'scripts/bundle.mjs'), 'cli'], {
    cwd: join(root, 'packages/cli'),
  })
  execFileSync(process.execPath, [join(root, 'serve/build.mjs')], { cwd: join(root, 'serve') })
  // A workspace of its own, with the repository's folders the pipeline file names, so runs leave nothing behind.
  workspace = await mkdtemp(join(tmpdir(), 'mlops-e2e-'))
  for (const name of ['examples', 'helm', 'serve', 'packages', '.tools'])
    await symlink(join(root, name), join(workspace, name))
}, 120_000)
afterAll(() => rm(workspace, { recursive: true, force: true }))

const championOf = async () => {
  const aliases = await readFile(join(workspace, 'mlruns/models/readmission/aliases/champion'), 'utf8').catch(
    () => undefined,
  )
  return aliases?.trim()
}

describe('mlops pipeline on the embedded example', () => {
  test('every stage passes: data-qa, train, register, gate, image, helm template, serve, smoke test, drift', async () => {
    const { code, output } = await runPipeline()
    expect(output).toContain('every stage passed')
    expect(code).toBe(0)
    for (const stage of [
      'data-qa',
      'train',
      'register',
      'gate',
      'image',
      'render',
      'serve',
      'smoke',
      'drift',
    ])
      expect(output).toMatch(new RegExp(`^${stage}\\s+passed`, 'm'))
    expect(output).toMatch(/^gate\s+passed\s+[\d.]+\s+pass, champion is v1/m)
    expect(output).toMatch(/^smoke\s+passed\s+[\d.]+\s+passed, v1,/m)
    const manifest = await readFile(join(workspace, 'reports/helm/readmission.yaml'), 'utf8')
    const layout = JSON.parse(await readFile(join(workspace, 'reports/image/model/index.json'), 'utf8'))
    const digest = layout.manifests[0].digest as string
    expect(manifest).toContain(`localhost/readmission@${digest}`)
    // The drifted batch sent through the server reaches drift-check through the prediction log.
    expect(output).toMatch(
      /^drift\s+passed\s+[\d.]+\s+no dataset drift \(share 0\.16\); drifted: age, glucose, length_of_stay, num_medications, admission_type$/m,
    )
  }, 300_000)

  test('a worse model stops at the gate with the rule named, and the champion stays v1 and is what serves', async () => {
    const before = await championOf()
    const { code, output } = await runPipeline('--set', 'train.params={"max_iter": 1}')
    expect(code).toBe(1)
    expect(output).toMatch(/^gate\s+failed\s+[\d.]+\s+.*roc_auc/m)
    expect(output).toContain('stopped at gate')
    for (const stage of ['image', 'render', 'serve', 'smoke'])
      expect(output).toMatch(new RegExp(`^${stage}\\s+skipped`, 'm'))
    expect(await championOf()).toBe(before)
    // What a server started on the champion alias now serves: still version 1.
    const server = await startService({
      command: [process.execPath, 'serve/dist/server.mjs'],
      cwd: workspace,
      env: { MODEL_URI: 'models:/readmission@champion', MLFLOW_TRACKING_URI: 'mlruns' },
      readyPath: '/v2/health/ready',
      timeoutMs: 60_000,
      logFile: join(workspace, 'serve-champion.log'),
    })
    try {
      const version = (await (await fetch(`${server.url}/version`)).json()) as { model: { version: string } }
      expect(version.model.version).toBe('1')
    } finally {
      await server.stop()
    }
  }, 300_000)
})
