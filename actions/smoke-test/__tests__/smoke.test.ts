import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FakeKubeApi } from '../../../packages/kube/src/__fixtures__/fake-kube-api.js'
import type { HelmRevision, HelmRunner, RollbackOptions } from '@mlops/kube'
import { parseGoldenFile, payloadFromBundle } from '../src/golden.js'
import { main } from '../src/main.js'
import { percentile, runSmokeTest, type SmokeOptions } from '../src/smoke.js'

/**
 * Small local servers that misbehave one way each (wrong version, wrong prediction, 500, slow, never ready),
 * speaking the serve contract: /v2/health/ready, /health, /version, POST /predict, /metrics.
 */
interface Behaviour {
  version: string
  prediction: (row: Record<string, unknown>) => { label: string; p: number }
  status?: number
  delayMs?: number
  ready?: boolean
}

const goodPrediction = (row: Record<string, unknown>): { label: string; p: number } =>
  Number(row.age) > 60 ? { label: 'yes', p: 0.8 } : { label: 'no', p: 0.3 }

function metricsText(version: string): string {
  return [
    '# HELP http_requests_total Requests',
    '# TYPE http_requests_total counter',
    'http_requests_total{route="/predict",method="POST",status="200"} 4',
    'http_request_duration_seconds_bucket{route="/predict",method="POST",status="200",le="0.005"} 4',
    `model_inference_total{model="readmission",version="${version}",status="ok"} 4`,
    `model_inference_duration_seconds_bucket{model="readmission",version="${version}",le="0.001"} 4`,
    `model_predictions_total{model="readmission",version="${version}",class="yes"} 2`,
    `model_info{model="readmission",version="${version}",digest="sha256:abc"} 1`,
    `model_ready{model="readmission",version="${version}"} 1`,
    '',
  ].join('\n')
}

async function startModelServer(b: Behaviour): Promise<{ url: string; server: Server }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      const send = (status: number, value: unknown, type = 'application/json'): void => {
        res.writeHead(status, { 'content-type': type })
        res.end(typeof value === 'string' && type !== 'application/json' ? value : JSON.stringify(value))
      }
      const path = req.url ?? '/'
      if (path === '/v2/health/ready')
        return send(b.ready === false ? 503 : 200, { ready: b.ready !== false })
      if (path === '/health') return send(200, '\n', 'text/plain')
      if (path === '/version')
        return send(200, { model: { name: 'readmission', version: b.version }, ready: true })
      if (path === '/metrics') return send(200, metricsText(b.version), 'text/plain; version=0.0.4')
      if (path === '/predict' && req.method === 'POST') {
        setTimeout(() => {
          if (b.status) return send(b.status, { error: 'onnxruntime: session crashed' })
          const row = JSON.parse(body) as unknown
          if (row === null || typeof row !== 'object') return send(400, { error: 'send a JSON row' })
          const { label, p } = b.prediction(row as Record<string, unknown>)
          const probabilities = label === 'yes' ? { no: 1 - p, yes: p } : { no: 1 - p, yes: p }
          send(200, {
            prediction: label,
            probabilities,
            confidence: Math.max(p, 1 - p),
            model: { name: 'readmission', version: b.version },
          })
        }, b.delayMs ?? 0)
        return
      }
      send(404, { error: 'no route' })
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})
async function serverWith(b: Behaviour): Promise<string> {
  const { url, server } = await startModelServer(b)
  servers.push(server)
  return url
}

const golden = parseGoldenFile(
  JSON.stringify({
    tolerance: 0.01,
    cases: [
      {
        name: 'older patient',
        input: { age: 72, ward: 'cardio' },
        expected: { prediction: 'yes', probabilities: { yes: 0.8 } },
      },
      { name: 'younger patient', input: { age: 30, ward: 'neuro' }, expected: { prediction: 'no' } },
    ],
  }),
  'golden.json',
)

