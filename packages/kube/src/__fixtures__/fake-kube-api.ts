import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { acceptPortForward } from './fake-port-forward.js'

/**
 * A Kubernetes API server double for tests: the REST endpoints @kubernetes/client-node and the rollout watcher
 * use (get/list/watch of deployments, replicasets, pods, events, services; status subresources; pod logs),
 * with resourceVersions, label and field selectors, bearer-token auth and `?watch=true` chunked streams that
 * replay changes after a resourceVersion. Objects are plain JSON, as on the wire.
 */
export type Resource = 'deployments' | 'replicasets' | 'pods' | 'events' | 'services'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KubeObject = Record<string, any> & {
  metadata: {
    name: string
    namespace?: string
    resourceVersion?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    [key: string]: any
  }
}

const GROUPS: Record<Resource, { prefix: string; apiVersion: string; kind: string }> = {
  deployments: { prefix: '/apis/apps/v1', apiVersion: 'apps/v1', kind: 'Deployment' },
  replicasets: { prefix: '/apis/apps/v1', apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  pods: { prefix: '/api/v1', apiVersion: 'v1', kind: 'Pod' },
  events: { prefix: '/api/v1', apiVersion: 'v1', kind: 'Event' },
  services: { prefix: '/api/v1', apiVersion: 'v1', kind: 'Service' },
}

interface Change {
  rv: number
  resource: Resource
  type: 'ADDED' | 'MODIFIED' | 'DELETED'
  object: KubeObject
}

interface Watcher {
  resource: Resource
  namespace: string
  matches: (o: KubeObject) => boolean
  res: ServerResponse
}

const clone = <T>(v: T): T => structuredClone(v)

function pathValue(o: unknown, path: string): unknown {
  let v: unknown = o
  for (const part of path.split('.')) v = (v as Record<string, unknown> | undefined)?.[part]
  return v
}

/** labelSelector: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x,y)`, comma-separated. */
export function labelSelectorMatches(selector: string | null, labels: Record<string, string> = {}): boolean {
  if (!selector) return true
  const terms = selector.match(/[^,(]+(\([^)]*\))?/g) ?? []
  return terms.every((raw) => {
    const term = raw.trim()
    let m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term)
    if (m) {
      const set = m[3]!.split(',').map((s) => s.trim())
      const has = m[1]! in labels && set.includes(labels[m[1]!]!)
      return m[2] === 'in' ? has : !has
    }
    m = /^([^!=]+?)\s*(==|=|!=)\s*(.*)$/.exec(term)
    if (m) return m[2] === '!=' ? labels[m[1]!] !== m[3] : labels[m[1]!] === m[3]
    if (term.startsWith('!')) return !(term.slice(1) in labels)
    return term in labels
  })
}

/** fieldSelector: `metadata.name=x`, `involvedObject.kind!=Pod`, comma-separated, any dotted path. */
export function fieldSelectorMatches(selector: string | null, o: KubeObject): boolean {
  if (!selector) return true
  return selector.split(',').every((term) => {
    const m = /^([^!=]+?)(==|=|!=)(.*)$/.exec(term.trim())
    if (!m) return false
    const value = String(pathValue(o, m[1]!) ?? '')
    return m[2] === '!=' ? value !== m[3] : value === m[3]
  })
}

export class FakeKubeApi {
  readonly token = `fake-token-${randomUUID()}`
  /** Every request as "GET /path?query", for assertions on what the client did. */
  readonly requests: string[] = []
  private server: Server | undefined
  private readonly objects = new Map<string, KubeObject>()
  private readonly changes: Change[] = []
  private readonly watchers = new Set<Watcher>()
  private readonly logs = new Map<string, string[]>()
  private rv = 100
  /** Pod name -> local TCP port its container port is served on, for portforward. */
  readonly podPorts = new Map<string, number>()

