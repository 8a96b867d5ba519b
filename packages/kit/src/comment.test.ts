import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { commentMarker, pullRequestFromContext, upsertComment } from './comment.js'
import { ConfigurationError } from './errors.js'
import { restoreEnvAfterEach } from './__fixtures__/env.js'
import { READ_TOKEN, WRITE_TOKEN, startFakeGitHub, type FakeGitHub } from './__fixtures__/fake-github.js'

let github: FakeGitHub
let nextIssue = 1
beforeAll(async () => {
  github = await startFakeGitHub()
  github.addRepo('acme', 'models')
})
afterAll(() => github.close())

// Each test gets a fresh pull request so the shared server's state does not couple tests.
function freshIssue(): number {
  github.requests.length = 0
  return nextIssue++
}

const base = () => ({ token: WRITE_TOKEN, owner: 'acme', repo: 'models', baseUrl: github.url })

describe('upsertComment', () => {
  it('creates a comment with the hidden marker, then updates it on the next run', async () => {
    const issueNumber = freshIssue()
    const first = await upsertComment({ ...base(), issueNumber, marker: 'eval', body: 'accuracy 0.91' })
    expect(first.action).toBe('created')
    expect(first.url).toBe(`https://github.com/acme/models/issues/${issueNumber}#issuecomment-${first.id}`)
    expect(github.comments('acme', 'models', issueNumber).map((c) => c.body)).toEqual([
      'accuracy 0.91\n\n<!-- mlops-actions:eval -->\n',
    ])

    const second = await upsertComment({ ...base(), issueNumber, marker: 'eval', body: 'accuracy 0.93' })
    expect(second).toEqual({ action: 'updated', id: first.id, url: first.url })
    expect(github.comments('acme', 'models', issueNumber).map((c) => c.body)).toEqual([
      'accuracy 0.93\n\n<!-- mlops-actions:eval -->\n',
    ])
    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /repos/acme/models/issues/${issueNumber}/comments`,
      `POST /repos/acme/models/issues/${issueNumber}/comments`,
      `GET /repos/acme/models/issues/${issueNumber}/comments`,
      `PATCH /repos/acme/models/issues/comments/${first.id}`,
    ])
    expect(github.requests[0]?.query['per_page']).toBe('100')
  })

  it('finds its comment on page 2 of a long discussion', async () => {
    const issueNumber = freshIssue()
    const bodies = Array.from({ length: 160 }, (_, i) => `chatter ${i}`)
    bodies[130] = `old report\n\n${commentMarker('eval')}\n`
    const seeded = github.seedComments('acme', 'models', issueNumber, bodies)

    const result = await upsertComment({ ...base(), issueNumber, marker: 'eval', body: 'new report' })
    expect(result).toMatchObject({ action: 'updated', id: seeded[130]?.id })
    const pages = github.requests.filter((r) => r.method === 'GET').map((r) => r.query['page'] ?? '1')
    expect(pages).toEqual(['1', '2'])
    expect(github.requests.filter((r) => r.method === 'POST')).toEqual([])
    expect(github.comments('acme', 'models', issueNumber)).toHaveLength(160)
  })

  it('updates the newest of several marked comments', async () => {
    const issueNumber = freshIssue()
    const marked = `report\n\n${commentMarker('eval')}`
    const seeded = github.seedComments('acme', 'models', issueNumber, [marked, 'chatter', marked, 'chatter'])
    const result = await upsertComment({ ...base(), issueNumber, marker: 'eval', body: 'latest' })
    expect(result.id).toBe(seeded[2]?.id)
  })

  it('matches the marker exactly, not one that merely starts the same', async () => {
    const issueNumber = freshIssue()
    github.seedComments('acme', 'models', issueNumber, [`other\n\n${commentMarker('eval-drift')}`, 'eval'])
    const result = await upsertComment({ ...base(), issueNumber, marker: 'eval', body: 'mine' })
    expect(result.action).toBe('created')
    expect(github.comments('acme', 'models', issueNumber)[0]?.body).toBe(
      `other\n\n${commentMarker('eval-drift')}`,
    )
  })

  it('does not add the marker twice when the body already has it', async () => {
    const issueNumber = freshIssue()
    const body = `${commentMarker('eval')}\nreport`
    await upsertComment({ ...base(), issueNumber, marker: 'eval', body })
    expect(github.comments('acme', 'models', issueNumber)[0]?.body).toBe(body)
  })

  it('explains the missing permission when the token is read-only (fork pull requests)', async () => {
    const issueNumber = freshIssue()
    const error = await upsertComment({
      ...base(),
      token: READ_TOKEN,
      issueNumber,
      marker: 'eval',
      body: 'x',
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigurationError)
    expect((error as Error).message).toContain('permissions: pull-requests: write')
    expect((error as Error).message).toContain('fork')
    expect(((error as Error).cause as { status: number }).status).toBe(403)
    // The read worked; only the write was refused.
    expect(github.requests.map((r) => r.status)).toEqual([200, 403])
  })

  it('reports a rejected token as a configuration problem', async () => {
    const issueNumber = freshIssue()
    await expect(
      upsertComment({ ...base(), token: 'ghp_wrong', issueNumber, marker: 'eval', body: 'x' }),
    ).rejects.toThrow(ConfigurationError)
    await expect(
      upsertComment({ ...base(), token: 'ghp_wrong', issueNumber, marker: 'eval', body: 'x' }),
    ).rejects.toThrow(/401 Bad credentials/)
  })

  it('reports an unknown repository', async () => {
    const issueNumber = freshIssue()
    const error = await upsertComment({
      ...base(),
      repo: 'missing',
      issueNumber,
      marker: 'eval',
      body: 'x',
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigurationError)
    expect((error as Error).message).toContain(`acme/missing#${issueNumber}`)
  })

  it('rejects an empty token before calling GitHub', async () => {
    freshIssue()
    await expect(
      upsertComment({ ...base(), token: '', issueNumber: 1, marker: 'eval', body: 'x' }),
    ).rejects.toThrow(ConfigurationError)
    expect(github.requests).toEqual([])
  })

  it('rejects a marker that would break the HTML comment', () => {
    expect(() => commentMarker('a-->b')).toThrow(/Invalid comment marker/)
    expect(() => commentMarker('two words')).toThrow(/Invalid comment marker/)
    expect(() => commentMarker('')).toThrow(/Invalid comment marker/)
    expect(commentMarker('eval/v2')).toBe('<!-- mlops-actions:eval/v2 -->')
  })

  describe('base URL', () => {
    restoreEnvAfterEach()

    it('defaults to GITHUB_API_URL', async () => {
      const issueNumber = freshIssue()
      process.env['GITHUB_API_URL'] = `${github.url}/`
      const { baseUrl: _unused, ...options } = base()
      const result = await upsertComment({ ...options, issueNumber, marker: 'eval', body: 'x' })
      expect(result.action).toBe('created')
      expect(github.requests).toHaveLength(2)
    })
  })
})

