import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FileStore, registerModelBundle } from '@mlops/mlflow'
import {
  startFakeGitHub,
  WRITE_TOKEN,
  type FakeGitHub,
} from '../../../packages/kit/src/__fixtures__/fake-github.js'
import { createGateFixture, type GateFixture } from './gate-fixture.js'

/**
 * Three pushes to one pull request against the GitHub REST test double (the real Octokit client over HTTP),
 * with the models in a local MLflow FileStore: champion = version 1 (weak), challenger = version 2 (strong).
 */
let fixture: GateFixture
let github: FakeGitHub
let store: FileStore
let prEvent: string
let forkEvent: string

const event = (head: string) => ({
  pull_request: {
    number: 7,
    head: { repo: { full_name: head } },
    base: { repo: { full_name: 'acme/readmission' } },
  },
  repository: { name: 'readmission', owner: { login: 'acme' } },
})

beforeAll(async () => {
  fixture = await createGateFixture('quality-gate-pr-')
  github = await startFakeGitHub()
  github.addRepo('acme', 'readmission')
  store = await FileStore.open(join(fixture.workspace, 'mlruns'))
  for (const [bundle, alias] of [
    ['weak', 'champion'],
    ['strong', 'challenger'],
    ['weak', 'rejected'],
  ] as const) {
    await registerModelBundle({
      store,
      bundleDir: join(fixture.workspace, 'models', bundle),
      experiment: 'readmission',
      modelName: 'readmission',
      alias,
    })
  }
  await writeFile(
    join(fixture.workspace, 'gate.yml'),
    'metrics:\n  roc_auc: { min: 0.6, min_change: -0.01 }\n',
  )
  prEvent = join(fixture.root, 'pr-event.json')
  forkEvent = join(fixture.root, 'fork-event.json')
  await writeFile(prEvent, JSON.stringify(event('acme/readmission')))
  await writeFile(forkEvent, JSON.stringify(event('someone/readmission')))
})
afterAll(async () => {
  await github?.close()
  await fixture?.cleanup()
})

const onPullRequest = (eventPath: string) => ({
  GITHUB_EVENT_PATH: eventPath,
  GITHUB_REPOSITORY: 'acme/readmission',
  GITHUB_API_URL: github.url,
})
const challenger = { candidate: 'models:/readmission@challenger', 'github-token': WRITE_TOKEN }

