import type { MlflowAuth } from './environment.js'
import { MlflowError } from './errors.js'
import { bodySnippet, parseJsonBody } from './json-body.js'
import { errorFromNetwork, errorFromResponse, type RequestContext } from './rest-errors.js'
import {
  DEFAULT_RETRY_POLICY,
  isRetryableStatus,
  withRetry,
  type RetryDecision,
  type RetryEvent,
  type RetryPolicy,
} from './retry.js'

export interface RestClientOptions {
  /** e.g. `https://mlflow.example.com` or `http://127.0.0.1:5000/prefix`; no credentials in it. */
  trackingUri: string
  auth?: MlflowAuth | undefined
  retry?: Partial<RetryPolicy> | undefined
  /** Per request, body included. */
  timeoutMs?: number | undefined
  fetch?: typeof globalThis.fetch | undefined
  onRetry?: ((event: RetryEvent & { action: string }) => void) | undefined
}

export interface CallContext {
  /** Completes "could not ...": "create a run in experiment '3'". */
  action: string
  /** What a 404 RESOURCE_DOES_NOT_EXIST refers to: "run 'abc'". */
  subject?: string | undefined
}

export interface RawRequest extends CallContext {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  url: string
  headers?: Record<string, string>
  /** Called once per attempt, so a retried upload gets a fresh stream. */
  body?: (() => RequestBody | Promise<RequestBody>) | undefined
  /** A presigned storage URL: no MLflow credentials go there. */
  external?: boolean | undefined
}

export type JsonObject = Record<string, unknown>
export type RequestBody = NonNullable<RequestInit['body']>
export type QueryValue = string | number | boolean | undefined | string[]

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'TIMEOUT',
])

/**
 * One HTTP conversation with an MLflow server: credentials, timeouts, retries on 429/5xx and network
 * failures (never on other 4xx), and errors that say what to fix.
 */
export class RestClient {
  readonly trackingUri: string
  readonly auth: MlflowAuth | undefined
  private readonly policy: RetryPolicy
  private readonly timeoutMs: number
  private readonly fetchImpl: typeof globalThis.fetch
  private readonly onRetry: RestClientOptions['onRetry']

