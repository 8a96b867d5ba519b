// The fake must behave like GitHub for the comment tests to mean anything; these pin that down.
import { READ_TOKEN, WRITE_TOKEN, startFakeGitHub, type FakeGitHub } from './fake-github.js'

let github: FakeGitHub
beforeAll(async () => {
  github = await startFakeGitHub()
  github.addRepo('acme', 'models')
  github.seedComments(
    'acme',
    'models',
    7,
    Array.from({ length: 150 }, (_, i) => `comment ${i}`),
  )
})
afterAll(() => github.close())

async function call(path: string, init: { token?: string; method?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (init.token !== undefined) headers['authorization'] = `token ${init.token}`
  const response = await fetch(`${github.url}${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  })
  return {
    status: response.status,
    link: response.headers.get('link'),
    data: (await response.json()) as unknown,
  }
}

describe('fake GitHub', () => {
  it('pages comments with GitHub-style Link headers', async () => {
    const first = await call('/repos/acme/models/issues/7/comments?per_page=100', { token: READ_TOKEN })
    expect(first.status).toBe(200)
    expect((first.data as unknown[]).length).toBe(100)
    expect(first.link).toBe(
      `<${github.url}/repos/acme/models/issues/7/comments?per_page=100&page=2>; rel="next", ` +
        `<${github.url}/repos/acme/models/issues/7/comments?per_page=100&page=2>; rel="last"`,
    )
    const second = await call('/repos/acme/models/issues/7/comments?per_page=100&page=2', {
      token: READ_TOKEN,
    })
    expect((second.data as Array<{ body: string }>).map((c) => c.body)).toEqual(
      Array.from({ length: 50 }, (_, i) => `comment ${i + 100}`),
    )
    expect(second.link).not.toContain('rel="next"')
    expect(second.link).toContain('rel="prev"')
  })

  it('defaults to 30 per page and caps per_page at 100', async () => {
    const standard = await call('/repos/acme/models/issues/7/comments', { token: READ_TOKEN })
    expect((standard.data as unknown[]).length).toBe(30)
    expect(standard.link).toContain('page=5>; rel="last"')
    const capped = await call('/repos/acme/models/issues/7/comments?per_page=500', { token: READ_TOKEN })
    expect((capped.data as unknown[]).length).toBe(100)
  })

  it('answers 401, 403 and 404 like GitHub', async () => {
    expect((await call('/repos/acme/models/issues/7/comments')).status).toBe(401)
    expect((await call('/repos/acme/models/issues/7/comments', { token: 'nope' })).status).toBe(401)
    expect((await call('/repos/acme/other/issues/7/comments', { token: READ_TOKEN })).status).toBe(404)
    const post = { method: 'POST', body: { body: 'hi' } }
    expect((await call('/repos/acme/models/issues/7/comments', { token: READ_TOKEN, ...post })).status).toBe(
      403,
    )
    expect(
      (
        await call('/repos/acme/models/issues/comments/1', {
          token: WRITE_TOKEN,
          method: 'PATCH',
          body: { body: 'x' },
        })
      ).status,
    ).toBe(404)
  })

  it('creates and edits comments', async () => {
    const created = await call('/repos/acme/models/issues/8/comments', {
      token: WRITE_TOKEN,
      method: 'POST',
      body: { body: 'first' },
    })
    expect(created.status).toBe(201)
    const { id, html_url } = created.data as { id: number; html_url: string }
    expect(html_url).toBe(`https://github.com/acme/models/issues/8#issuecomment-${id}`)
    const edited = await call(`/repos/acme/models/issues/comments/${id}`, {
      token: WRITE_TOKEN,
      method: 'PATCH',
      body: { body: 'second' },
    })
    expect(edited.status).toBe(200)
    expect(github.comments('acme', 'models', 8).map((c) => c.body)).toEqual(['second'])
    expect(
      (await call('/repos/acme/models/issues/8/comments', { token: WRITE_TOKEN, method: 'POST', body: {} }))
        .status,
    ).toBe(422)
  })
})
