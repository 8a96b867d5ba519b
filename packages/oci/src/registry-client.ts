import { sha256Digest } from './digest.js'
import { ImageNotFoundError, RegistryAuthError, RegistryError, RegistryUnreachableError } from './errors.js'
import { INDEX_TYPES, MANIFEST_TYPES } from './media-types.js'
import { basicAuthorization, parseAuthChallenge, type AuthChallenge } from './registry-auth.js'
import { retryRequest, type RequestRetryOptions } from './retry-requests.js'

export interface RegistryCredentials {
  username: string
  password: string
}

/** One HTTP exchange, without headers or bodies, so logs and tests can count requests and never see secrets. */
export interface RegistryRequestRecord {
  method: string
  /** Path and query on the registry (token requests show the token endpoint's path). */
  path: string
  status: number
}

export interface RegistryClientOptions {
  /** host[:port], e.g. `127.0.0.1:5000` or `123456789012.dkr.ecr.eu-west-1.amazonaws.com`. */
  registry: string
  /** Plain HTTP instead of HTTPS (a local registry without TLS). */
  insecure?: boolean
  credentials?: RegistryCredentials
  fetch?: typeof fetch
  retry?: RequestRetryOptions
  onRequest?: (record: RegistryRequestRecord) => void
  /** Blobs larger than this are uploaded in PATCH chunks of this size; smaller ones in one PUT. */
  chunkSize?: number
  timeoutMs?: number
}

export interface FetchedManifest {
  mediaType: string
  digest: string
  bytes: Buffer
}

export type BlobPushResult = 'exists' | 'mounted' | 'uploaded'

/** Thrown inside the retry loop for answers worth another try (5xx, 429); turned into a RegistryError after. */
class RetryableStatus extends Error {
  constructor(readonly response: Response) {
    super(`HTTP ${response.status}`)
  }
}

interface SendOptions {
  headers?: Record<string, string>
  body?: Uint8Array
  /** The token scope the request needs, e.g. `repository:models/x:pull,push`. */
  scope: string
  /** What the request is for, in error messages: "push to models/x". */
  action: string
}

const DEFAULT_CHUNK = 16 * 1024 * 1024

/**
 * A client for the OCI distribution API over fetch: blobs (HEAD, GET, monolithic and chunked upload, cross-repo
 * mount), manifests and indexes (GET/PUT, OCI and Docker media types), tag lists. Auth follows the registry's
 * challenge: a bearer token from the realm it names (with the credentials as basic auth when given), or basic.
 */
export class RegistryClient {
  readonly registry: string
  readonly baseUrl: string
  private readonly options: RegistryClientOptions
  private readonly fetchImpl: typeof fetch
  private readonly tokens = new Map<string, string>()
  private basic = false

  constructor(options: RegistryClientOptions) {
    this.options = options
    this.registry = options.registry
    this.baseUrl = `${options.insecure ? 'http' : 'https'}://${options.registry}`
    this.fetchImpl = options.fetch ?? fetch
  }

  async blobExists(repository: string, digest: string, forPush = false): Promise<boolean> {
    // Inside a push the HEAD asks for the push scope, so a token registry issues one token, not two.
    const response = await this.send('HEAD', `/v2/${repository}/blobs/${digest}`, {
      scope: forPush ? pushScope(repository) : pullScope(repository),
      action: forPush ? `push to ${repository}` : `check blob ${digest} in ${repository}`,
    })
    if (response.status === 200) return true
    if (response.status === 404) return false
    throw await this.unexpected(response, `HEAD blob ${digest} in ${repository}`)
  }

  async getBlob(repository: string, digest: string): Promise<Buffer> {
    const response = await this.send('GET', `/v2/${repository}/blobs/${digest}`, {
      scope: pullScope(repository),
      action: `pull from ${repository}`,
    })
    if (response.status === 404) {
      throw new ImageNotFoundError(
        `Blob ${digest} is missing from ${this.registry}/${repository}: the image refers to a layer the registry no longer has; push the image again`,
        this.registry,
        `${this.registry}/${repository}`,
      )
    }
    if (response.status !== 200) throw await this.unexpected(response, `GET blob ${digest}`)
    const bytes = Buffer.from(await response.arrayBuffer())
    const actual = sha256Digest(bytes)
    if (actual !== digest) {
      throw new RegistryError(
        `Blob ${digest} from ${this.registry}/${repository} has digest ${actual}: the download was corrupted; try again`,
        this.registry,
      )
    }
    return bytes
  }

