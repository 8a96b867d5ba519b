import type { MlflowAuth } from './environment.js'
import {
  CONNECTION_FAILED,
  DEADLINE_EXCEEDED,
  MlflowError,
  PERMISSION_DENIED,
  RESOURCE_DOES_NOT_EXIST,
  UNAUTHENTICATED,
} from './errors.js'
import { bodySnippet, parseJsonBody } from './json-body.js'

export interface RequestContext {
  /** The tracking server URL as configured, without credentials. */
  trackingUri: string
  /** Where this request went, without query string (presigned URLs carry signatures there). */
  target: string
  /** What we were doing, for the message: "create a run in experiment '3'". */
  action: string
  /** What a 404 means here: "experiment 'churn'". */
  subject?: string | undefined
  auth: MlflowAuth | undefined
  /** Requests to presigned storage URLs are not the tracking server's doing. */
  external?: boolean | undefined
}

export interface ServerErrorBody {
  errorCode: string | undefined
  message: string
}

/** `{error_code, message}` when the body is MLflow's JSON error; otherwise the body as text. */
export function readErrorBody(text: string): ServerErrorBody {
  try {
    const parsed = parseJsonBody(text)
    if (parsed !== null && typeof parsed === 'object') {
      const { error_code: code, message } = parsed as Record<string, unknown>
      if (typeof code === 'string' || typeof message === 'string') {
        return {
          errorCode: typeof code === 'string' ? code : undefined,
          message: typeof message === 'string' ? message : '',
        }
      }
    }
  } catch {
    // Not JSON: an HTML 500 page or a proxy's text; fall through and keep it as text.
  }
  return { errorCode: undefined, message: bodySnippet(text) }
}

export function errorFromResponse(
  ctx: RequestContext,
  status: number,
  statusText: string,
  bodyText: string,
): MlflowError {
  const body = readErrorBody(bodyText)
  const serverMessage = redactSecrets(body.message, ctx.auth)
  const said = serverMessage === '' ? '' : `: ${serverMessage.replace(/[.\s]+$/, '')}`
  const statusLabel = `${status}${statusText === '' ? '' : ` ${statusText}`}`

  if (ctx.external) {
    return new MlflowError(
      `Artifact storage at ${ctx.target} refused to ${ctx.action} (${statusLabel})${said}`,
      { status, errorCode: body.errorCode ?? `HTTP_${status}`, serverMessage },
    )
  }

  if (status === 401) {
    return new MlflowError(
      `MLflow at ${ctx.trackingUri} refused to ${ctx.action}: 401 Unauthorized${said}. ${authHint401(ctx.auth)}`,
      { status, errorCode: body.errorCode ?? UNAUTHENTICATED, serverMessage },
    )
  }
  if (status === 403) {
    return new MlflowError(
      `MLflow at ${ctx.trackingUri} denied permission to ${ctx.action}: 403 Forbidden${said}. ${authHint403(ctx.auth)}`,
      { status, errorCode: body.errorCode ?? PERMISSION_DENIED, serverMessage },
    )
  }
  if (status === 404 && body.errorCode === RESOURCE_DOES_NOT_EXIST) {
    const what = ctx.subject ?? 'what was asked for'
    return new MlflowError(
      `MLflow at ${ctx.trackingUri} could not ${ctx.action}: ${what} does not exist (${RESOURCE_DOES_NOT_EXIST}${said}).`,
      { status, errorCode: RESOURCE_DOES_NOT_EXIST, serverMessage },
    )
  }
  if (status === 404) {
    return new MlflowError(
      `MLflow at ${ctx.trackingUri} has no endpoint ${ctx.target} (404${said}) while trying to ${ctx.action}. ` +
        'Check that MLFLOW_TRACKING_URI points at the MLflow tracking server itself (scheme, host, port and any ' +
        'path prefix), and that the server serves artifacts (--serve-artifacts) if this was an artifact request.',
      { status, errorCode: body.errorCode ?? 'ENDPOINT_NOT_FOUND', serverMessage },
    )
  }
  const code = body.errorCode ?? `HTTP_${status}`
  const advice = status >= 500 ? " The server failed (retries included); the server's log says why." : ''
  return new MlflowError(
    `MLflow at ${ctx.trackingUri} could not ${ctx.action}: ${statusLabel}` +
      `${body.errorCode === undefined ? '' : ` ${body.errorCode}`}${said}.${advice}`,
    { status, errorCode: code, serverMessage },
  )
}