  url = ''

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res))
    this.server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
      const url = new URL(req.url ?? '/', 'http://fake')
      this.requests.push(`UPGRADE ${url.pathname}${url.search}`)
      const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/.exec(url.pathname)
      const pod = m && this.objects.get(`pods/${m[1]}/${m[2]}`)
      const local = m ? this.podPorts.get(m[2]!) : undefined
      if (req.headers.authorization !== `Bearer ${this.token}`)
        return void socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n')
      if (!pod || local === undefined) return void socket.end('HTTP/1.1 404 Not Found\r\n\r\n')
      if (head.length > 0) socket.unshift(head)
      acceptPortForward(req, socket, Number(url.searchParams.get('ports')), local)
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  async stop(): Promise<void> {
    for (const w of this.watchers) w.res.end()
    this.watchers.clear()
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }

  /** Ends every open watch stream, as an API server restart or a proxy timeout would. */
  closeWatches(): number {
    const count = this.watchers.size
    for (const w of this.watchers) w.res.end()
    this.watchers.clear()
    return count
  }

  /** A kubeconfig for this server, with a bearer token the server requires. */
  kubeconfig(namespace = 'default'): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      // Plain HTTP: client-node only allows it with insecure-skip-tls-verify (a real cluster has its CA here).
      `- name: fake\n  cluster:\n    server: ${this.url}\n    insecure-skip-tls-verify: true`,
      'users:',
      `- name: ci\n  user:\n    token: ${this.token}`,
      'contexts:',
      `- name: fake\n  context:\n    cluster: fake\n    user: ci\n    namespace: ${namespace}`,
      'current-context: fake',
      '',
    ].join('\n')
  }

  get(resource: Resource, namespace: string, name: string): KubeObject | undefined {
    const o = this.objects.get(`${resource}/${namespace}/${name}`)
    return o && clone(o)
  }

  list(resource: Resource, namespace: string, labelSelector?: string): KubeObject[] {
    const prefix = `${resource}/${namespace}/`
    return [...this.objects.entries()]
      .filter(
        ([k, o]) => k.startsWith(prefix) && labelSelectorMatches(labelSelector ?? null, o.metadata.labels),
      )
      .map(([, o]) => clone(o))
  }

  /** Creates or replaces an object; stamps uid, resourceVersion, creationTimestamp and notifies watchers. */
  put(resource: Resource, object: KubeObject): KubeObject {
    const ns = object.metadata.namespace ?? 'default'
    const key = `${resource}/${ns}/${object.metadata.name}`
    const existing = this.objects.get(key)
    const stored = clone(object)
    const { apiVersion, kind } = GROUPS[resource]
    stored.apiVersion = apiVersion
    stored.kind = kind
    stored.metadata = {
      ...stored.metadata,
      namespace: ns,
      uid: existing?.metadata.uid ?? stored.metadata.uid ?? randomUUID(),
      creationTimestamp: existing?.metadata.creationTimestamp ?? new Date().toISOString(),
      resourceVersion: String(++this.rv),
    }
    this.objects.set(key, stored)
    this.notify({ rv: this.rv, resource, type: existing ? 'MODIFIED' : 'ADDED', object: clone(stored) })
    return clone(stored)
  }

  delete(resource: Resource, namespace: string, name: string): void {
    const key = `${resource}/${namespace}/${name}`
    const existing = this.objects.get(key)
    if (!existing) return
    this.objects.delete(key)
    existing.metadata.resourceVersion = String(++this.rv)
    this.notify({ rv: this.rv, resource, type: 'DELETED', object: clone(existing) })
  }

  appendLog(namespace: string, pod: string, container: string, lines: string[], previous = false): void {
    const key = `${namespace}/${pod}/${container}${previous ? '#previous' : ''}`
    this.logs.set(key, [...(this.logs.get(key) ?? []), ...lines])
  }

  private notify(change: Change): void {
    this.changes.push(change)
    for (const w of this.watchers) {
      if (w.resource === change.resource && w.namespace === change.object.metadata.namespace) {
        if (w.matches(change.object)) this.writeEvent(w.res, change.type, change.object)
      }
    }
  }

  private writeEvent(res: ServerResponse, type: string, object: KubeObject): void {
    res.write(JSON.stringify({ type, object }) + '\n')
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' })
    res.end(text)
  }

  private status(res: ServerResponse, code: number, reason: string, message: string): void {
    this.send(res, code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code })
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake')
    this.requests.push(`${req.method} ${url.pathname}${url.search}`)
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      return this.status(res, 401, 'Unauthorized', 'Unauthorized')
    }
    if (url.pathname === '/version') {
      return this.send(res, 200, {
        major: '1',
        minor: '34',
        gitVersion: 'v1.34.0+fake',
        platform: 'linux/amd64',
      })
    }
    const m =
      /^\/(?:api\/v1|apis\/apps\/v1)\/namespaces\/([^/]+)\/(deployments|replicasets|pods|events|services)(?:\/([^/]+))?(?:\/(status|log))?$/.exec(
        url.pathname,
      )
    if (!m || req.method !== 'GET') return this.status(res, 404, 'NotFound', `no route for ${url.pathname}`)
    const [, namespace, resource, name, sub] = m as unknown as [string, string, Resource, string?, string?]
    if (!url.pathname.startsWith(GROUPS[resource].prefix)) {
      return this.status(res, 404, 'NotFound', `${resource} is not served under ${url.pathname}`)
    }
    if (name) {
      const o = this.objects.get(`${resource}/${namespace}/${name}`)
      if (!o) return this.status(res, 404, 'NotFound', `${resource} "${name}" not found`)
      if (sub === 'log') return this.podLog(res, namespace, o, url.searchParams)
      return this.send(res, 200, o) // the status subresource returns the whole object, as the real API does
    }
    const labelSelector = url.searchParams.get('labelSelector')
    const fieldSelector = url.searchParams.get('fieldSelector')
    const matches = (o: KubeObject): boolean =>
      labelSelectorMatches(labelSelector, o.metadata.labels) && fieldSelectorMatches(fieldSelector, o)
    const watch = url.searchParams.get('watch')
    if (watch === 'true' || watch === '1')
      return this.watch(res, resource, namespace, matches, url.searchParams)
    const items = [...this.objects.entries()]
      .filter(([k, o]) => k.startsWith(`${resource}/${namespace}/`) && matches(o))
      .map(([, o]) => o)
    const { apiVersion, kind } = GROUPS[resource]
    this.send(res, 200, {
      apiVersion,
      kind: `${kind}List`,
      metadata: { resourceVersion: String(this.rv) },
      items,
    })
  }

  private watch(
    res: ServerResponse,
    resource: Resource,
    namespace: string,
    matches: (o: KubeObject) => boolean,
    params: URLSearchParams,
  ): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' })
    const from = params.get('resourceVersion')
    if (from && from !== '0') {
      const since = Number(from)
      // A real server answers 410 Gone for a compacted version; this one keeps every change.
      for (const c of this.changes) {
        if (
          c.rv > since &&
          c.resource === resource &&
          c.object.metadata.namespace === namespace &&
          matches(c.object)
        ) {
          this.writeEvent(res, c.type, c.object)
        }
      }
    } else {
      for (const [k, o] of this.objects) {
        if (k.startsWith(`${resource}/${namespace}/`) && matches(o)) this.writeEvent(res, 'ADDED', o)
      }
    }
    const watcher: Watcher = { resource, namespace, matches, res }
    this.watchers.add(watcher)
    const timeoutSeconds = Number(params.get('timeoutSeconds') ?? 0)
    const timer = timeoutSeconds > 0 ? setTimeout(() => res.end(), timeoutSeconds * 1000) : undefined
    res.on('close', () => {
      if (timer) clearTimeout(timer)
      this.watchers.delete(watcher)
    })
  }

  private podLog(res: ServerResponse, namespace: string, pod: KubeObject, params: URLSearchParams): void {
    const containers = (pod.spec?.containers ?? []) as Array<{ name: string }>
    const container = params.get('container') ?? (containers.length === 1 ? containers[0]!.name : undefined)
    if (!container) {
      return this.status(
        res,
        400,
        'BadRequest',
        `a container name must be specified for pod ${pod.metadata.name}`,
      )
    }
    const previous = params.get('previous') === 'true'
    const lines = this.logs.get(
      `${namespace}/${pod.metadata.name}/${container}${previous ? '#previous' : ''}`,
    )
    if (!lines) {
      const what = previous ? 'previous terminated container' : 'container'
      return this.status(
        res,
        400,
        'BadRequest',
        `${what} "${container}" in pod "${pod.metadata.name}" not found`,
      )
    }
    const tail = Number(params.get('tailLines') ?? 0)
    this.send(res, 200, (tail > 0 ? lines.slice(-tail) : lines).map((l) => l + '\n').join(''))
  }
}