  /**
   * Makes sure the blob is in `repository`: a HEAD first (nothing is sent for a blob the registry has), then a
   * cross-repository mount when `mountFrom` names a repository on the same registry, then an upload.
   */
  async pushBlob(
    repository: string,
    digest: string,
    data: Uint8Array | (() => Promise<Uint8Array>),
    options: { mountFrom?: string } = {},
  ): Promise<BlobPushResult> {
    if (await this.blobExists(repository, digest, true)) return 'exists'
    const scope = options.mountFrom
      ? `${pushScope(repository)} ${pullScope(options.mountFrom)}`
      : pushScope(repository)
    const action = `push to ${repository}`
    const query = options.mountFrom
      ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(options.mountFrom)}`
      : ''
    const started = await this.send('POST', `/v2/${repository}/blobs/uploads/${query}`, { scope, action })
    if (started.status === 201) return 'mounted'
    if (started.status !== 202) throw await this.unexpected(started, `start upload to ${repository}`)
    const bytes = typeof data === 'function' ? await data() : data
    let location = this.location(started, repository)
    const chunkSize = this.options.chunkSize ?? DEFAULT_CHUNK
    if (bytes.length > chunkSize) {
      for (let start = 0; start < bytes.length; start += chunkSize) {
        const chunk = bytes.subarray(start, Math.min(bytes.length, start + chunkSize))
        const patched = await this.send('PATCH', location, {
          scope,
          action,
          body: chunk,
          headers: {
            'Content-Type': 'application/octet-stream',
            'Content-Range': `${start}-${start + chunk.length - 1}`,
            'Content-Length': String(chunk.length),
          },
        })
        if (patched.status !== 202)
          throw await this.unexpected(patched, `upload chunk at ${start} to ${repository}`)
        location = this.location(patched, repository)
      }
      const done = await this.send('PUT', withDigest(location, digest), {
        scope,
        action,
        headers: { 'Content-Length': '0' },
      })
      if (done.status !== 201)
        throw await this.unexpected(done, `finish upload of ${digest} to ${repository}`)
    } else {
      const done = await this.send('PUT', withDigest(location, digest), {
        scope,
        action,
        body: bytes,
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length) },
      })
      if (done.status !== 201) throw await this.unexpected(done, `upload ${digest} to ${repository}`)
    }
    return 'uploaded'
  }

  /** The digest a tag points at, or undefined when the tag does not exist (HEAD: no body is downloaded). */
  async manifestDigest(repository: string, reference: string): Promise<string | undefined> {
    const response = await this.send('HEAD', `/v2/${repository}/manifests/${reference}`, {
      scope: pushScope(repository),
      action: `push to ${repository}`,
      headers: { Accept: [...MANIFEST_TYPES, ...INDEX_TYPES].join(', ') },
    })
    if (response.status === 404) return undefined
    if (response.status !== 200)
      throw await this.unexpected(response, `HEAD manifest ${repository}:${reference}`)
    return response.headers.get('docker-content-digest') ?? undefined
  }

  /** Fetches a manifest or index by tag or digest. A missing one is an ImageNotFoundError naming the image. */
  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const image = `${this.registry}/${repository}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`
    const response = await this.send('GET', `/v2/${repository}/manifests/${reference}`, {
      scope: pullScope(repository),
      action: `pull ${image}`,
      headers: { Accept: [...MANIFEST_TYPES, ...INDEX_TYPES].join(', ') },
    })
    if (response.status === 404) {
      throw new ImageNotFoundError(
        `Image ${image} does not exist: check the repository name and the tag (or digest)` +
          ` — the registry has no manifest for it. Push the base image first or pick one that exists.`,
        this.registry,
        image,
      )
    }
    if (response.status !== 200) throw await this.unexpected(response, `GET manifest ${image}`)
    const bytes = Buffer.from(await response.arrayBuffer())
    const digest = sha256Digest(bytes)
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new RegistryError(`Manifest ${image} came back with digest ${digest}`, this.registry)
    }
    const mediaType =
      (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ??
      response.headers.get('content-type') ??
      ''
    return { mediaType, digest, bytes }
  }

  /** Stores a manifest or index under a tag or its digest; returns the digest the registry computed. */
  async putManifest(
    repository: string,
    reference: string,
    bytes: Uint8Array,
    mediaType: string,
  ): Promise<string> {
    const response = await this.send('PUT', `/v2/${repository}/manifests/${reference}`, {
      scope: pushScope(repository),
      action: `push to ${repository}`,
      body: bytes,
      headers: { 'Content-Type': mediaType, 'Content-Length': String(bytes.length) },
    })
    if (response.status !== 201)
      throw await this.unexpected(response, `PUT manifest ${repository}:${reference}`)
    return response.headers.get('docker-content-digest') ?? sha256Digest(bytes)
  }

  /** All tags of a repository, following `Link: <...>; rel="next"` pages. */
  async listTags(repository: string): Promise<string[]> {
    const tags: string[] = []
    let path: string | undefined = `/v2/${repository}/tags/list?n=1000`
    while (path !== undefined) {
      const response = await this.send('GET', path, {
        scope: pullScope(repository),
        action: `list ${repository}`,
      })
      if (response.status === 404) return tags
      if (response.status !== 200) throw await this.unexpected(response, `list tags of ${repository}`)
      const body = (await response.json()) as { tags?: string[] | null }
      tags.push(...(body.tags ?? []))
      const next = /<([^>]+)>;\s*rel="?next"?/.exec(response.headers.get('link') ?? '')
      path = next ? next[1] : undefined
    }
    return tags
  }

  private location(response: Response, repository: string): string {
    const location = response.headers.get('location')
    if (!location)
      throw new RegistryError(
        `${this.registry} started an upload to ${repository} without a Location`,
        this.registry,
      )
    return location
  }

  /** A status the protocol does not expect here, with the registry's own error codes (e.g. TAG_INVALID, MANIFEST_INVALID). */
  private async unexpected(response: Response, what: string): Promise<RegistryError> {
    let detail = ''
    try {
      const body = (await response.json()) as { errors?: Array<{ code?: string; message?: string }> }
      detail = (body.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ')
    } catch {
      // No JSON body (HEAD, or a proxy's HTML page): the status is all there is.
    }
    return new RegistryError(
      `${what} on ${this.registry} failed with HTTP ${response.status}${detail ? ` (${detail})` : ''}`,
      this.registry,
    )
  }

  private async send(method: string, pathOrUrl: string, options: SendOptions): Promise<Response> {
    let response = await this.exchange(method, pathOrUrl, options)
    if (response.status !== 401) return this.checkForbidden(response, options)
    const challenge = parseAuthChallenge(response.headers.get('www-authenticate'))
    await response.body?.cancel()
    if (challenge === undefined)
      throw this.authError(401, options, 'it sent no usable WWW-Authenticate challenge')
    if (challenge.scheme === 'basic') {
      if (!this.options.credentials)
        throw this.authError(401, options, 'it asks for a user name and password')
      this.basic = true
    } else {
      await this.fetchToken(challenge, options)
    }
    response = await this.exchange(method, pathOrUrl, options)
    if (response.status === 401) {
      await response.body?.cancel()
      throw this.authError(401, options, 'it refused the credentials')
    }
    return this.checkForbidden(response, options)
  }

  private async checkForbidden(response: Response, options: SendOptions): Promise<Response> {
    if (response.status !== 403) return response
    await response.body?.cancel()
    throw this.authError(403, options, 'the credentials are not allowed to do this')
  }

  private authError(status: number, options: SendOptions, why: string): RegistryAuthError {
    const login = this.options.credentials
      ? 'Check that the credentials are current and allowed to'
      : 'Log in first (docker login, aws-actions/amazon-ecr-login, or the credentials input) so you may'
    return new RegistryAuthError(
      `The registry ${this.registry} answered HTTP ${status} to ${options.action}: ${why}. ` +
        `${login} ${options.action.startsWith('push') ? 'push to' : 'pull from'} this repository.`,
      this.registry,
    )
  }

  private async fetchToken(challenge: AuthChallenge, options: SendOptions): Promise<void> {
    if (!challenge.realm) throw this.authError(401, options, 'its bearer challenge names no token realm')
    const url = new URL(challenge.realm)
    if (challenge.service) url.searchParams.set('service', challenge.service)
    for (const scope of options.scope.split(' ')) url.searchParams.append('scope', scope)
    const headers: Record<string, string> = {}
    const creds = this.options.credentials
    if (creds) headers.Authorization = basicAuthorization(creds.username, creds.password)
    const response = await this.fetchWithRetry(
      'GET',
      url.toString(),
      { headers },
      `${url.origin}${url.pathname}`,
    )
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel()
      throw this.authError(
        response.status,
        options,
        `its token service ${url.origin}${url.pathname} refused the credentials`,
      )
    }
    if (response.status !== 200)
      throw await this.unexpected(response, `token request to ${url.origin}${url.pathname}`)
    const body = (await response.json()) as { token?: string; access_token?: string }
    const token = body.token ?? body.access_token
    if (!token) throw this.authError(401, options, 'its token service returned no token')
    this.tokens.set(options.scope, token)
  }

  private exchange(method: string, pathOrUrl: string, options: SendOptions): Promise<Response> {
    const url = new URL(pathOrUrl, this.baseUrl).toString()
    const headers: Record<string, string> = { ...options.headers }
    const token = this.tokens.get(options.scope)
    const creds = this.options.credentials
    if (token) headers.Authorization = `Bearer ${token}`
    else if (this.basic && creds) headers.Authorization = basicAuthorization(creds.username, creds.password)
    return this.fetchWithRetry(method, url, { headers, body: options.body }, this.baseUrl)
  }

  private async fetchWithRetry(
    method: string,
    url: string,
    init: { headers: Record<string, string>; body?: Uint8Array | undefined },
    where: string,
  ): Promise<Response> {
    try {
      return await retryRequest(
        async () => {
          const response = await this.fetchImpl(url, {
            method,
            headers: init.headers,
            ...(init.body !== undefined ? { body: init.body } : {}),
            redirect: 'follow',
            signal: AbortSignal.timeout(this.options.timeoutMs ?? 120_000),
          })
          const parsed = new URL(response.url || url)
          this.options.onRequest?.({ method, path: parsed.pathname + parsed.search, status: response.status })
          if (response.status >= 500 || response.status === 429) {
            await response.body?.cancel()
            throw new RetryableStatus(response)
          }
          return response
        },
        (error) => error instanceof RetryableStatus || isNetworkError(error),
        this.options.retry,
      )
    } catch (error) {
      if (error instanceof RetryableStatus) {
        throw new RegistryError(
          `${method} ${new URL(url).pathname} on ${this.registry} kept failing with HTTP ${error.response.status}; the registry may be down or overloaded — try again later`,
          this.registry,
          { cause: error },
        )
      }
      if (isNetworkError(error)) {
        const reason = networkReason(error)
        const tlsHint = !this.options.insecure && /SSL|TLS|EPROTO|certificate|wrong version/i.test(reason)
        throw new RegistryUnreachableError(
          `Cannot reach the registry at ${where} (${reason}). Check the registry address and that it is running` +
            (tlsHint
              ? '; it may not speak HTTPS — a plain-HTTP registry needs insecure-registry: true'
              : '') +
            '.',
          this.registry,
          { cause: error },
        )
      }
      throw error
    }
  }
}

function pullScope(repository: string): string {
  return `repository:${repository}:pull`
}

function pushScope(repository: string): string {
  return `repository:${repository}:pull,push`
}

function withDigest(location: string, digest: string): string {
  const url = new URL(location, 'http://placeholder')
  url.searchParams.set('digest', digest)
  return /^https?:\/\//.test(location) ? url.toString() : url.pathname + url.search
}

// By name, not instanceof: fetch's TypeError can come from another realm (a bundler's or a test VM's).
function isNetworkError(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name
  return name === 'TypeError' || name === 'TimeoutError' || name === 'AbortError'
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  // OpenSSL messages carry source paths and hex codes nobody can act on; the code says it all.
  if (cause?.code?.startsWith('ERR_SSL')) return cause.code
  if (cause?.code) return `${cause.code}${cause.message ? `: ${cause.message.split('\n')[0]!.trim()}` : ''}`
  const { name, message } = (error ?? {}) as { name?: string; message?: string }
  if (name === 'TimeoutError') return 'no answer before the timeout'
  return message ?? String(error)
}
