import { ConfigurationError, retry } from '@mlops/kit'

/**
 * The three GitHub REST calls drift-check makes (list/create/update an issue, dispatch a workflow), with plain
 * fetch. The API root comes from GITHUB_API_URL, as on GitHub Enterprise runners, which also lets the tests
 * point it at a local test double. The token only ever goes into the Authorization header.
 */
export interface GitHubRepo {
  token: string
  owner: string
  repo: string
  /** Default: GITHUB_API_URL, else https://api.github.com. */
  baseUrl?: string
}

class GitHubHttpError extends Error {
  constructor(
    readonly status: number,
    readonly apiMessage: string,
  ) {
    super(`GitHub answered ${status}: ${apiMessage}`)
  }
}

async function request(repo: GitHubRepo, method: string, path: string, body?: unknown): Promise<unknown> {
  const base = (repo.baseUrl ?? (process.env['GITHUB_API_URL'] || 'https://api.github.com')).replace(
    /\/+$/,
    '',
  )
  return retry(
    async () => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${repo.token}`,
          'x-github-api-version': '2022-11-28',
          'user-agent': 'mlops-actions-drift-check',
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      })
      const text = await response.text()
      if (!response.ok) {
        let message = text.slice(0, 300)
        try {
          const parsed = JSON.parse(text) as { message?: string; errors?: unknown }
          message = [parsed.message, parsed.errors && JSON.stringify(parsed.errors)].filter(Boolean).join(' ')
        } catch {
          // Not JSON (a proxy's error page): the first characters say enough.
        }
        throw new GitHubHttpError(response.status, message)
      }
      return text === '' ? undefined : (JSON.parse(text) as unknown)
    },
    // Only GitHub's own hiccups are worth another try; 4xx answers will not change.
    { attempts: 3, isRetryable: (error) => !(error instanceof GitHubHttpError) || error.status >= 500 },
  )
}

function explain(error: unknown, what: string, hint403: string, hint404: string, hint422 = ''): unknown {
  if (!(error instanceof GitHubHttpError)) return error
  const base = `Could not ${what}: GitHub answered ${error.status} (${error.apiMessage})`
  switch (error.status) {
    case 401:
      return new ConfigurationError(
        `Could not ${what}: GitHub rejected the token (401 Bad credentials); it is invalid or expired. Pass a valid one, e.g. github-token: \${{ github.token }}`,
        {},
        { cause: error },
      )
    case 403:
      return new ConfigurationError(`${base}. ${hint403}`, {}, { cause: error })
    case 404:
      return new ConfigurationError(`${base}. ${hint404}`, {}, { cause: error })
    case 422:
      return new ConfigurationError(`${base}. ${hint422}`.trimEnd(), {}, { cause: error })
    default:
      return error
  }
}

export interface IssueResult {
  action: 'created' | 'updated'
  number: number
  url: string
}

interface Issue {
  number: number
  body?: string | null
  html_url: string
  pull_request?: unknown
}

/** The hidden line that lets the next run find the issue this check opened. */
export function issueMarker(marker: string): string {
  return `<!-- mlops-actions:drift-check:${marker} -->`
}

/**
 * Updates the open issue carrying the marker, or opens one. Open issues are listed rather than searched: the
 * search index lags by minutes, so two runs close together would otherwise open two issues.
 */
export async function upsertIssue(
  repo: GitHubRepo,
  issue: { title: string; body: string; marker: string },
): Promise<IssueResult> {
  const markerLine = issueMarker(issue.marker)
  const body = `${issue.body.trimEnd()}\n\n${markerLine}\n`
  const where = `${repo.owner}/${repo.repo}`
  const hint403 = "Grant the token 'permissions: issues: write'."
  const hint404 = `Check that ${where} exists and the token can see it, and that issues are enabled.`
  let found: Issue | undefined
  try {
    for (let page = 1; page <= 10 && found === undefined; page++) {
      const issues = (await request(
        repo,
        'GET',
        `/repos/${enc(repo.owner)}/${enc(repo.repo)}/issues?state=open&per_page=100&page=${page}`,
      )) as Issue[]
      found = issues.find((candidate) => !candidate.pull_request && candidate.body?.includes(markerLine))
      if (issues.length < 100) break
    }
  } catch (error) {
    throw explain(error, `list the open issues of ${where}`, hint403, hint404)
  }
  try {
    if (found) {
      const updated = (await request(
        repo,
        'PATCH',
        `/repos/${enc(repo.owner)}/${enc(repo.repo)}/issues/${found.number}`,
        { title: issue.title, body },
      )) as Issue
      return { action: 'updated', number: updated.number, url: updated.html_url }
    }
    const created = (await request(repo, 'POST', `/repos/${enc(repo.owner)}/${enc(repo.repo)}/issues`, {
      title: issue.title,
      body,
    })) as Issue
    return { action: 'created', number: created.number, url: created.html_url }
  } catch (error) {
    throw explain(
      error,
      `write the drift issue in ${where}`,
      hint403,
      hint404,
      'Check the issue title and body.',
    )
  }
}

/** POST .../actions/workflows/{workflow}/dispatches: GitHub answers 204 and starts a run on `ref`. */
export async function dispatchWorkflow(
  repo: GitHubRepo,
  dispatch: { workflow: string; ref: string; inputs: Record<string, string> },
): Promise<void> {
  const where = `${repo.owner}/${repo.repo}`
  try {
    await request(
      repo,
      'POST',
      `/repos/${enc(repo.owner)}/${enc(repo.repo)}/actions/workflows/${enc(dispatch.workflow)}/dispatches`,
      { ref: dispatch.ref, inputs: dispatch.inputs },
    )
  } catch (error) {
    throw explain(
      error,
      `dispatch workflow '${dispatch.workflow}' in ${where}`,
      "Grant the token 'permissions: actions: write'.",
      `Check that .github/workflows/${dispatch.workflow} exists in ${where} on its default branch and the token can see the repository.`,
      `The workflow needs an 'on: workflow_dispatch' trigger, ref '${dispatch.ref}' must exist, and every input given must be declared by the workflow.`,
    )
  }
}

const enc = encodeURIComponent
