import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { FakeKubeApi } from './__fixtures__/fake-kube-api.js'
import { loadKubeConfig } from './kubeconfig.js'
import { portForwardService } from './port-forward.js'

/** client-node's WebSocket port-forward against the fake API, relaying to a real local HTTP server as the pod. */
let api: FakeKubeApi
let pod: Server
beforeEach(async () => {
  api = new FakeKubeApi()
  await api.start()
  pod = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ path: req.url, method: req.method, body: body.length }))
    })
  })
  await new Promise<void>((r) => pod.listen(0, '127.0.0.1', r))
  const labels = { 'app.kubernetes.io/name': 'model-server', 'app.kubernetes.io/instance': 'prod' }
  api.put('services', {
    metadata: { name: 'prod-model-server', namespace: 'ml' },
    spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  })
  api.put('pods', {
    metadata: { name: 'prod-model-server-abc-1', namespace: 'ml', labels },
    spec: { containers: [{ name: 'model-server', ports: [{ name: 'http', containerPort: 8080 }] }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  })
  api.podPorts.set('prod-model-server-abc-1', (pod.address() as AddressInfo).port)
})
afterEach(async () => {
  await api.stop()
  await new Promise((r) => pod.close(r))
})

test('a ClusterIP service is reachable through the forwarded local port', async () => {
  const kubeConfig = loadKubeConfig({ kind: 'content', content: api.kubeconfig('ml') })
  const handle = await portForwardService({ kubeConfig, namespace: 'ml', service: 'prod-model-server' })
  try {
    expect(handle).toMatchObject({ pod: 'prod-model-server-abc-1', targetPort: 8080 })
    const first = await fetch(`${handle.url}/version`)
    expect(await first.json()).toEqual({ path: '/version', method: 'GET', body: 0 })
    // A large body crosses many WebSocket frames (and the 16-bit length form).
    const big = 'x'.repeat(200_000)
    const second = await fetch(`${handle.url}/predict`, {
      method: 'POST',
      body: big,
      headers: { connection: 'close' },
    })
    expect(await second.json()).toEqual({ path: '/predict', method: 'POST', body: 200_000 })
  } finally {
    await handle.close()
  }
  expect(api.requests).toContain(
    'UPGRADE /api/v1/namespaces/ml/pods/prod-model-server-abc-1/portforward?ports=8080',
  )
})

test('a service without a ready pod is a clear error', async () => {
  api.put('pods', { ...api.get('pods', 'ml', 'prod-model-server-abc-1')!, status: { phase: 'Pending' } })
  const kubeConfig = loadKubeConfig({ kind: 'content', content: api.kubeconfig('ml') })
  await expect(
    portForwardService({ kubeConfig, namespace: 'ml', service: 'prod-model-server' }),
  ).rejects.toThrow(
    'service prod-model-server has no ready pod (selector app.kubernetes.io/name=model-server,app.kubernetes.io/instance=prod)',
  )
  await expect(
    portForwardService({ kubeConfig, namespace: 'ml', service: 'prod-model-server', port: 9 }),
  ).rejects.toThrow('service prod-model-server has no port 9 (ports: http)')
})
