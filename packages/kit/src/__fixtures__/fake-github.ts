// An in-process stand-in for the part of the GitHub REST API that comment.ts uses, with GitHub's
// status codes, pagination and Link headers, so tests exercise the real Octokit client end to end.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type TokenAccess = 'write' | 'read'

export interface FakeComment {
  id: number
  body: string
  html_url: string
  created_at: string
  updated_at: string
  user: { login: string }
}

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  token: string | undefined
  body: unknown
  status: number
}

export interface FakeGitHub {
  /** Pass as `baseUrl`. */
  url: string
  requests: RecordedRequest[]
  addRepo(owner: string, repo: string): void
  /** Adds comments from bodies, oldest first, as if written by other users or earlier runs. */
  seedComments(owner: string, repo: string, issueNumber: number, bodies: string[]): FakeComment[]
  comments(owner: string, repo: string, issueNumber: number): FakeComment[]
  close(): Promise<void>
}

export const WRITE_TOKEN = 'ghs_fake_write_token'
export const READ_TOKEN = 'ghs_fake_read_token'

const DEFAULT_PER_PAGE = 30
const MAX_PER_PAGE = 100

interface Reply {
  status: number
  body: unknown
  headers?: Record<string, string>
}

interface Route {
  method: string
  pattern: RegExp
  handle: (match: string[], request: Parsed) => Reply
}

interface Parsed {
  url: URL
  access: TokenAccess
  body: unknown
  origin: string
}

