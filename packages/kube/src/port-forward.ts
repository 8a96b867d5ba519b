import { createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { PassThrough } from 'node:stream'
import { CoreV1Api, PortForward, type KubeConfig } from '@kubernetes/client-node'

export interface PortForwardOptions {
  kubeConfig: KubeConfig
  namespace: string
  service: string
  /** Service port (number or name); default its first port. */
  port?: number | string
  /** Local port; default a free one. */
  localPort?: number
}

export interface PortForwardHandle {
  /** http://127.0.0.1:<localPort> */
  url: string
  localPort: number
  pod: string
  targetPort: number
  close(): Promise<void>
}

interface WireService {
  spec?: {
    selector?: Record<string, string>
    ports?: Array<{ name?: string; port: number; targetPort?: number | string }>
  }
}
interface WirePod {
  metadata?: { name?: string; deletionTimestamp?: unknown }
  spec?: { containers?: Array<{ ports?: Array<{ name?: string; containerPort: number }> }> }
  status?: { phase?: string; conditions?: Array<{ type?: string; status?: string }> }
}

function wire<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T
}

/**
 * What `kubectl port-forward svc/NAME` does, with client-node's PortForward (WebSocket, no kubectl needed):
 * resolve the Service's port to a ready pod and its container port, then relay each local TCP connection.
 * A ClusterIP service is reachable from the runner this way.
 */
export async function portForwardService(o: PortForwardOptions): Promise<PortForwardHandle> {
  const core = o.kubeConfig.makeApiClient(CoreV1Api)
  const service = wire<WireService>(
    await core.readNamespacedService({ name: o.service, namespace: o.namespace }),
  )
  const ports = service.spec?.ports ?? []
  const servicePort =
    o.port === undefined
      ? ports[0]
      : ports.find((p) => p.port === o.port || (p.name !== undefined && p.name === o.port))
  if (!servicePort) {
    throw new Error(
      `service ${o.service} has no port ${o.port ?? ''} (ports: ${ports.map((p) => p.name ?? p.port).join(', ')})`,
    )
  }
  const selector = Object.entries(service.spec?.selector ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',')
  if (selector === '') throw new Error(`service ${o.service} has no selector: nothing to forward to`)
  const pods = wire<{ items: WirePod[] }>(
    await core.listNamespacedPod({ namespace: o.namespace, labelSelector: selector }),
  )
  const pod = pods.items.find(
    (p) =>
      p.metadata?.deletionTimestamp == null &&
      p.status?.phase === 'Running' &&
      (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
  )
  if (!pod?.metadata?.name) throw new Error(`service ${o.service} has no ready pod (selector ${selector})`)
  const target = servicePort.targetPort ?? servicePort.port
  let targetPort: number | undefined
  if (typeof target === 'number') targetPort = target
  else {
    for (const c of pod.spec?.containers ?? []) {
      targetPort ??= c.ports?.find((p) => p.name === target)?.containerPort
    }
  }
  if (targetPort === undefined)
    throw new Error(`pod ${pod.metadata.name} has no container port named '${target}'`)

  const podName = pod.metadata.name
  const forward = new PortForward(o.kubeConfig)
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    const errors = new PassThrough()
    errors.on('data', (chunk: Buffer) => {
      if (chunk.length > 0) socket.destroy(new Error(`port-forward to ${podName}: ${chunk.toString()}`))
    })
    forward
      .portForward(o.namespace, podName, [targetPort], socket, errors, socket)
      .then((ws) => {
        const w = typeof ws === 'function' ? ws() : ws
        w?.on('close', () => socket.end())
        socket.on('close', () => w?.close())
      })
      .catch((error: unknown) => socket.destroy(error as Error))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(o.localPort ?? 0, '127.0.0.1', resolve)
  })
  const localPort = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${localPort}`,
    localPort,
    pod: podName,
    targetPort,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
