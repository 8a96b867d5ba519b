import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parse, stringify } from 'yaml'
import { buildReferenceProfile } from '../packages/data/src/index.js'
import {
  mulberry32,
  tabularTrainer,
  trainTabular,
  tabularBundleInfo,
  writeModelBundle,
  type TabularColumn,
} from '../packages/ml/src/index.js'
import { dashboardQueries, exposedMetricNames, promqlReferences } from './promql-references.js'

/**
 * issue 11, "what must be true" 2 and 3, against real processes: serve (serve/src/main.ts, the container's entry
 * point) with a freshly trained bundle carrying reference.json, and Debian's Prometheus 2.42 on 127.0.0.1
 * scraping it every second with observability/prometheus.yml's job and observability/rules.yml. Clean traffic
 * first, then drifted traffic; everything is read back through Prometheus' HTTP API.
 */
const repo = resolve(import.meta.dirname, '..')
const PROMETHEUS = '/usr/bin/prometheus'
const read = (path: string): string => readFileSync(join(repo, path), 'utf8')
const MODEL = { name: 'readmission', version: '3' }

const children: ChildProcess[] = []
let work: string
let serveUrl: string
let promUrl: string
let serveLog = ''
let promLog = ''

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolvePort(port))
    })
  })
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await probe()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(
    `timed out waiting for ${what}${last ? ` (${String(last)})` : ''}\nserve:\n${serveLog.slice(-2000)}\nprometheus:\n${promLog.slice(-2000)}`,
  )
}

/** Three numeric and two categorical features; `shift` moves age, bmi and the ward mix (drifted traffic). */
function patients(rows: number, seed: number, shift = 0): Array<Record<string, number | string>> {
  const random = mulberry32(seed)
  return Array.from({ length: rows }, () => {
    const age = 20 + random() * 60 + shift * 40
    const bmi = 18 + random() * 20 + shift * 15
    const visits = Math.floor(random() * 6)
    const ward = shift > 0 ? 'neuro' : ['cardio', 'neuro', 'ortho'][Math.floor(random() * 3)]!
    const insulin = random() < 0.4 ? 'yes' : 'no'
    return { age, bmi, visits, ward, insulin }
  })
}

async function trainBundle(dir: string): Promise<void> {
  const rows = patients(600, 11)
  const label = rows.map((r) => ((r.age as number) - 50) / 15 + (r.ward === 'cardio' ? 1 : 0) > 0.2)
  const kinds = {
    age: 'numeric',
    bmi: 'numeric',
    visits: 'numeric',
    ward: 'categorical',
    insulin: 'categorical',
  }
  const columns: TabularColumn[] = [
    ...Object.entries(kinds).map(([name, kind]) => ({
      name,
      kind: kind as 'numeric' | 'categorical',
      values: rows.map((r) => r[name]!),
    })),
    { name: 'label', kind: 'categorical', values: label.map((l) => (l ? 'yes' : 'no')) },
  ]
  const trained = await trainTabular({
    columns,
    target: 'label',
    trainer: tabularTrainer('logistic-regression'),
    seed: 1,
  })
  const reference = buildReferenceProfile(
    { files: [], rows: rows.length, columns: columns.map((c) => ({ ...c, values: [...c.values] })) },
    { exclude: ['label'] },
  )
  await writeModelBundle(dir, {
    onnx: trained.onnx,
    info: tabularBundleInfo(trained, {
      target: 'label',
      modelType: 'logistic-regression',
      dataHash: 'observability-live-test',
    }),
    reference,
  })
}

function start(command: string, args: string[], env: Record<string, string>, onOutput: (s: string) => void) {
  const child = spawn(command, args, {
    cwd: repo,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (d: Buffer) => onOutput(d.toString()))
  child.stderr!.on('data', (d: Buffer) => onOutput(d.toString()))
  children.push(child)
  return child
}

async function promQuery(
  expr: string,
  time?: number,
): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const at = time === undefined ? '' : `&time=${time}`
  const response = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}${at}`)
  const body = (await response.json()) as { status: string; error?: string; data: { result: [] } }
  if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`)
  return body.data.result
}