export async function startFakeGitHub(
  tokens: Record<string, TokenAccess> = { [WRITE_TOKEN]: 'write', [READ_TOKEN]: 'read' },
): Promise<FakeGitHub> {
  const repos = new Map<string, Map<number, FakeComment[]>>()
  const requests: RecordedRequest[] = []
  let nextId = 1000
  // A fixed clock that ticks per comment keeps created_at distinct and ordered, like the real API.
  let clock = Date.parse('2024-01-01T00:00:00Z')

  const issueComments = (owner: string, repo: string, issueNumber: number): FakeComment[] | undefined => {
    const issues = repos.get(`${owner}/${repo}`.toLowerCase())
    if (issues === undefined) return undefined
    let list = issues.get(issueNumber)
    if (list === undefined) {
      list = []
      issues.set(issueNumber, list)
    }
    return list
  }

  const newComment = (owner: string, repo: string, issueNumber: number, body: string, login: string) => {
    const id = nextId++
    clock += 1000
    const at = new Date(clock).toISOString()
    return {
      id,
      body,
      html_url: `https://github.com/${owner}/${repo}/issues/${issueNumber}#issuecomment-${id}`,
      created_at: at,
      updated_at: at,
      user: { login },
    }
  }

  const notFound: Reply = {
    status: 404,
    body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' },
  }
  const forbidden: Reply = {
    status: 403,
    body: {
      message: 'Resource not accessible by integration',
      documentation_url: 'https://docs.github.com/rest',
    },
  }

  const routes: Route[] = [
    {
      method: 'GET',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/,
      handle: ([, owner = '', repo = '', issue = ''], { url, origin }) => {
        const list = issueComments(owner, repo, Number(issue))
        if (list === undefined) return notFound
        const perPage = clampInt(url.searchParams.get('per_page'), DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
        const page = clampInt(url.searchParams.get('page'), 1, 1, Number.MAX_SAFE_INTEGER)
        const lastPage = Math.max(1, Math.ceil(list.length / perPage))
        const data = list.slice((page - 1) * perPage, page * perPage)
        const link = linkHeader(`${origin}${url.pathname}`, url.searchParams, page, lastPage)
        const headers: Record<string, string> = link === '' ? {} : { link }
        return { status: 200, body: data, headers }
      },
    },
    {
      method: 'POST',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/,
      handle: ([, owner = '', repo = '', issue = ''], { access, body }) => {
        const list = issueComments(owner, repo, Number(issue))
        if (list === undefined) return notFound
        if (access !== 'write') return forbidden
        const text = (body as { body?: unknown } | null)?.body
        if (typeof text !== 'string' || text === '') return validationFailed()
        const comment = newComment(owner, repo, Number(issue), text, 'github-actions[bot]')
        list.push(comment)
        return { status: 201, body: comment }
      },
    },
    {
      method: 'PATCH',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/,
      handle: ([, owner = '', repo = '', id = ''], { access, body }) => {
        const issues = repos.get(`${owner}/${repo}`.toLowerCase())
        if (issues === undefined) return notFound
        const comment = [...issues.values()].flat().find((candidate) => candidate.id === Number(id))
        if (comment === undefined) return notFound
        if (access !== 'write') return forbidden
        const text = (body as { body?: unknown } | null)?.body
        if (typeof text !== 'string' || text === '') return validationFailed()
        clock += 1000
        comment.body = text
        comment.updated_at = new Date(clock).toISOString()
        return { status: 200, body: comment }
      },
    },
  ]

  const server = createServer((req, res) => {
    void readBody(req).then((raw) => respond(req, res, raw))
  })

  const respond = (req: IncomingMessage, res: ServerResponse, raw: string): void => {
    const origin = `http://${req.headers.host ?? '127.0.0.1'}`
    const url = new URL(req.url ?? '/', origin)
    const token = /^(?:token|bearer)\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]
    let body: unknown = undefined
    let result: Reply
    try {
      body = raw === '' ? undefined : JSON.parse(raw)
      result = handle(req.method ?? 'GET', url, token, body, origin)
    } catch (error) {
      result =
        error instanceof SyntaxError
          ? { status: 400, body: { message: 'Problems parsing JSON' } }
          : { status: 500, body: { message: String(error) } }
    }
    requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      token,
      body,
      status: result.status,
    })
    res.writeHead(result.status, { 'content-type': 'application/json; charset=utf-8', ...result.headers })
    res.end(JSON.stringify(result.body))
  }

  const handle = (
    method: string,
    url: URL,
    token: string | undefined,
    body: unknown,
    origin: string,
  ): Reply => {
    if (token === undefined) return { status: 401, body: { message: 'Requires authentication' } }
    const access = tokens[token]
    if (access === undefined) return { status: 401, body: { message: 'Bad credentials' } }
    for (const route of routes) {
      const match = route.pattern.exec(url.pathname)
      if (match !== null && route.method === method)
        return route.handle([...match], { url, access, body, origin })
    }
    return notFound
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    addRepo(owner, repo) {
      repos.set(`${owner}/${repo}`.toLowerCase(), new Map())
    },
    seedComments(owner, repo, issueNumber, bodies) {
      const list = issueComments(owner, repo, issueNumber)
      if (list === undefined) throw new Error(`fake-github: unknown repository ${owner}/${repo}`)
      const added = bodies.map((body) => newComment(owner, repo, issueNumber, body, 'someone'))
      list.push(...added)
      return added
    },
    comments(owner, repo, issueNumber) {
      return [...(issueComments(owner, repo, issueNumber) ?? [])]
    },
    close() {
      // Clients keep connections alive; without this close() would wait for them to time out.
      server.closeAllConnections()
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
    },
  }
}

function validationFailed(): Reply {
  return {
    status: 422,
    body: {
      message: 'Validation Failed',
      errors: [{ resource: 'IssueComment', code: 'missing_field', field: 'body' }],
    },
  }
}

function clampInt(raw: string | null, fallback: number, min: number, max: number): number {
  const value = raw === null ? Number.NaN : Number.parseInt(raw, 10)
  if (!Number.isFinite(value)) return fallback
  return Math.min(max, Math.max(min, value))
}

// GitHub's format: `<url?page=2>; rel="next", <url?page=5>; rel="last"`, with prev/first on later pages.
function linkHeader(base: string, params: URLSearchParams, page: number, lastPage: number): string {
  const pageUrl = (target: number): string => {
    const query = new URLSearchParams(params)
    query.set('page', String(target))
    return `${base}?${query.toString()}`
  }
  const links: string[] = []
  if (page > 1) links.push(`<${pageUrl(Math.min(page - 1, lastPage))}>; rel="prev"`)
  if (page < lastPage) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(lastPage)}>; rel="last"`)
  if (page > 1) links.push(`<${pageUrl(1)}>; rel="first"`)
  return links.join(', ')
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}