  constructor(options: RestClientOptions) {
    this.trackingUri = options.trackingUri.replace(/\/+$/, '')
    this.auth = options.auth
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry }
    this.timeoutMs = options.timeoutMs ?? 120_000
    this.fetchImpl = options.fetch ?? globalThis.fetch
    this.onRetry = options.onRetry
  }

  apiUrl(endpoint: string): string {
    return `${this.trackingUri}/api/2.0/mlflow/${endpoint}`
  }

  /** `<server>/api/2.0/mlflow-artifacts/<rest>`: artifacts and multipart routes of the proxy. */
  artifactsApiUrl(rest: string): string {
    return `${this.trackingUri}/api/2.0/mlflow-artifacts/${rest}`
  }

  /** A JSON endpoint under /api/2.0/mlflow/: GET sends the payload as query, others as a JSON body. */
  async call(
    method: 'GET' | 'POST' | 'DELETE',
    endpoint: string,
    payload: Record<string, unknown>,
    ctx: CallContext,
  ): Promise<JsonObject> {
    return this.callUrl(method, this.apiUrl(endpoint), payload, ctx)
  }

  /** Same as call, for JSON endpoints elsewhere on the server (the artifact proxy's multipart routes). */
  async callUrl(
    method: 'GET' | 'POST' | 'DELETE',
    baseUrl: string,
    payload: Record<string, unknown>,
    ctx: CallContext,
  ): Promise<JsonObject> {
    let url = baseUrl
    let body: string | undefined
    if (method === 'GET') url += queryString(payload as Record<string, QueryValue>)
    else body = JSON.stringify(payload)
    return this.request(
      {
        ...ctx,
        method,
        url,
        // The server answers 400 INVALID_PARAMETER_VALUE to a POST without this header.
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : () => body,
      },
      (response) => this.readJson(response, ctx),
    )
  }

  /** Sends with retries; `read` runs inside the retry, so a body cut off mid-way is fetched again. */
  async request<T>(req: RawRequest, read: (response: Response) => Promise<T>): Promise<T> {
    const ctx: RequestContext = {
      trackingUri: this.trackingUri,
      target: withoutQuery(req.url),
      action: req.action,
      subject: req.subject,
      auth: this.auth,
      external: req.external,
    }
    const decisions = new WeakMap<object, RetryDecision>()
    const fail = (error: MlflowError, decision: RetryDecision): MlflowError => {
      decisions.set(error, decision)
      return error
    }

    return withRetry(
      async () => {
        const headers: Record<string, string> = { 'User-Agent': 'mlops-actions-mlflow', ...req.headers }
        if (!req.external) {
          const authorization = authorizationHeader(this.auth)
          if (authorization !== undefined) headers['Authorization'] = authorization
        }
        const body = req.body === undefined ? undefined : await req.body()
        let response: Response
        try {
          response = await this.fetchImpl(req.url, {
            method: req.method,
            headers,
            body,
            signal: AbortSignal.timeout(this.timeoutMs),
            // Node's fetch needs this to send a stream body.
            ...(body !== undefined && isStream(body) ? { duplex: 'half' } : {}),
          } as RequestInit)
        } catch (error) {
          throw fail(errorFromNetwork(ctx, error, this.timeoutMs), { retry: true })
        }
        if (!response.ok) {
          const text = await response.text().catch(() => '')
          const error = errorFromResponse(ctx, response.status, response.statusText, text)
          throw fail(error, {
            retry: isRetryableStatus(response.status),
            notBeforeMs: retryAfterMs(response.headers.get('retry-after')),
          })
        }
        try {
          return await read(response)
        } catch (error) {
          if (isNetworkFailure(error)) {
            throw fail(errorFromNetwork(ctx, error, this.timeoutMs), { retry: true })
          }
          throw error
        }
      },
      (error) => (error !== null && typeof error === 'object' && decisions.get(error)) || { retry: false },
      this.policy,
      (event) => this.onRetry?.({ ...event, action: req.action }),
    )
  }

  private async readJson(response: Response, ctx: CallContext): Promise<JsonObject> {
    const text = await response.text()
    let parsed: unknown
    try {
      parsed = parseJsonBody(text)
    } catch {
      parsed = undefined
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new MlflowError(
        `MLflow at ${this.trackingUri} answered the request to ${ctx.action} with something that is not ` +
          `MLflow JSON ('${bodySnippet(text, 120)}'). Check that MLFLOW_TRACKING_URI points at the tracking ` +
          'server itself, not a login page or a UI path.',
        { status: response.status, errorCode: 'UNEXPECTED_RESPONSE' },
      )
    }
    return parsed as JsonObject
  }
}

export function authorizationHeader(auth: MlflowAuth | undefined): string | undefined {
  if (auth === undefined) return undefined
  if (auth.kind === 'bearer') return `Bearer ${auth.token}`
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`
}

export function queryString(params: Record<string, QueryValue>): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue
    if (Array.isArray(value)) for (const item of value) search.append(key, item)
    else search.append(key, String(value))
  }
  const text = search.toString()
  return text === '' ? '' : `?${text}`
}

function withoutQuery(url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

function isStream(body: RequestBody): boolean {
  return (
    typeof (body as { getReader?: unknown }).getReader === 'function' || Symbol.asyncIterator in Object(body)
  )
}

function isNetworkFailure(error: unknown): boolean {
  if (error instanceof MlflowError) return false
  if (error instanceof TypeError) return true // undici: "fetch failed", "terminated"
  const code = (error as { code?: unknown; name?: unknown } | null)?.code
  if (typeof code === 'string' && (code.startsWith('UND_ERR') || NETWORK_CODES.has(code))) return true
  const name = (error as { name?: unknown } | null)?.name
  return name === 'TimeoutError' || name === 'AbortError'
}

function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined
  const seconds = Number(header)
  // Capped: a server asking for minutes would outlast a CI step; backoff continues from there.
  const cap = 60_000
  if (Number.isFinite(seconds)) return Math.min(cap, Math.max(0, seconds * 1000))
  const at = Date.parse(header)
  return Number.isNaN(at) ? undefined : Math.min(cap, Math.max(0, at - Date.now()))
}