function options(url: string, extra: Partial<SmokeOptions> = {}): SmokeOptions {
  return {
    baseUrl: url,
    readyTimeoutMs: 2000,
    requestTimeoutMs: 2000,
    expectedVersion: '3',
    expectedModel: 'readmission',
    golden,
    predictPath: '/predict',
    invalidPayload: 'this is not a row',
    latency: { requests: 10, p95BudgetMs: 250 },
    metricsSeries: ['http_requests_total', 'model_inference_total', 'model_info', 'model_ready'],
    ...extra,
  }
}

const failed = (r: { checks: Array<{ name: string; ok: boolean }> }): string[] =>
  r.checks.filter((c) => !c.ok).map((c) => c.name)

test('a healthy server passes every check', async () => {
  const report = await runSmokeTest(options(await serverWith({ version: '3', prediction: goodPrediction })))
  expect(report.failures).toEqual([])
  expect(report.passed).toBe(true)
  expect(report.servedVersion).toBe('3')
  expect(report.checks.map((c) => c.name)).toEqual([
    'ready',
    'health',
    'version',
    'golden: older patient',
    'golden: younger patient',
    'invalid input',
    'metrics',
    'latency',
  ])
  expect(report.latency).toMatchObject({ requests: 10, errors: 0, budgetMs: 250 })
})

test('a stale server (wrong version) fails on /version, on every answer and on model_info', async () => {
  const report = await runSmokeTest(options(await serverWith({ version: '2', prediction: goodPrediction })))
  expect(report.passed).toBe(false)
  expect(failed(report)).toEqual(['version', 'golden: older patient', 'golden: younger patient', 'metrics'])
  expect(report.failures).toEqual([
    'version: serves model version 2, expected 3',
    'golden: older patient: answered by model version 2, expected 3',
    'golden: younger patient: answered by model version 2, expected 3',
    'metrics: model_info is for another version: model_info{model="readmission",version="2",digest="sha256:abc"} 1',
  ])
})

test('a wrong prediction fails its golden case with what came back', async () => {
  const report = await runSmokeTest(
    options(
      await serverWith({
        version: '3',
        prediction: (row) => (Number(row.age) > 60 ? { label: 'no', p: 0.45 } : { label: 'no', p: 0.3 }),
      }),
    ),
  )
  expect(failed(report)).toEqual(['golden: older patient'])
  expect(report.failures[0]).toBe(
    "golden: older patient: prediction 'no', expected 'yes'; P(yes) = 0.450000, expected 0.8 ± 0.01",
  )
})

test('a server answering 500 fails the predictions, the invalid-input check and the latency check', async () => {
  const report = await runSmokeTest(
    options(await serverWith({ version: '3', prediction: goodPrediction, status: 500 })),
  )
  expect(failed(report)).toEqual([
    'golden: older patient',
    'golden: younger patient',
    'invalid input',
    'latency',
  ])
  expect(report.failures[0]).toBe(
    'golden: older patient: POST /predict: HTTP 500 {"error":"onnxruntime: session crashed"}',
  )
  expect(report.failures[2]).toMatch(/^invalid input: an invalid payload got HTTP 500, expected a 4xx/)
  expect(report.failures[3]).toMatch(/^latency: 10 of 10 requests failed \(last: HTTP 500\)$/)
})

test('a slow server fails the p95 budget and nothing else', async () => {
  const report = await runSmokeTest(
    options(await serverWith({ version: '3', prediction: goodPrediction, delayMs: 120 }), {
      latency: { requests: 6, p95BudgetMs: 60 },
    }),
  )
  expect(failed(report)).toEqual(['latency'])
  expect(report.latency!.p95Ms).toBeGreaterThanOrEqual(115)
  expect(report.failures[0]).toMatch(
    /^latency: p95 1\d\d\.\d ms \(p50 .*\) over 6 requests exceeds the 60 ms budget$/,
  )
})

test('a server that never gets ready fails readiness at the deadline', async () => {
  const started = Date.now()
  const report = await runSmokeTest(
    options(await serverWith({ version: '3', prediction: goodPrediction, ready: false }), {
      readyTimeoutMs: 600,
    }),
  )
  expect(Date.now() - started).toBeGreaterThanOrEqual(600)
  expect(report.failures[0]).toBe('ready: not ready within 1 s (last: HTTP 503 {"ready":false})')
})