async function series(name: string): Promise<Array<Record<string, string>>> {
  const response = await fetch(`${promUrl}/api/v1/series?match[]=${encodeURIComponent(name)}`)
  const body = (await response.json()) as { status: string; data: Array<Record<string, string>> }
  return body.data
}

async function send(rows: Array<Record<string, number | string>>): Promise<void> {
  // The three protocols the inference routes serve, so every route label shows up.
  for (let i = 0; i < rows.length; i += 10) {
    const chunk = rows.slice(i, i + 10)
    const kind = (i / 10) % 3
    const response =
      kind === 0
        ? await fetch(`${serveUrl}/predict`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(chunk),
          })
        : kind === 1
          ? await fetch(`${serveUrl}/invocations`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ dataframe_records: chunk }),
            })
          : await fetch(`${serveUrl}/v2/models/${MODEL.name}/infer`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({
                inputs: Object.keys(chunk[0]!).map((name) => {
                  const values = chunk.map((r) => r[name]!)
                  const numeric = typeof values[0] === 'number'
                  return {
                    name,
                    shape: [chunk.length, 1],
                    datatype: numeric ? 'FP64' : 'BYTES',
                    data: values,
                  }
                }),
              }),
            })
    const text = await response.text()
    if (response.status !== 200) throw new Error(`inference answered ${response.status}: ${text}`)
  }
}

