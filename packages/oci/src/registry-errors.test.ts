import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, skopeo, startLocalRegistry, type LocalRegistry } from './__fixtures__/local-registry.js'
import { writeTinyBaseLayout } from './__fixtures__/tiny-base-image.js'
import { assembleImage, epochTimestamp } from './assemble-image.js'
import { folderLayer } from './deterministic-tar.js'
import { ImageNotFoundError, RegistryAuthError, RegistryUnreachableError } from './errors.js'
import { openImageSource } from './image-source.js'
import { pushImage } from './push-image.js'
import { RegistryClient, type RegistryRequestRecord } from './registry-client.js'

const noWait = { sleep: async () => {}, random: () => 0.5 }
const user = { username: 'ci', password: 'pa55-word-Xy' }
let plain: LocalRegistry
let guarded: LocalRegistry
let work: string

beforeAll(async () => {
  ;[plain, guarded] = await Promise.all([startLocalRegistry(), startLocalRegistry({ basicAuth: user })])
  work = await mkdtemp(join(tmpdir(), 'oci-errors-'))
  await writeTinyBaseLayout(join(work, 'base'), 'base')
  skopeo([
    'copy',
    '--quiet',
    '--dest-tls-verify=false',
    `oci:${join(work, 'base')}:base`,
    `docker://${plain.host}/serve:1`,
  ])
})
afterAll(async () => {
  await Promise.all([plain?.stop(), guarded?.stop()])
  await rm(work, { recursive: true, force: true })
})

async function pushTinyImage(client: RegistryClient, repository: string): Promise<string> {
  const image = await assembleImage({
    base: openImageSource(`oci:${join(work, 'base')}:base`, () => client),
    layer: await folderLayer(join(work, 'base'), 'model'),
    env: { MODEL_URI: '/model' },
    labels: {},
    created: epochTimestamp(0),
  })
  return (await pushImage(client, repository, image, ['1'])).digest
}

describe('failures name the image or registry and say what to do', () => {
  it('a base image that does not exist', async () => {
    const client = new RegistryClient({ registry: plain.host, insecure: true, retry: noWait })
    const error = await assembleImage({
      base: openImageSource(`${plain.host}/serve:does-not-exist`, () => client),
      layer: await folderLayer(join(work, 'base'), 'model'),
      env: {},
      labels: {},
      created: epochTimestamp(0),
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ImageNotFoundError)
    expect((error as Error).message).toBe(
      `Image ${plain.host}/serve:does-not-exist does not exist: check the repository name and the tag (or digest) — the registry has no manifest for it. Push the base image first or pick one that exists.`,
    )
    await expect(
      assembleImage({
        base: openImageSource(`oci:${join(work, 'base')}:v9`, () => client),
        layer: await folderLayer(join(work, 'base'), 'm'),
        env: {},
        labels: {},
        created: '',
      }),
    ).rejects.toThrow(
      `Image oci:${join(work, 'base')}:v9 does not exist: the layout has no image tagged 'v9' (it has base)`,
    )
  })

  it('an unreachable registry, after retries with jitter', async () => {
    const port = await freePort()
    const retries: number[] = []
    const client = new RegistryClient({
      registry: `127.0.0.1:${port}`,
      insecure: true,
      retry: { ...noWait, attempts: 3, onRetry: (r) => retries.push(r.attempt) },
    })
    const error = await client.blobExists('models/x', `sha256:${'0'.repeat(64)}`).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RegistryUnreachableError)
    expect((error as Error).message).toBe(
      `Cannot reach the registry at http://127.0.0.1:${port} (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${port}). Check the registry address and that it is running.`,
    )
    expect(retries).toEqual([1, 2])
    // HTTPS to a plain-HTTP registry also says which switch is missing.
    const tls = new RegistryClient({ registry: plain.host, retry: { ...noWait, attempts: 1 } })
    await expect(tls.listTags('serve')).rejects.toThrow(
      /Cannot reach the registry at https:\/\/127\.0\.0\.1:\d+ .*plain-HTTP registry needs insecure-registry: true/,
    )
  })

  it('a registry with basic auth: 401 without login, refused credentials, then a push with the right ones', async () => {
    const anonymous = new RegistryClient({ registry: guarded.host, insecure: true, retry: noWait })
    const error = await pushTinyImage(anonymous, 'models/x').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RegistryAuthError)
    expect((error as Error).message).toBe(
      `The registry ${guarded.host} answered HTTP 401 to push to models/x: it asks for a user name and password. Log in first (docker login, aws-actions/amazon-ecr-login, or the credentials input) so you may push to this repository.`,
    )
    const wrong = new RegistryClient({
      registry: guarded.host,
      insecure: true,
      credentials: { ...user, password: 'nope' },
      retry: noWait,
    })
    await expect(pushTinyImage(wrong, 'models/x')).rejects.toThrow(
      new RegExp(
        `^The registry ${guarded.host} answered HTTP 401 .*: it refused the credentials\\. Check that the credentials are current`,
      ),
    )
    const right = new RegistryClient({
      registry: guarded.host,
      insecure: true,
      credentials: user,
      retry: noWait,
    })
    const digest = await pushTinyImage(right, 'models/x')
    expect(
      JSON.parse(
        skopeo([
          'inspect',
          '--tls-verify=false',
          `--creds=${user.username}:${user.password}`,
          `docker://${guarded.host}/models/x:1`,
        ]),
      ).Digest,
    ).toBe(digest)
  })

  it('the bearer token flow: token from the realm with scope and service, basic credentials to the token service', async () => {
    const { server, host, tokenRequests } = await startTokenProxy(plain.host)
    try {
      const log: RegistryRequestRecord[] = []
      const client = new RegistryClient({
        registry: host,
        insecure: true,
        credentials: user,
        retry: noWait,
        onRequest: (r) => log.push(r),
      })
      const digest = await pushTinyImage(client, 'models/bearer')
      expect(
        JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${plain.host}/models/bearer:1`]))
          .Digest,
      ).toBe(digest)
      expect(tokenRequests).toEqual([
        { service: 'test-registry', scope: ['repository:models/bearer:pull,push'], basic: true },
      ])
      // One 401 per scope, not per request: the token is reused.
      expect(log.filter((r) => r.status === 401).length).toBe(tokenRequests.length)

      const wrong = new RegistryClient({
        registry: host,
        insecure: true,
        credentials: { ...user, password: 'x' },
        retry: noWait,
      })
      await expect(wrong.listTags('models/bearer')).rejects.toThrow(
        `The registry ${host} answered HTTP 401 to list models/bearer: its token service http://${host}/token refused the credentials. Check that the credentials are current and allowed to pull from this repository.`,
      )
    } finally {
      server.close()
    }
  })

  it('retries 5xx with jitter, then names the registry', async () => {
    let calls = 0
    const flaky: typeof fetch = async () => {
      calls++
      return calls < 3
        ? new Response('busy', { status: 503 })
        : new Response('{"tags":["a"]}', { status: 200, headers: { 'content-type': 'application/json' } })
    }
    const delays: number[] = []
    const client = new RegistryClient({
      registry: 'registry.example:5000',
      fetch: flaky,
      retry: { sleep: async (ms) => void delays.push(ms), random: () => 0.5, baseDelayMs: 100 },
    })
    expect(await client.listTags('x')).toEqual(['a'])
    expect(delays).toEqual([50, 100])
    const down = new RegistryClient({
      registry: 'registry.example:5000',
      fetch: async () => new Response('', { status: 502 }),
      retry: noWait,
    })
    await expect(down.listTags('x')).rejects.toThrow(
      'GET /v2/x/tags/list on registry.example:5000 kept failing with HTTP 502; the registry may be down or overloaded — try again later',
    )
  })
})

