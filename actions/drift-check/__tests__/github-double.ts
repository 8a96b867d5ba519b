import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A test double of the slice of the GitHub REST API that drift-check calls, answering as GitHub does: list
 * open issues (pull requests included, flagged by `pull_request`), create and update an issue, and
 * workflow_dispatch (204; 404 for an unknown workflow; 422 for one without a workflow_dispatch trigger).
 * A wrong token gets 401 and an unknown repository 404, with GitHub's JSON error bodies.
 */
export interface DoubleIssue {
  number: number
  title: string
  body: string
  state: 'open' | 'closed'
  pull_request?: { url: string }
}

export interface GitHubDouble {
  url: string
  issues: DoubleIssue[]
  dispatches: Array<{ workflow: string; ref: string; inputs: Record<string, string> }>
  authorizations: string[]
  close(): Promise<void>
}

export async function startGitHubDouble(options: {
  token: string
  repository: string
  workflows: Record<string, { dispatchable: boolean }>
}): Promise<GitHubDouble> {
  const issues: DoubleIssue[] = [
    { number: 1, title: 'Unrelated bug', body: 'Something else', state: 'open' },
    {
      number: 2,
      title: 'A pull request',
      body: '<!-- mlops-actions:drift-check:drift-check -->',
      state: 'open',
      pull_request: { url: 'x' },
    },
  ]
  const dispatches: GitHubDouble['dispatches'] = []
  const authorizations: string[] = []
  let next = 3
  const server: Server = createServer(async (request, response) => {
    const send = (status: number, body?: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
      response.end(body === undefined ? '' : JSON.stringify(body))
    }
    const docs = 'https://docs.github.com/rest'
    authorizations.push(request.headers.authorization ?? '')
    if (request.headers.authorization !== `Bearer ${options.token}`)
      return send(401, { message: 'Bad credentials', documentation_url: docs, status: '401' })
    const url = new URL(request.url ?? '/', 'http://double')
    const prefix = `/repos/${options.repository}/`
    if (!url.pathname.startsWith(prefix))
      return send(404, { message: 'Not Found', documentation_url: docs, status: '404' })
    const rest = url.pathname.slice(prefix.length)
    const body = request.method === 'GET' ? undefined : await readJson(request)
    const htmlUrl = (n: number) => `https://github.com/${options.repository}/issues/${n}`
    if (rest === 'issues' && request.method === 'GET') {
      const page = Number(url.searchParams.get('page') ?? 1)
      const perPage = Number(url.searchParams.get('per_page') ?? 30)
      const open = issues.filter((issue) => issue.state === url.searchParams.get('state'))
      return send(
        200,
        open
          .slice((page - 1) * perPage, page * perPage)
          .map((issue) => ({ ...issue, html_url: htmlUrl(issue.number) })),
      )
    }
    if (rest === 'issues' && request.method === 'POST') {
      const { title, body: text } = body as { title?: string; body?: string }
      if (!title)
        return send(422, {
          message: 'Validation Failed',
          errors: [{ resource: 'Issue', code: 'missing_field', field: 'title' }],
        })
      const issue: DoubleIssue = { number: next++, title, body: text ?? '', state: 'open' }
      issues.push(issue)
      return send(201, { ...issue, html_url: htmlUrl(issue.number) })
    }
    const edit = /^issues\/(\d+)$/.exec(rest)
    if (edit && request.method === 'PATCH') {
      const issue = issues.find((candidate) => candidate.number === Number(edit[1]))
      if (!issue) return send(404, { message: 'Not Found', documentation_url: docs, status: '404' })
      Object.assign(issue, body)
      return send(200, { ...issue, html_url: htmlUrl(issue.number) })
    }
    const dispatch = /^actions\/workflows\/([^/]+)\/dispatches$/.exec(rest)
    if (dispatch && request.method === 'POST') {
      const workflow = decodeURIComponent(dispatch[1]!)
      const known = options.workflows[workflow]
      if (!known) return send(404, { message: 'Not Found', documentation_url: docs, status: '404' })
      if (!known.dispatchable)
        return send(422, {
          message: "Workflow does not have 'workflow_dispatch' trigger",
          documentation_url: docs,
          status: '422',
        })
      const { ref, inputs } = body as { ref: string; inputs?: Record<string, string> }
      dispatches.push({ workflow, ref, inputs: inputs ?? {} })
      response.writeHead(204)
      return response.end()
    }
    return send(404, { message: 'Not Found', documentation_url: docs, status: '404' })
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    issues,
    dispatches,
    authorizations,
    close: () => new Promise((done) => server.close(() => done())),
  }
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  return text === '' ? undefined : JSON.parse(text)
}
