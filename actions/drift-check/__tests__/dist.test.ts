import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { runAction, type ActionRun } from '@mlops/cli'
import { buildReferenceProfile, DEFAULT_NULL_VALUES, readColumns } from '@mlops/data'
import { startGitHubDouble, type GitHubDouble } from './github-double.js'

/** The action as users get it: action.yml and the committed dist/ in a folder with no node_modules. */
const source = resolve(import.meta.dirname, '..')
const data = resolve(source, '../../examples/readmission/data')
const SHIFTED = ['admission_type', 'age', 'glucose', 'length_of_stay', 'num_medications']
const TOKEN = 'ghs_drift_check_test_token_0123456789'
let root: string
let actionDir: string
let workspace: string
let github: GitHubDouble
const NULLS = new Set<string>(DEFAULT_NULL_VALUES)
/** Markdown as it reads once rendered: markdownTable escapes _ < > | in cells. */
const plain = (markdown: string): string => markdown.replace(/\\([\\|*_`<>[\]])/g, '$1')

/**
 * The server's prediction log for the rows of a CSV: inputs without the id and the target, numbers as numbers,
 * and the CSV's null tokens (empty, "None", "NA", ...) as null, the way the reference reader saw them.
 */
function predictionLog(csv: string, from: number, to: number): string {
  const [header, ...lines] = csv.trim().split('\n')
  const names = header!.split(',')
  return (
    lines
      .slice(from, to)
      .map((line, i) => {
        const cells = line.split(',')
        const inputs = Object.fromEntries(
          names
            .map(
              (name, k) =>
                [
                  name,
                  NULLS.has(cells[k]!) ? null : /^-?\d/.test(cells[k]!) ? Number(cells[k]) : cells[k],
                ] as const,
            )
            .filter(([name]) => name !== 'patient_id' && name !== 'readmitted_30d'),
        )
        return JSON.stringify({
          ts: new Date(Date.UTC(2026, 10, 30, 2, 40, 0, i)).toISOString(),
          request_id: `r${from + i}`,
          model: { name: 'readmission', version: '3' },
          inputs,
          outputs: { prediction: '0', probabilities: { '0': 0.8, '1': 0.2 } },
          latency_ms: 1.7,
        })
      })
      .join('\n') + '\n'
  )
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'drift-check-dist-'))
  actionDir = join(root, 'action')
  workspace = join(root, 'workspace')
  await mkdir(actionDir)
  await mkdir(join(workspace, 'model'), { recursive: true })
  await mkdir(join(workspace, 'logs'))
  await cp(join(source, 'action.yml'), join(actionDir, 'action.yml'))
  await cp(join(source, 'dist'), join(actionDir, 'dist'), { recursive: true })
  for (const name of ['reference.csv', 'drift-current.csv', 'drift-batch.csv'])
    await cp(join(data, name), join(workspace, name))
  // The bundle's reference.json, as train writes it.
  const reference = await readColumns([join(data, 'reference.csv')])
  await writeFile(
    join(workspace, 'model/reference.json'),
    JSON.stringify(buildReferenceProfile(reference, { exclude: ['patient_id'] })),
  )
  const batch = await readFile(join(data, 'drift-batch.csv'), 'utf8')
  await writeFile(join(workspace, 'logs/predictions-20261130-024000-1.jsonl'), predictionLog(batch, 0, 2500))
  await writeFile(
    join(workspace, 'logs/predictions-20261130-025500-2.jsonl'),
    predictionLog(batch, 2500, 5000),
  )
  await writeFile(join(workspace, 'broken.yml'), 'age: {method: ks\nglucose: [\n')
  const bad = predictionLog(batch, 0, 40).split('\n')
  bad[2] = bad[2]!.slice(0, 50)
  await writeFile(join(workspace, 'predictions-bad.jsonl'), bad.join('\n'))
  github = await startGitHubDouble({
    token: TOKEN,
    repository: 'acme/clinic',
    workflows: { 'retrain.yml': { dispatchable: true }, 'nightly.yml': { dispatchable: false } },
  })
}, 60_000)
afterAll(async () => {
  await github?.close()
  await rm(root, { recursive: true, force: true })
})

async function check(inputs: Record<string, string>, debug = false): Promise<ActionRun & { log: string }> {
  const lines: string[] = []
  const result = await runAction({
    actionDir,
    inputs,
    workspace,
    debug,
    env: { GITHUB_API_URL: github.url, GITHUB_REPOSITORY: 'acme/clinic' },
    write: (line) => lines.push(line),
  })
  return { ...result, log: lines.join('\n') }
}

// exclude-columns as a workflow would pass it for dataset and bundle alike (reference.json already has no id).
const fromBundle = {
  reference: 'model',
  current: 'logs',
  'share-threshold': '0.15',
  'exclude-columns': 'patient_id',
}

describe('drift-check from its committed dist', () => {
  it('raw reference vs the clean split: no drift in any column, report, summary table and chart', async () => {
    const run = await check({
      reference: 'reference.csv',
      current: 'drift-current.csv',
      'exclude-columns': 'patient_id',
    })
    expect(run.exitCode).toBe(0)
    expect(run.outputs).toMatchObject({
      'drift-detected': 'false',
      'drifted-columns': '[]',
      'drifted-share': '0',
    })
    const report = JSON.parse(await readFile(run.outputs.report!, 'utf8'))
    expect(report).toMatchObject({
      schema: 'mlops-actions/drift-report@1',
      datasetDrift: false,
      referenceRows: 70_000,
    })
    expect(report.columns).toHaveLength(32)
    expect(report.columns.every((c: { status: string }) => c.status === 'ok')).toBe(true)
    expect(run.summary).toContain('## Data drift: no dataset drift')
    expect(plain(run.summary)).toMatch(/\| age \| Wasserstein \(normed\) \| 0\.0\d+ \| ≥ 0\.1 \| 🟢 ok \|/)
    expect(run.summary).toContain('xychart-beta')
  })

  it('bundle reference.json vs a prediction-log folder: exactly the shifted columns, an issue, a dispatch', async () => {
    const run = await check(
      {
        ...fromBundle,
        'open-issue': 'true',
        'github-token': TOKEN,
        'dispatch-workflow': 'retrain.yml',
        'dispatch-ref': 'release',
        'dispatch-inputs': '{"reason": "drift in ${drifted_columns}", "full": true}',
      },
      true,
    )
    expect(run.exitCode).toBe(0)
    expect(run.outputs['drift-detected']).toBe('true')
    expect(JSON.parse(run.outputs['drifted-columns']!).sort()).toEqual(SHIFTED)
    expect(Number(run.outputs['drifted-share'])).toBeCloseTo(5 / 31, 10)
    const report = JSON.parse(await readFile(run.outputs.report!, 'utf8'))
    expect(report.missingColumns).toEqual(['readmitted_30d'])
    expect(report.currentRows).toBe(5000)
    const issue = github.issues.find(
      (candidate) =>
        candidate.body.includes('mlops-actions:drift-check:drift-check') && !candidate.pull_request,
    )!
    expect(issue).toMatchObject({ number: 3, title: 'Data drift detected', state: 'open' })
    for (const column of SHIFTED) expect(plain(issue.body)).toContain(`| ${column} |`)
    expect(github.dispatches).toEqual([
      {
        workflow: 'retrain.yml',
        ref: 'release',
        inputs: {
          reason: `drift in ${[...JSON.parse(run.outputs['drifted-columns']!)].join(',')}`,
          full: 'true',
        },
      },
    ])
    expect(github.authorizations.every((header) => header === `Bearer ${TOKEN}`)).toBe(true)
    expect(run.summary).toContain('Issue [#3]')
    expect(run.summary).toContain('Dispatched workflow `retrain.yml` on `release`')
    // Even in debug output the token never shows, not even masked.
    expect(run.log).not.toContain(TOKEN)
    expect(run.log).not.toContain('***')

    // The next run updates the same issue instead of opening another.
    const again = await check({ ...fromBundle, 'open-issue': 'true', 'github-token': TOKEN })
    expect(again.exitCode).toBe(0)
    expect(
      github.issues.filter(
        (candidate) => !candidate.pull_request && candidate.body.includes('drift-check:drift-check'),
      ),
    ).toHaveLength(1)
    expect(again.summary).toContain('Issue [#3](https://github.com/acme/clinic/issues/3) updated')
  })

  it('fail-on-drift fails the step after writing the outputs and the report', async () => {
    const run = await check({ ...fromBundle, 'fail-on-drift': 'true' })
    expect(run.exitCode).toBe(1)
    expect(run.log).toMatch(
      /Dataset drift: 5 of 31 columns drifted \(share 0\.1613, threshold 0\.15\): age, glucose/,
    )
    expect(run.log).not.toMatch(/\n\s+at /)
    expect(run.outputs['drift-detected']).toBe('true')
    expect(JSON.parse(await readFile(run.outputs.report!, 'utf8')).datasetDrift).toBe(true)
  })

  it('takes per-column methods and thresholds from a YAML file', async () => {
    await writeFile(
      join(workspace, 'drift-options.yml'),
      '# stricter on age\nage: { method: ks, threshold: 0.01 }\nadmission_type: { method: psi }\n',
    )
    const run = await check({ ...fromBundle, 'column-options': 'drift-options.yml' })
    expect(run.exitCode).toBe(0)
    const report = JSON.parse(await readFile(run.outputs.report!, 'utf8'))
    const byName = (name: string) => report.columns.find((c: { column: string }) => c.column === name)
    expect(byName('age')).toMatchObject({
      method: 'ks',
      threshold: 0.01,
      scoreType: 'p_value',
      drifted: true,
    })
    expect(byName('age').score).toBeLessThan(1e-10)
    expect(byName('admission_type')).toMatchObject({ method: 'psi', threshold: 0.2, drifted: true })
    expect(byName('glucose')).toMatchObject({ method: 'wasserstein', threshold: 0.1 })
    expect(plain(run.summary)).toContain('| age | K-S p-value |')
  })

  it('a small batch is not enough data rather than drift', async () => {
    await writeFile(
      join(workspace, 'small.jsonl'),
      predictionLog(await readFile(join(data, 'drift-batch.csv'), 'utf8'), 0, 20),
    )
    const run = await check({ reference: 'model/reference.json', current: 'small.jsonl' })
    expect(run.exitCode).toBe(0)
    expect(run.outputs['drift-detected']).toBe('false')
    expect(plain(run.summary)).toContain('⚪ not enough data (< 30)')
  })

  describe('bad input is one clear error, never a stack trace', () => {
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      [
        'a missing current file',
        { reference: 'model', current: 'missing.csv' },
        /no files match 'missing\.csv'/,
      ],
      [
        'a missing reference.json',
        { reference: 'nope/reference.json', current: 'logs' },
        /Input 'reference': nope\/reference\.json does not exist/,
      ],
      [
        'an unknown column in column-options',
        { reference: 'model', current: 'logs', 'column-options': '{agee: {method: ks}}' },
        /input 'column-options': column 'agee' is not in the reference \(did you mean 'age'\?\)/,
      ],
      [
        'an unknown method',
        { reference: 'model', current: 'logs', 'column-options': '{age: {method: kstest}}' },
        /column 'age': method must be one of ks, chisquare, z, wasserstein, jensenshannon, psi, got "kstest"/,
      ],
      [
        'a column-options file that is not YAML',
        { reference: 'model', current: 'logs', 'column-options': 'broken.yml' },
        /broken\.yml is not valid YAML or JSON/,
      ],
      [
        'a malformed prediction log line, by file:line',
        { reference: 'model', current: 'predictions-bad.jsonl', 'current-format': 'prediction-log' },
        /predictions-bad\.jsonl:3: not valid JSON/,
      ],
      [
        'open-issue without a token',
        { ...fromBundle, 'open-issue': 'true' },
        /Input 'github-token' is required with 'open-issue'/,
      ],
      [
        'a rejected token (401)',
        { ...fromBundle, 'open-issue': 'true', 'github-token': 'ghs_wrong_token_abcdef' },
        /GitHub rejected the token \(401 Bad credentials\)/,
      ],
      [
        'an unknown repository (404)',
        { ...fromBundle, 'open-issue': 'true', 'github-token': TOKEN, repository: 'acme/nothing' },
        /Could not list the open issues of acme\/nothing: GitHub answered 404 \(Not Found\)/,
      ],
      [
        'a workflow without workflow_dispatch (422)',
        { ...fromBundle, 'dispatch-workflow': 'nightly.yml', 'github-token': TOKEN },
        /GitHub answered 422 \(Workflow does not have 'workflow_dispatch' trigger\)\. The workflow needs an 'on: workflow_dispatch' trigger/,
      ],
    ]
    it.each(cases)('%s', async (_, inputs, message) => {
      const run = await check(inputs)
      expect(run.exitCode).toBe(1)
      expect(run.log).toMatch(message)
      expect(run.log).not.toMatch(/\n\s+at /)
      expect(run.log).not.toContain('ghs_wrong_token_abcdef')
    })
  })
})