test('nothing listening: every check reports the connection error instead of throwing', async () => {
  // A port that was free a moment ago: connections are refused.
  const { url, server } = await startModelServer({ version: '3', prediction: goodPrediction })
  await new Promise((r) => server.close(r))
  const report = await runSmokeTest(
    options(url, { readyTimeoutMs: 200, latency: { requests: 2, p95BudgetMs: 100 } }),
  )
  expect(report.passed).toBe(false)
  expect(report.checks.every((c) => !c.ok)).toBe(true)
  expect(report.failures[1]).toBe('health: ECONNREFUSED')
})

test('percentile is nearest-rank', () => {
  expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3)
  expect(
    percentile(
      Array.from({ length: 20 }, (_, i) => i + 1),
      95,
    ),
  ).toBe(19)
  expect(percentile([7], 95)).toBe(7)
})

test('golden file mistakes name the case and field', () => {
  expect(() => parseGoldenFile('{', 'g.json')).toThrow(/^g\.json: not valid JSON/)
  expect(() => parseGoldenFile('{"cases": []}', 'g.json')).toThrow(
    'g.json: expected a non-empty "cases" array',
  )
  expect(() => parseGoldenFile('[{"name": "a"}]', 'g.json')).toThrow('g.json: cases[0] has no "input"')
  expect(() => parseGoldenFile('[{"input": {}, "expected": {"prediction": 1}}]', 'g.json')).toThrow(
    'g.json: cases[0].expected.prediction must be a string (the class label)',
  )
  expect(() => parseGoldenFile('[{"input": {}, "tolerance": -1}]', 'g.json')).toThrow(
    'g.json: cases[0].tolerance must be a number >= 0, got -1',
  )
})