describe('quality-gate on a pull request, with the MLflow registry', () => {
  it('three pushes: one comment created then updated twice; the alias moves only when promotion is on; reruns are idempotent', async () => {
    // Push 1: promotion off, the gate passes, the champion stays.
    const first = await fixture.run(challenger, onPullRequest(prEvent))
    expect(first.exitCode).toBe(0)
    expect(first.outputs).toMatchObject({ verdict: 'pass', promoted: 'false', 'champion-version': '1' })
    expect((await store.getRegisteredModel('readmission')).aliases.champion).toBe('1')
    expect(first.log).toMatch(
      /PR comment created: https:\/\/github\.com\/acme\/readmission\/issues\/7#issuecomment-\d+/,
    )

    // Push 2: promotion on: champion -> 2, the previous champion recorded for audit and rollback.
    const second = await fixture.run({ ...challenger, promote: 'true' }, onPullRequest(prEvent))
    expect(second.exitCode).toBe(0)
    expect(second.outputs).toMatchObject({ verdict: 'pass', promoted: 'true', 'champion-version': '2' })
    const model = await store.getRegisteredModel('readmission')
    expect(model.aliases).toMatchObject({ champion: '2', challenger: '2' })
    expect(model.tags.previous_champion).toBe('1')
    expect((await store.getModelVersion('readmission', '2')).tags.previous_champion).toBe('1')
    expect(second.summary).toContain('champion moved to version 2 from version 1')

    // Push 3: the same promotion again changes nothing and judges against the same baseline (version 1).
    const third = await fixture.run({ ...challenger, promote: 'true' }, onPullRequest(prEvent))
    expect(third.exitCode).toBe(0)
    expect(third.outputs).toMatchObject({ verdict: 'pass', promoted: 'true', 'champion-version': '2' })
    expect(third.log).toContain('already points at the candidate (version 2, promoted by an earlier run)')
    expect(JSON.parse(third.outputs.deltas!).roc_auc).toEqual(JSON.parse(second.outputs.deltas!).roc_auc)
    expect(third.summary).toContain(
      'champion already points at version 2 (promoted by an earlier run); nothing changed',
    )
    const again = await store.getRegisteredModel('readmission')
    expect(again.aliases.champion).toBe('2')
    expect(again.tags.previous_champion).toBe('1')

    const writes = github.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.status}`)
    expect(writes).toEqual(['POST 201', 'PATCH 200', 'PATCH 200'])
    const comments = github.comments('acme', 'readmission', 7)
    expect(comments).toHaveLength(1)
    const body = comments[0]!.body
    expect(body).toContain('<!-- mlops-actions:quality-gate:quality-gate -->')
    expect(body).toContain('## ✅ Quality gate `quality-gate`: pass')
    expect(body).toContain(
      'Candidate `models:/readmission@challenger (version 2)` vs champion `models:/readmission/1`',
    )
    expect(body).toContain('xychart-beta')
    expect(body).toMatch(/x-axis \["v1", "v2", "v3"\]/)
    // No secret and no runner path in what the PR shows.
    expect(body).not.toContain(WRITE_TOKEN)
    expect(body).not.toContain(fixture.root)
    expect(body).not.toMatch(/\/tmp\/|\/home\/|\/work\//)
  })

  it('a failing candidate is not promoted even when promotion is on', async () => {
    const run = await fixture.run(
      {
        ...challenger,
        candidate: 'models:/readmission@rejected',
        promote: 'true',
        'gate-name': 'rejected-gate',
      },
      onPullRequest(prEvent),
    )
    expect(run.exitCode).toBe(1)
    expect(run.outputs).toMatchObject({ verdict: 'fail', promoted: 'false', 'champion-version': '2' })
    expect(run.log).toMatch(/Quality gate failed: roc_auc change -0\.\d{4}/)
    expect(run.summary).toContain('Not promoted: the gate failed, champion stays where it was.')
    expect((await store.getRegisteredModel('readmission')).aliases.champion).toBe('2')
    // Its own gate name: a second comment, the first one untouched.
    expect(github.comments('acme', 'readmission', 7)).toHaveLength(2)
  })

  it('a pull request from a fork: the comment is skipped with a notice, the verdict still applies', async () => {
    const before = github.requests.length
    const run = await fixture.run(
      { ...challenger, candidate: 'models:/readmission/3' },
      onPullRequest(forkEvent),
    )
    expect(run.exitCode).toBe(1)
    expect(run.outputs.verdict).toBe('fail')
    expect(run.annotations).toContainEqual(
      expect.objectContaining({
        level: 'notice',
        message: expect.stringMatching(/pull request from a fork/),
      }),
    )
    expect(github.requests.length).toBe(before)
  })

  it('no token: the comment is skipped with a warning, the gate still runs', async () => {
    const run = await fixture.run({ ...challenger, 'github-token': '' }, onPullRequest(prEvent))
    expect(run.exitCode).toBe(0)
    expect(run.annotations).toContainEqual(
      expect.objectContaining({ level: 'warning', message: expect.stringMatching(/no 'github-token'/) }),
    )
  })

  it('a bundle from the train step against the registered champion, as ml-pr-check runs it', async () => {
    const run = await fixture.run(
      {
        candidate: 'models/strong',
        baseline: 'models:/readmission@champion',
        target: 'readmitted_30d',
        thresholds: 'gate.yml',
        comment: 'false',
      },
      {},
    )
    expect(run.exitCode).toBe(0)
    expect(run.outputs['champion-version']).toBe('2')
    expect(run.summary).toContain('vs champion `models:/readmission@champion (version 2)`')
    expect(run.summary).toContain('xychart-beta')
  })

  it('no champion alias yet: the first model is judged on absolute thresholds alone, and says so', async () => {
    const run = await fixture.run({ ...challenger, 'champion-alias': 'production', comment: 'false' }, {})
    expect(run.exitCode).toBe(0)
    expect(run.log).toContain('models:/readmission@production does not exist yet: this is the first model')
    expect(run.log).toContain('first model (no champion): passed on absolute thresholds alone')
    expect(run.outputs['champion-version']).toBe('')
  })
})