export function errorFromNetwork(ctx: RequestContext, cause: unknown, timeoutMs: number): MlflowError {
  const code = networkCode(cause)
  const reason =
    code === 'ECONNREFUSED'
      ? 'connection refused'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'host name not found'
        : code === 'TIMEOUT'
          ? `no answer within ${Math.round(timeoutMs / 1000)} s`
          : (code ?? innermostMessage(cause) ?? 'network error')
  if (ctx.external) {
    return new MlflowError(
      `Could not reach artifact storage at ${ctx.target} (${reason}) to ${ctx.action}.`,
      { errorCode: CONNECTION_FAILED },
      { cause },
    )
  }
  const advice =
    code === 'TIMEOUT'
      ? 'The server may be overloaded; raise MLFLOW_HTTP_REQUEST_TIMEOUT (seconds) if it is just slow.'
      : `Check MLFLOW_TRACKING_URI (now ${ctx.trackingUri}): scheme, host and port, and that the server is running and reachable from here.`
  return new MlflowError(
    `Could not connect to the MLflow tracking server at ${ctx.trackingUri} (${reason}) to ${ctx.action}. ${advice}`,
    { errorCode: code === 'TIMEOUT' ? DEADLINE_EXCEEDED : CONNECTION_FAILED },
    { cause },
  )
}

/** The errno-like code buried in fetch's "fetch failed" TypeError, or TIMEOUT for our own deadline. */
export function networkCode(error: unknown): string | undefined {
  const seen = new Set<unknown>()
  let current: unknown = error
  while (current !== null && typeof current === 'object' && !seen.has(current)) {
    seen.add(current)
    const e = current as { name?: unknown; code?: unknown; cause?: unknown; errors?: unknown }
    if (e.name === 'TimeoutError') return 'TIMEOUT'
    if (typeof e.code === 'string' && e.code !== '') return e.code
    if (Array.isArray(e.errors) && e.errors.length > 0) {
      const inner = networkCode(e.errors[0])
      if (inner !== undefined) return inner
    }
    current = e.cause
  }
  return undefined
}

function innermostMessage(error: unknown): string | undefined {
  let message: string | undefined
  let current: unknown = error
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current.message !== '' && current.message !== 'fetch failed') message = current.message
    current = current.cause
  }
  return message
}

/** Servers sometimes echo what they were sent; nothing secret may reach a message or a log. */
export function redactSecrets(text: string, auth: MlflowAuth | undefined): string {
  if (auth === undefined) return text
  const secrets =
    auth.kind === 'bearer'
      ? [auth.token]
      : [auth.password, Buffer.from(`${auth.username}:${auth.password}`).toString('base64')]
  let out = text
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('***')
  }
  return out
}

function authHint401(auth: MlflowAuth | undefined): string {
  if (auth === undefined) {
    return (
      'The server requires credentials: set MLFLOW_TRACKING_TOKEN to an access token, or ' +
      'MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD for basic auth.'
    )
  }
  if (auth.kind === 'bearer') {
    return (
      'The token in MLFLOW_TRACKING_TOKEN was not accepted: check that it is current and issued for this ' +
      'server, or set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD instead.'
    )
  }
  return (
    `The user '${auth.username}' from MLFLOW_TRACKING_USERNAME was not accepted: check ` +
    'MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or set MLFLOW_TRACKING_TOKEN).'
  )
}

function authHint403(auth: MlflowAuth | undefined): string {
  if (auth === undefined) {
    return (
      'No credentials were sent: set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and ' +
      'MLFLOW_TRACKING_PASSWORD, for an account with access.'
    )
  }
  const who =
    auth.kind === 'bearer'
      ? 'the account behind MLFLOW_TRACKING_TOKEN'
      : `the user '${auth.username}' (MLFLOW_TRACKING_USERNAME)`
  return (
    `The credentials work, but ${who} lacks permission for this: ask an MLflow admin to grant it ` +
    '(EDIT on the experiment or registered model, or MANAGE to set permissions), or use an account that has it.'
  )
}