test('a typical row is built from bundle.json features', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'smoke-bundle-'))
  try {
    await writeFile(
      join(dir, 'bundle.json'),
      JSON.stringify({
        features: [
          { name: 'age', kind: 'numeric', fill: 50, mean: 51.234567, std: 10 },
          { name: 'ward', kind: 'categorical', categories: ['cardio', 'neuro'] },
        ],
      }),
    )
    expect((await payloadFromBundle(dir)).input).toEqual({ age: 51.2346, ward: 'cardio' })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

describe('main: a Service through port-forward, and the rollback on failure', () => {
  let api: FakeKubeApi
  let work: string
  const calls: RollbackOptions[] = []
  const history: HelmRevision[] = [
    {
      revision: 1,
      status: 'superseded',
      chart: 'model-server-0.1.0',
      appVersion: '0.1.0',
      description: '',
      updated: '',
    },
    {
      revision: 2,
      status: 'deployed',
      chart: 'model-server-0.1.0',
      appVersion: '0.1.0',
      description: '',
      updated: '',
    },
  ]
  const helm: HelmRunner = {
    major: 4,
    upgradeInstall: () => Promise.reject(new Error('not used')),
    rollback: async (o) => void calls.push(o),
    history: async () => history,
    status: async () => undefined,
    manifest: async () => '',
  }
  const savedEnv = { ...process.env }
  const writeStdout = process.stdout.write.bind(process.stdout)
  let stdout: string[] = []

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'smoke-main-'))
  })
  afterAll(() => rm(work, { recursive: true, force: true }))
  beforeEach(async () => {
    api = new FakeKubeApi()
    await api.start()
    await writeFile(join(work, 'golden.json'), JSON.stringify({ cases: golden }))
    await writeFile(join(work, 'output'), '')
    await writeFile(join(work, 'summary.md'), '')
    await rm(join(work, 'tmp'), { recursive: true, force: true })
    await mkdir(join(work, 'tmp'))
    Object.assign(process.env, {
      GITHUB_WORKSPACE: work,
      GITHUB_OUTPUT: join(work, 'output'),
      GITHUB_STEP_SUMMARY: join(work, 'summary.md'),
      RUNNER_TEMP: work,
      TMPDIR: join(work, 'tmp'),
    })
    calls.length = 0
    stdout = []
    process.stdout.write = ((chunk: string | Uint8Array) => {
      stdout.push(String(chunk))
      return true
    }) as typeof process.stdout.write
  })
  afterEach(async () => {
    process.stdout.write = writeStdout
    process.env = { ...savedEnv }
    process.exitCode = undefined
    await api.stop()
  })

  async function exposeAsService(url: string): Promise<void> {
    const labels = { 'app.kubernetes.io/name': 'model-server', 'app.kubernetes.io/instance': 'prod' }
    api.put('services', {
      metadata: { name: 'prod-model-server', namespace: 'ml' },
      spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    })
    api.put('pods', {
      metadata: { name: 'prod-model-server-1', namespace: 'ml', labels },
      spec: { containers: [{ name: 'model-server', ports: [{ name: 'http', containerPort: 8080 }] }] },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    })
    api.podPorts.set('prod-model-server-1', Number(new URL(url).port))
  }

  function setInputs(inputs: Record<string, string>): void {
    for (const [k, v] of Object.entries(inputs)) process.env[`INPUT_${k.toUpperCase()}`] = v
  }

  const inputs = (): Record<string, string> => ({
    service: 'prod-model-server',
    namespace: 'ml',
    kubeconfig: api.kubeconfig('ml'),
    'expected-version': '3',
    'golden-file': 'golden.json',
    'latency-requests': '5',
    'ready-timeout': '2',
    release: 'prod',
  })

  test('a passing service: no rollback, outputs set', async () => {
    await exposeAsService(await serverWith({ version: '3', prediction: goodPrediction }))
    setInputs(inputs())
    await main({ createHelmRunner: async () => helm })
    expect(calls).toEqual([])
    const out = await readFile(join(work, 'output'), 'utf8')
    expect(out).toMatch(/passed<<\S+\ntrue\n/)
    expect(out).toMatch(/served-version<<\S+\n3\n/)
    expect(
      api.requests.some((r) =>
        r.startsWith('UPGRADE /api/v1/namespaces/ml/pods/prod-model-server-1/portforward'),
      ),
    ).toBe(true)
  })

  test('a URL target that fails is rolled back too, without any call to the Kubernetes API', async () => {
    const bad = await serverWith({ version: '3', prediction: goodPrediction, status: 500 })
    setInputs({ ...inputs(), service: '', url: bad })
    await expect(main({ createHelmRunner: async () => helm })).rejects.toThrow(
      /Rolled back: rolled prod back from revision 2 to 1\.$/,
    )
    expect(calls).toHaveLength(1)
    expect(api.requests).toEqual([])

    // A passing URL run rolls nothing back.
    calls.length = 0
    const good = await serverWith({ version: '3', prediction: goodPrediction })
    setInputs({ url: good })
    await main({ createHelmRunner: async () => helm })
    expect(calls).toEqual([])
  })

  test('a failing service: every reason reported, the release rolled back, the step failed, no token leaked', async () => {
    await exposeAsService(await serverWith({ version: '2', prediction: goodPrediction }))
    setInputs(inputs())
    await expect(main({ createHelmRunner: async () => helm })).rejects.toThrow(
      /^smoke-test failed: version: serves model version 2, expected 3 \| golden: .* Rolled back: rolled prod back from revision 2 to 1\.$/,
    )
    expect(calls).toEqual([expect.objectContaining({ release: 'prod', namespace: 'ml', revision: 1 })])
    const summary = await readFile(join(work, 'summary.md'), 'utf8')
    expect(summary).toContain('## ❌ smoke-test failed (4 of 8 checks)')
    expect(summary).toContain('### Rollback of prod\n\n✅ rolled prod back from revision 2 to 1')
    const report = JSON.parse(await readFile(join(work, 'smoke-test/smoke-report.json'), 'utf8'))
    expect(report.failures).toHaveLength(4)
    expect(stdout.join('').replace(/^::add-mask::.*$/gm, '')).not.toContain(api.token)
    expect(await import('node:fs/promises').then((fs) => fs.readdir(join(work, 'tmp')))).toEqual([])
  })
})