describe('pullRequestFromContext', () => {
  restoreEnvAfterEach()
  const dir = mkdtempSync(join(tmpdir(), 'kit-event-'))

  function event(name: string, payload: unknown): void {
    const path = join(dir, `${name}.json`)
    writeFileSync(path, JSON.stringify(payload))
    process.env['GITHUB_EVENT_PATH'] = path
    process.env['GITHUB_EVENT_NAME'] = name
  }

  it('reads a pull_request event', () => {
    process.env['GITHUB_REPOSITORY'] = 'acme/models'
    event('pull_request', { action: 'opened', number: 42, pull_request: { number: 42 } })
    expect(pullRequestFromContext()).toEqual({ owner: 'acme', repo: 'models', number: 42 })
  })

  it('reads an issue_comment event on a pull request', () => {
    process.env['GITHUB_REPOSITORY'] = 'acme/models'
    event('issue_comment', { issue: { number: 9, pull_request: { url: 'https://api.github.com/...' } } })
    expect(pullRequestFromContext()).toEqual({ owner: 'acme', repo: 'models', number: 9 })
  })

  it('ignores an issue_comment on a plain issue, and pushes', () => {
    process.env['GITHUB_REPOSITORY'] = 'acme/models'
    event('issue_comment', { issue: { number: 9 } })
    expect(pullRequestFromContext()).toBeUndefined()
    event('push', { ref: 'refs/heads/main', repository: { name: 'models', owner: { login: 'acme' } } })
    expect(pullRequestFromContext()).toBeUndefined()
  })

  it('falls back to the payload repository without GITHUB_REPOSITORY', () => {
    event('pull_request', {
      pull_request: { number: 3 },
      repository: { name: 'models', owner: { login: 'acme' } },
    })
    expect(pullRequestFromContext()).toEqual({ owner: 'acme', repo: 'models', number: 3 })
  })

  it('is undefined without an event file, or with an unreadable one', () => {
    expect(pullRequestFromContext()).toBeUndefined()
    process.env['GITHUB_EVENT_PATH'] = join(dir, 'missing.json')
    expect(pullRequestFromContext()).toBeUndefined()
    writeFileSync(join(dir, 'broken.json'), '{')
    process.env['GITHUB_EVENT_PATH'] = join(dir, 'broken.json')
    expect(pullRequestFromContext()).toBeUndefined()
  })
})
