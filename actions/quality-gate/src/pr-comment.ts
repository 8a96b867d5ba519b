import { readFileSync } from 'node:fs'
import { ConfigurationError, pullRequestFromContext, upsertComment } from '@mlops/kit'

export type CommentOutcome =
  | { posted: true; action: 'created' | 'updated'; url: string }
  | { posted: false; reason: string; warn: boolean }

interface PullRequestPayload {
  pull_request?: { head?: { repo?: { full_name?: string } | null }; base?: { repo?: { full_name?: string } } }
}

/** A pull request from a fork runs with a read-only token and no secrets: commenting would fail with 403. */
function isFromFork(): boolean {
  const path = process.env['GITHUB_EVENT_PATH']
  if (!path) return false
  try {
    const payload = JSON.parse(readFileSync(path, 'utf8')) as PullRequestPayload
    const head = payload.pull_request?.head?.repo?.full_name
    const base = payload.pull_request?.base?.repo?.full_name
    return head !== undefined && base !== undefined && head !== base
  } catch {
    return false
  }
}

/**
 * Posts the report on the pull request, or edits this gate's earlier comment (found by its hidden marker). The
 * comment is a courtesy: when it cannot be written (no PR, a fork, no token, no permission) the reason is
 * returned and the verdict still decides the step.
 */
export async function commentOnPullRequest(options: {
  token: string | undefined
  gateName: string
  body: string
}): Promise<CommentOutcome> {
  const pr = pullRequestFromContext()
  if (pr === undefined)
    return {
      posted: false,
      reason: 'not a pull request event: no PR comment, see the job summary',
      warn: false,
    }
  if (isFromFork()) {
    return {
      posted: false,
      reason:
        'pull request from a fork: its token is read-only, so the PR comment is skipped (the verdict still applies); the report is in the job summary',
      warn: false,
    }
  }
  if (options.token === undefined) {
    return {
      posted: false,
      reason: "no 'github-token': PR comment skipped, the report is in the job summary",
      warn: true,
    }
  }
  try {
    const result = await upsertComment({
      token: options.token,
      owner: pr.owner,
      repo: pr.repo,
      issueNumber: pr.number,
      marker: `quality-gate:${options.gateName}`,
      body: options.body,
    })
    return { posted: true, action: result.action, url: result.url }
  } catch (error) {
    // No permission is the user's setup, not a reason to hide the verdict: warn and carry on.
    if (error instanceof ConfigurationError) return { posted: false, reason: error.message, warn: true }
    throw error
  }
}