beforeAll(async () => {
  if (!existsSync(PROMETHEUS))
    throw new Error(
      `${PROMETHEUS} is missing: run 'bash scripts/tools/prometheus.sh' (Debian prometheus 2.42)`,
    )
  work = await mkdtemp(join(tmpdir(), 'observability-live-'))
  const bundle = join(work, 'model')
  await trainBundle(bundle)

  // serve: the production entry point, configured through its environment (port 0: it logs the one it got).
  const serve = start(
    process.execPath,
    ['--import', 'tsx', 'serve/src/main.ts'],
    {
      PORT: '0',
      HOST: '127.0.0.1',
      MODEL_URI: bundle,
      MODEL_NAME: MODEL.name,
      MODEL_VERSION: MODEL.version,
      DRIFT_WINDOW: '150',
      DRIFT_INTERVAL_MS: '200',
      ORT_INTRA_OP_THREADS: '1',
      ORT_DISABLE_TELEMETRY: '1',
      LOG_LEVEL: 'info',
    },
    (s) => (serveLog += s),
  )
  const port = await waitFor('serve to listen', async () => {
    if (serve.exitCode !== null) throw new Error(`serve exited with ${serve.exitCode}`)
    const m = /"msg":"listening"[^\n]*"port":(\d+)|"port":(\d+)[^\n]*"msg":"listening"/.exec(serveLog)
    return m ? Number(m[1] ?? m[2]) : undefined
  })
  serveUrl = `http://127.0.0.1:${port}`
  await waitFor('serve readiness', async () =>
    (await fetch(`${serveUrl}/v2/health/ready`)).status === 200 ? true : undefined,
  )

  // Prometheus: observability/prometheus.yml with a 1 s scrape of this serve, observability/rules.yml loaded.
  const config = parse(read('observability/prometheus.yml')) as {
    global: Record<string, string>
    scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>
  }
  config.global.scrape_interval = '1s'
  config.global.evaluation_interval = '1s'
  config.scrape_configs[0]!.static_configs = [{ targets: [`127.0.0.1:${port}`] }]
  await writeFile(join(work, 'prometheus.yml'), stringify(config))
  await copyFile(join(repo, 'observability/rules.yml'), join(work, 'rules.yml'))
  const promPort = await freePort()
  promUrl = `http://127.0.0.1:${promPort}`
  const prometheus = start(
    PROMETHEUS,
    [
      `--config.file=${join(work, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(work, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ],
    {},
    (s) => (promLog += s),
  )
  await waitFor('Prometheus readiness', async () => {
    if (prometheus.exitCode !== null) throw new Error(`prometheus exited with ${prometheus.exitCode}`)
    return (await fetch(`${promUrl}/-/ready`)).status === 200 ? true : undefined
  })
  // Prometheus applies discovered targets in 5 s steps: traffic starts once the first scrape went through.
  await waitFor('the first scrape of serve', async () =>
    (await promQuery('up{job="model-server"} == 1')).length > 0 ? true : undefined,
  )
})

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      let timer: NodeJS.Timeout | undefined
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000)))])
      clearTimeout(timer)
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  }
  if (work) await rm(work, { recursive: true, force: true })
})

const dashboard = JSON.parse(read('observability/dashboard.json'))
const rules = parse(read('observability/rules.yml')) as {
  groups: Array<{ rules: Array<{ alert: string; expr: string }> }>
}
const ruleByName = Object.fromEntries(rules.groups.flatMap((g) => g.rules).map((r) => [r.alert, r]))
/** The restart alert reads kube-state-metrics, which is not part of this setup. */
const KUBE_STATE_METRICS = ['kube_pod_container_status_restarts_total']
const queries = [
  ...dashboardQueries(dashboard),
  ...Object.values(ruleByName).map((r) => ({
    where: `alert ${r.alert}`,
    expr: r.expr,
    printed: [] as string[],
  })),
]
/** Grafana's variables as Grafana would substitute them ("All" = .*). */
const grafanaExpr = (expr: string): string =>
  expr
    .replaceAll('$__rate_interval', '30s')
    .replaceAll('$__range', '5m')
    .replaceAll('$job', '.*')
    .replaceAll('$model', '.*')

describe('a real serve scraped by a real Prometheus', () => {
  test('clean traffic: every series the dashboard and the rules use exists, with the expected labels', async () => {
    await send(patients(300, 21))
    // A rejected payload, so the errors-by-route panel has a 4xx series.
    const bad = await fetch(`${serveUrl}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"age": "not a number"',
    })
    expect(bad.status).toBeGreaterThanOrEqual(400)
    expect(bad.status).toBeLessThan(500)

    // Names used by the dashboard and the rules, each one a live /metrics name too.
    const used = [...new Set(queries.flatMap((q) => promqlReferences(q.expr).metrics))].filter(
      (m) => !KUBE_STATE_METRICS.includes(m),
    )
    const scraped = exposedMetricNames(await (await fetch(`${serveUrl}/metrics`)).text())
    expect(used.filter((m) => !scraped.includes(m))).toEqual([])

    // Drift gauges are computed on a timer and scraped every second: wait until the window is in Prometheus.
    await waitFor('model_drift_window_rows in Prometheus', async () => {
      const [row] = await promQuery('model_drift_window_rows')
      return row && Number(row.value[1]) >= 150 ? true : undefined
    })
    await waitFor('every used series in Prometheus', async () => {
      for (const m of used) if ((await series(m)).length === 0) return undefined
      return true
    })
    const labelsOf: Record<string, Set<string>> = {}
    for (const m of used) labelsOf[m] = new Set((await series(m)).flatMap((s) => Object.keys(s)))
    expect(labelsOf.model_info).toEqual(
      new Set(['__name__', 'job', 'instance', 'model', 'version', 'digest']),
    )
    expect([...labelsOf.model_feature_drift_score!].sort()).toEqual(
      ['__name__', 'feature', 'instance', 'job', 'method', 'model', 'version'].sort(),
    )
    expect([...labelsOf.http_request_duration_seconds_bucket!]).toEqual(
      expect.arrayContaining(['route', 'method', 'status', 'le']),
    )
    const routes = (await series('http_requests_total')).map((s) => s.route)
    expect(routes).toEqual(expect.arrayContaining(['/predict', '/invocations', '/v2/models/:model/infer']))
    // Every label a query matches, groups by or prints is on one of its metrics' live series.
    const missing = queries.flatMap(({ where, expr, printed }) => {
      const refs = promqlReferences(expr)
      const live = new Set(refs.metrics.flatMap((m) => [...(labelsOf[m] ?? [])]))
      if (refs.metrics.every((m) => KUBE_STATE_METRICS.includes(m))) return []
      // namespace and pod come from Kubernetes service discovery; a static scrape has neither.
      return [...refs.labels, ...printed]
        .filter((l) => !live.has(l) && l !== 'namespace' && l !== 'pod')
        .map((l) => `${where}: ${l}`)
    })
    expect(missing).toEqual([])
    const [info] = await promQuery('model_info')
    expect(info!.metric).toMatchObject({ model: MODEL.name, version: MODEL.version, job: 'model-server' })
  })

  test('every dashboard query returns data from the live server (5xx-only queries may be empty)', async () => {
    // The version annotation marks the moment a (model, version) appears: ask at the first model_info sample.
    const [first] = (await promQuery('model_info[10m]')) as unknown as Array<{
      values: Array<[number, string]>
    }>
    const appeared = first!.values[0]![0] + 2
    // rate() needs two samples in its window: wait for the newest series (the rejected request of the first test).
    await waitFor('rates over the traffic', async () =>
      (await promQuery('count_over_time(http_requests_total{status=~"4.."}[30s]) >= 3')).length > 0
        ? true
        : undefined,
    )
    const empty: string[] = []
    for (const q of dashboardQueries(dashboard)) {
      const result = await promQuery(
        grafanaExpr(q.expr),
        q.where.startsWith('annotation') ? appeared : undefined,
      )
      // Nothing in this run answers 5xx on an inference route: the 5xx ratio is empty ("No data") or 0.
      if (q.where === 'panel "Error ratio (5xx)" target A') {
        expect(result.map((r) => Number(r.value[1]))).toEqual(result.length === 0 ? [] : [0])
      } else if (result.length === 0) empty.push(q.where)
    }
    expect(empty).toEqual([])
  })

  test('clean traffic raises no drift; drifted traffic makes the drift alert expressions true', async () => {
    const [share] = await promQuery('model_drift_share')
    expect(Number(share!.value[1])).toBeLessThan(0.5)
    expect(await promQuery(ruleByName.ModelServerDatasetDrift!.expr)).toEqual([])

    await send(patients(300, 33, 1))
    const firing = await waitFor(
      'the dataset drift alert expression',
      async () => {
        const result = await promQuery(ruleByName.ModelServerDatasetDrift!.expr)
        return result.length > 0 ? result : undefined
      },
      20_000,
    )
    expect(firing[0]!.metric).toMatchObject({
      job: 'model-server',
      model: MODEL.name,
      version: MODEL.version,
    })
    const features = (await promQuery(ruleByName.ModelServerFeatureDriftSpike!.expr)).map(
      (r) => r.metric.feature,
    )
    expect(features).toEqual(expect.arrayContaining(['age', 'bmi', 'ward']))
    expect(features).not.toContain('visits')
    // The dashboard's severity panel agrees, whichever way each method's score points (p-value or distance).
    const severityPanel = (
      dashboard.panels as Array<{ title: string; targets?: Array<{ expr: string }> }>
    ).find((p) => p.title.startsWith('Drift severity'))!
    const severity = await promQuery(grafanaExpr(severityPanel.targets![0]!.expr))
    const above = severity.filter((r) => Number(r.value[1]) > 1).map((r) => r.metric.feature)
    expect(above.sort()).toEqual([...features].sort())
    // Prometheus evaluates the loaded rule too: the alert is pending (for: 10m) on the drifted window.
    const alerts = await waitFor('ModelServerDatasetDrift pending', async () => {
      const body = (await (await fetch(`${promUrl}/api/v1/alerts`)).json()) as {
        data: { alerts: Array<{ labels: Record<string, string>; state: string }> }
      }
      const found = body.data.alerts.filter((a) => a.labels.alertname === 'ModelServerDatasetDrift')
      return found.length > 0 ? found : undefined
    })
    expect(alerts[0]!.state).toBe('pending')
    expect(await promQuery('model_ready')).toEqual([
      expect.objectContaining({ value: [expect.any(Number), '1'] }),
    ])
  })
})