/**
 * A faithful stand-in for a token-auth registry front (as Docker Hub, GHCR and ECR's proxy do it): every /v2/
 * request without a valid bearer token gets 401 with a Bearer challenge; /token checks basic credentials and
 * issues a token for the requested scopes. Authorized requests are forwarded to the real registry.
 */
async function startTokenProxy(upstream: string): Promise<{
  server: Server
  host: string
  tokenRequests: Array<{ service: string | null; scope: string[]; basic: boolean }>
}> {
  const port = await freePort()
  const host = `127.0.0.1:${port}`
  const tokens = new Map<string, string[]>()
  const tokenRequests: Array<{ service: string | null; scope: string[]; basic: boolean }> = []
  const expectedBasic = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, `http://${host}`)
    if (url.pathname === '/token') {
      const scope = url.searchParams.getAll('scope')
      tokenRequests.push({
        service: url.searchParams.get('service'),
        scope,
        basic: req.headers.authorization !== undefined,
      })
      if (req.headers.authorization !== expectedBasic) return res.writeHead(401).end()
      const token = `t${tokens.size}`
      tokens.set(token, scope)
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token }))
    }
    const repo = /^\/v2\/(.+?)\/(blobs|manifests|tags)\//.exec(url.pathname)?.[1]
    const need = req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'push'
    const granted = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, '')) ?? []
    const ok = granted.some((s) => {
      const [, name, actions] = s.split(':')
      return name === repo && actions!.split(',').includes(need)
    })
    if (!ok) {
      return res
        .writeHead(401, {
          'www-authenticate': `Bearer realm="http://${host}/token",service="test-registry",scope="repository:${repo}:${need === 'push' ? 'pull,push' : 'pull'}"`,
        })
        .end()
    }
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && k !== 'authorization' && k !== 'host') headers[k] = v
    const upstreamResponse = await fetch(`http://${upstream}${url.pathname}${url.search}`, {
      method: req.method!,
      headers,
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      redirect: 'manual',
    })
    const out: Record<string, string> = {}
    upstreamResponse.headers.forEach((v, k) => {
      if (k !== 'content-length' && k !== 'transfer-encoding')
        out[k] = k === 'location' ? v.replace(upstream, host) : v
    })
    const body = Buffer.from(await upstreamResponse.arrayBuffer())
    res
      .writeHead(upstreamResponse.status, { ...out, 'content-length': String(body.length) })
      .end(req.method === 'HEAD' ? undefined : body)
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return { server, host, tokenRequests }
}
