import { getOctokit } from '@actions/github'
import { readFileSync } from 'node:fs'
import { ConfigurationError } from './errors.js'

export interface UpsertCommentOptions {
  token: string
  owner: string
  repo: string
  issueNumber: number
  /** Identifies this action's comment among others on the PR, e.g. 'eval-report'. */
  marker: string
  body: string
  baseUrl?: string
}

export interface UpsertCommentResult {
  action: 'created' | 'updated'
  id: number
  url: string
}

interface IssueComment {
  id: number
  body?: string | undefined
  html_url: string
}

const MARKER_NAME = /^[A-Za-z0-9_.:/@-]+$/

/** The hidden line that lets a later run find and edit its own comment instead of adding another. */
export function commentMarker(marker: string): string {
  // '--' or '>' would end the HTML comment early and make the marker visible and unmatchable.
  if (!MARKER_NAME.test(marker) || marker.includes('--')) {
    throw new Error(`Invalid comment marker '${marker}': use letters, digits and . _ : / @ - (no '--')`)
  }
  return `<!-- mlops-actions:${marker} -->`
}

/**
 * Keeps one comment per marker on an issue or PR: edits the newest comment carrying the marker, or
 * posts a new one. Re-runs of a workflow thus update the report rather than piling up comments.
 */
export async function upsertComment(options: UpsertCommentOptions): Promise<UpsertCommentResult> {
  const { token, owner, repo, issueNumber } = options
  if (token === '') {
    throw new ConfigurationError(
      'A GitHub token is required to comment on pull requests, e.g. ${{ github.token }}.',
    )
  }
  const markerLine = commentMarker(options.marker)
  const body = options.body.includes(markerLine)
    ? options.body
    : `${options.body.trimEnd()}\n\n${markerLine}\n`
  const baseUrl = (options.baseUrl ?? (process.env['GITHUB_API_URL'] || 'https://api.github.com')).replace(
    /\/+$/,
    '',
  )
  const octokit = getOctokit(token, { baseUrl })
  const target = `${owner}/${repo}#${issueNumber}`

  let existing: IssueComment | undefined
  try {
    const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, {
      owner,
      repo,
      issue_number: issueNumber,
      per_page: 100,
    })
    for await (const page of pages) {
      for (const comment of page.data) {
        // Comment ids grow over time, so the highest id is the newest whatever the page order.
        if (comment.body?.includes(markerLine) && (existing === undefined || comment.id > existing.id)) {
          existing = comment
        }
      }
    }
  } catch (error) {
    throw explainReadFailure(error, target)
  }

  try {
    if (existing !== undefined) {
      const { data } = await octokit.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body })
      return { action: 'updated', id: data.id, url: data.html_url }
    }
    const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body })
    return { action: 'created', id: data.id, url: data.html_url }
  } catch (error) {
    throw explainWriteFailure(error, target)
  }
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status
  return typeof status === 'number' ? status : undefined
}

function explainReadFailure(error: unknown, target: string): unknown {
  const status = statusOf(error)
  if (status === 401) return badCredentials(error)
  if (status === 404) {
    return new ConfigurationError(
      `Could not read the comments of ${target}: GitHub answered 404. Check the repository and ` +
        'pull request number, and that the token has access to that repository.',
      {},
      { cause: error },
    )
  }
  return error
}

function explainWriteFailure(error: unknown, target: string): unknown {
  const status = statusOf(error)
  if (status === 401) return badCredentials(error)
  // GitHub answers 404 rather than 403 when the token may see but not write, depending on the API.
  if (status === 403 || status === 404) {
    return new ConfigurationError(
      `Could not write a comment on ${target}: GitHub answered ${status}, so the token may not comment. ` +
        "Grant it in the workflow with 'permissions: pull-requests: write'. Pull requests from forks " +
        'always get a read-only GITHUB_TOKEN; for those, post the comment from a separate workflow ' +
        'triggered by workflow_run, or skip commenting.',
      {},
      { cause: error },
    )
  }
  return error
}

function badCredentials(error: unknown): ConfigurationError {
  return new ConfigurationError(
    'GitHub rejected the token (401 Bad credentials): it is invalid or has expired. Pass a valid token, ' +
      'e.g. ${{ github.token }}.',
    {},
    { cause: error },
  )
}

export interface PullRequestRef {
  owner: string
  repo: string
  number: number
}

/**
 * The pull request this workflow run is about, read from the event payload: pull_request(_target)
 * events, and issue_comment events on a pull request. Undefined for pushes, schedules, plain issues.
 */
export function pullRequestFromContext(): PullRequestRef | undefined {
  const eventPath = process.env['GITHUB_EVENT_PATH']
  if (!eventPath) return undefined
  let payload: EventPayload
  try {
    payload = JSON.parse(readFileSync(eventPath, 'utf8')) as EventPayload
  } catch {
    return undefined
  }
  const number =
    payload.pull_request?.number ?? (payload.issue?.pull_request ? payload.issue.number : undefined)
  if (typeof number !== 'number') return undefined

  const [owner, repo] = (process.env['GITHUB_REPOSITORY'] ?? '').split('/')
  if (owner && repo) return { owner, repo, number }
  const fromPayload = payload.repository
  if (fromPayload?.owner?.login && fromPayload.name) {
    return { owner: fromPayload.owner.login, repo: fromPayload.name, number }
  }
  return undefined
}

interface EventPayload {
  pull_request?: { number?: number }
  issue?: { number?: number; pull_request?: unknown }
  repository?: { name?: string; owner?: { login?: string } }
}
