import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { parse, parseAllDocuments, stringify } from 'yaml'
import { createMetrics } from '../serve/src/observability/metrics.js'
import {
  dashboardQueries,
  exposedMetricNames,
  labelValuesQuery,
  promqlReferences,
  templateLabels,
} from './promql-references.js'

/**
 * The observability pack (observability/, helm/model-server/files/, the chart's ServiceMonitor, PrometheusRule and
 * dashboard ConfigMap) checked with the real promtool (Debian prometheus 2.42, scripts/tools/prometheus.sh) and
 * the real Helm 4 (scripts/tools/helm.sh). tests/observability-live.test.ts scrapes a running serve.
 */
const exec = promisify(execFile)
const repo = resolve(import.meta.dirname, '..')
const chart = join(repo, 'helm/model-server')
const PROMTOOL = '/usr/bin/promtool'
const HELM = join(repo, '.tools/helm4/helm')
const read = (path: string): string => readFileSync(join(repo, path), 'utf8')

/** The series names of the metrics contract (contracts.md), as a scrape shows them. */
const CONTRACT_METRICS = [
  'http_requests_total',
  ...histogram('http_request_duration_seconds'),
  'http_requests_in_flight',
  ...histogram('model_inference_duration_seconds'),
  'model_inference_total',
  'model_predictions_total',
  ...histogram('model_batch_size'),
  'model_info',
  'model_ready',
  'model_feature_drift_score',
  'model_feature_drift_threshold',
  'model_feature_drifted',
  'model_drift_share',
  'model_dataset_drift',
  'model_drift_window_rows',
]
function histogram(name: string): string[] {
  return [`${name}_bucket`, `${name}_sum`, `${name}_count`]
}
/** Not exported by serve: the restart alert reads kube-state-metrics, which every operator install ships. */
const KUBE_STATE_METRICS: Record<string, string[]> = {
  kube_pod_container_status_restarts_total: ['namespace', 'pod', 'container'],
}
/** Labels Prometheus adds to every scraped series (target labels), and the Kubernetes ones service discovery adds. */
const TARGET_LABELS = ['job', 'instance', 'namespace', 'pod']

interface RuleFile {
  groups: Array<{
    name: string
    rules: Array<{ alert: string; expr: string; for: string; annotations: object }>
  }>
}
interface Manifest {
  kind: string
  metadata: { name: string; labels?: Record<string, string> }
  spec?: RuleFile & Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
  data?: Record<string, string>
}

let work: string
beforeAll(async () => {
  if (!existsSync(PROMTOOL))
    throw new Error(`${PROMTOOL} is missing: run 'bash scripts/tools/prometheus.sh' (Debian prometheus 2.42)`)
  if (!existsSync(HELM)) throw new Error(`${HELM} is missing: run 'bash scripts/tools/helm.sh'`)
  work = await mkdtemp(join(tmpdir(), 'observability-'))
})
afterAll(() => rm(work, { recursive: true, force: true }))

async function run(binary: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await exec(binary, args, { cwd: repo, env: { ...process.env, HOME: work } })
    return { code: 0, out: stdout + stderr }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }
  }
}

/** promtool test rules on rules.test.yml run against the given rules file text. */
async function promtoolTest(rulesText: string, dir: string): Promise<{ code: number; out: string }> {
  await rm(dir, { recursive: true, force: true })
  await run('mkdir', ['-p', dir])
  await writeFile(join(dir, 'rules.yml'), rulesText)
  await copyFile(join(repo, 'observability/rules.test.yml'), join(dir, 'rules.test.yml'))
  return run(PROMTOOL, ['test', 'rules', join(dir, 'rules.test.yml')])
}

async function render(release: string, ...args: string[]): Promise<Manifest[]> {
  const { code, out } = await run(HELM, [
    'template',
    release,
    chart,
    '--namespace',
    'ml',
    '--set',
    'image.digest=sha256:' + 'a'.repeat(64),
    ...args,
  ])
  if (code !== 0) throw new Error(`helm template failed:\n${out}`)
  return parseAllDocuments(out)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null)
}
const ofKind = (manifests: Manifest[], kind: string): Manifest[] => manifests.filter((m) => m.kind === kind)

const rules = parse(read('observability/rules.yml')) as RuleFile
const allRules = rules.groups.flatMap((g) => g.rules)
const dashboard = JSON.parse(read('observability/dashboard.json'))
const ALERTS = [
  'ModelServerInferenceLatencyHigh',
  'ModelServerRequestLatencyHigh',
  'ModelServerErrorRatioHigh',
  'ModelServerNotReady',
  'ModelServerDatasetDrift',
  'ModelServerFeatureDriftSpike',
  'ModelServerPodRestarting',
  'ModelServerNoTraffic',
]

describe('one source of truth', () => {
  test.each(['rules.yml', 'dashboard.json'])(
    'observability/%s is a copy of helm/model-server/files/',
    (file) => {
      // If this fails: edit helm/model-server/files/<file>, then copy it to observability/.
      expect(read(`observability/${file}`)).toBe(read(`helm/model-server/files/${file}`))
    },
  )
})

describe('alert rules with the real promtool', () => {
  test('promtool check rules passes and finds every alert', async () => {
    const { code, out } = await run(PROMTOOL, ['check', 'rules', 'observability/rules.yml'])
    expect(out).toContain(`SUCCESS: ${ALERTS.length} rules found`)
    expect(code).toBe(0)
    expect(allRules.map((r) => r.alert).sort()).toEqual([...ALERTS].sort())
  })

  test('promtool test rules: each alert fires on a broken server and stays silent on a healthy one', async () => {
    const { code, out } = await run(PROMTOOL, ['test', 'rules', 'observability/rules.test.yml'])
    expect(out).toContain('SUCCESS')
    expect(code).toBe(0)
    // Every alert is exercised both ways by the unit tests.
    const tests = parse(read('observability/rules.test.yml')) as {
      tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }>
    }
    const cases = tests.tests.flatMap((t) => t.alert_rule_test)
    for (const alert of ALERTS) {
      expect({ alert, fires: cases.some((c) => c.alertname === alert && c.exp_alerts.length > 0) }).toEqual({
        alert,
        fires: true,
      })
      expect({
        alert,
        silent: cases.some((c) => c.alertname === alert && c.exp_alerts.length === 0),
      }).toEqual({
        alert,
        silent: true,
      })
    }
  })

  test('the unit tests can fail: with thresholds raised tenfold the broken server no longer fires', async () => {
    const raised = read('observability/rules.yml')
      .replaceAll(') > 0.5', ') > 5')
      .replace(') > 0.01', ') > 0.1')
      .replace('model_feature_drift_score > 0.2', 'model_feature_drift_score > 2')
      .replace('(model_drift_share) >= 0.5', '(model_drift_share) >= 5')
      .replace('(model_dataset_drift) == 1', '(model_dataset_drift) == 10')
    const { code, out } = await promtoolTest(raised, join(work, 'raised'))
    expect(code).not.toBe(0)
    for (const alert of [
      'ModelServerInferenceLatencyHigh',
      'ModelServerRequestLatencyHigh',
      'ModelServerErrorRatioHigh',
      'ModelServerDatasetDrift',
    ]) {
      expect(out).toContain(`alertname: ${alert}`)
    }
  })

  test('every alert has a severity, a summary and a description, and no Helm template syntax', () => {
    for (const rule of allRules) {
      expect({ alert: rule.alert, for: rule.for }).toEqual({ alert: rule.alert, for: '10m' })
      expect(Object.keys(rule.annotations).sort()).toEqual(['description', 'summary'])
      expect(JSON.stringify(rule)).not.toMatch(/\{\{\s*\./)
    }
  })
})

describe('Prometheus scrape examples', () => {
  test('observability/prometheus.yml passes promtool check config (and loads rules.yml)', async () => {
    const { code, out } = await run(PROMTOOL, ['check', 'config', 'observability/prometheus.yml'])
    expect(out).toContain('is valid prometheus config file syntax')
    expect(out).toContain(`SUCCESS: ${ALERTS.length} rules found`)
    expect(code).toBe(0)
  })

  test('prometheus-kubernetes.yml relabels exactly the annotations the chart puts on the pods', async () => {
    const manifests = await render('prod')
    const annotations = ofKind(manifests, 'Deployment')[0]!.spec!.template.metadata.annotations as Record<
      string,
      string
    >
    // Kubernetes SD exposes pod annotations as __meta_kubernetes_pod_annotation_<name, non-alphanumerics as _>.
    const meta = (name: string): string =>
      `__meta_kubernetes_pod_annotation_${name.replace(/[^a-zA-Z0-9_]/g, '_')}`
    const config = parse(read('observability/prometheus-kubernetes.yml')) as {
      rule_files: string[]
      scrape_configs: Array<{
        kubernetes_sd_configs: Array<{ role: string }>
        relabel_configs: Array<{
          source_labels: string[]
          action?: string
          regex?: string
          replacement?: string
          target_label?: string
        }>
      }>
    }
    expect(config.rule_files).toEqual(['rules.yml'])
    const [job] = config.scrape_configs
    expect(job!.kubernetes_sd_configs).toEqual([{ role: 'pod' }])
    const relabel = (label: string) =>
      job!.relabel_configs.find((r) => r.source_labels.includes(meta(label)))!
    expect(annotations['prometheus.io/scrape']).toBe('true')
    expect(relabel('prometheus.io/scrape')).toMatchObject({
      action: 'keep',
      regex: annotations['prometheus.io/scrape'],
    })
    const port = relabel('prometheus.io/port')
    expect(port.target_label).toBe('__address__')
    // Prometheus anchors relabel regexes; the pod IP keeps, the annotated port replaces the discovered one.
    const address = `10.42.0.7:9999;${annotations['prometheus.io/port']}`
    // JS replacement strings read $1/$2 like Prometheus' replacement does.
    const replaced = address.replace(new RegExp(`^(?:${port.regex})$`), port.replacement!)
    expect(replaced).toBe('10.42.0.7:8080')
    expect(relabel('prometheus.io/path').target_label).toBe('__metrics_path__')
    expect(annotations['prometheus.io/path']).toBe('/metrics')
  })
})

describe('PromQL refers only to metrics serve exports', () => {
  test('the reference lexer finds metrics and labels, and nothing else', () => {
    expect(
      promqlReferences(
        'histogram_quantile(0.95, sum by (job, le) (rate(http_request_duration_seconds_bucket{route=~"/v2/.*", job=~"$job"}[$__rate_interval]))) > 0.5',
      ),
    ).toEqual({ metrics: ['http_request_duration_seconds_bucket'], labels: ['job', 'le', 'route'] })
    expect(
      promqlReferences(
        'count by (model) (model_info offset 1m) unless on (model) group_left (digest) up or vector(1e-05) and bool nan',
      ),
    ).toEqual({ metrics: ['model_info', 'up'], labels: ['digest', 'model'] })
    expect(promqlReferences('sum(rate(made_up_total[5m])) / sum(model_ready)').metrics).toEqual([
      'made_up_total',
      'model_ready',
    ])
    expect(labelValuesQuery('label_values(model_info{job=~"$job"}, model)')).toEqual({
      selector: 'model_info{job=~"$job"}',
      label: 'model',
    })
    expect(templateLabels('{{model}} v{{ version }} {{ $labels.feature }} {{ $value | humanize }}')).toEqual([
      'feature',
      'model',
      'version',
    ])
  })

  test("serve's metric registry exports every metric of the contract", async () => {
    const metrics = createMetrics()
    const exported = exposedMetricNames(await metrics.registry.metrics())
    for (const name of CONTRACT_METRICS)
      expect({ name, exported: exported.includes(name) }).toEqual({ name, exported: true })
  })

  const exportedLabels = async (): Promise<Record<string, string[]>> => {
    const metrics = createMetrics()
    const labels: Record<string, string[]> = { ...KUBE_STATE_METRICS }
    for (const metric of await metrics.registry.getMetricsAsJSON()) {
      const names = ((metrics.registry.getSingleMetric(metric.name) as unknown as { labelNames?: string[] })
        .labelNames ?? []) as string[]
      const series = String(metric.type) === 'histogram' ? ['_bucket', '_sum', '_count'] : ['']
      for (const suffix of series)
        labels[metric.name + suffix] = [...names, ...(suffix === '_bucket' ? ['le'] : [])]
    }
    return labels
  }

  const sources = [
    ...dashboardQueries(dashboard).map((q) => ({ ...q, source: 'dashboard' })),
    ...allRules.map((r) => ({
      where: `alert ${r.alert}`,
      expr: r.expr,
      printed: templateLabels(JSON.stringify(r.annotations)),
      source: 'rules',
    })),
  ]

  test('the dashboard has queries to check (panels, annotations, variables)', () => {
    expect(sources.filter((s) => s.source === 'dashboard').length).toBeGreaterThan(20)
    expect(sources.some((s) => s.where.startsWith('annotation'))).toBe(true)
    expect(sources.some((s) => s.where.startsWith('variable'))).toBe(true)
  })

  test('every metric name in the dashboard and the rules is exported by serve (or is kube-state-metrics)', async () => {
    const known = await exportedLabels()
    const unknown = sources.flatMap(({ where, expr, source }) =>
      promqlReferences(expr)
        .metrics.filter((m) => !(m in known) || (source === 'dashboard' && m in KUBE_STATE_METRICS))
        .map((m) => `${where}: ${m}`),
    )
    expect(unknown).toEqual([])
    for (const { expr } of sources) {
      for (const m of promqlReferences(expr).metrics) {
        if (!(m in KUBE_STATE_METRICS)) expect(CONTRACT_METRICS).toContain(m)
      }
    }
  })

  test('every label a query matches, groups by or prints exists on one of its metrics', async () => {
    const known = await exportedLabels()
    const missing = sources.flatMap(({ where, expr, printed }) => {
      const refs = promqlReferences(expr)
      const available = new Set([...TARGET_LABELS, ...refs.metrics.flatMap((m) => known[m] ?? [])])
      return [...refs.labels, ...printed].filter((l) => !available.has(l)).map((l) => `${where}: ${l}`)
    })
    expect(missing).toEqual([])
  })
})

describe('Grafana dashboard JSON (schemaVersion 39)', () => {
  const panels = dashboard.panels as Array<Record<string, any>> // eslint-disable-line @typescript-eslint/no-explicit-any
  // Core panel plugins of Grafana 10/11; the Angular ones (graph, singlestat, table-old) are gone in Grafana 11.
  const PANEL_TYPES = [
    'row',
    'timeseries',
    'stat',
    'gauge',
    'bargauge',
    'table',
    'piechart',
    'text',
    'heatmap',
  ]
  const DATASOURCE = { type: 'prometheus', uid: '${datasource}' }

  test('top level: the fields Grafana 10.x/11.x writes for schemaVersion 39', () => {
    expect(dashboard.schemaVersion).toBe(39)
    expect(dashboard.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/)
    expect(typeof dashboard.title).toBe('string')
    expect(dashboard).toMatchObject({
      editable: expect.any(Boolean),
      graphTooltip: expect.any(Number),
      refresh: expect.any(String),
      time: { from: expect.any(String), to: expect.any(String) },
      version: expect.any(Number),
      tags: expect.any(Array),
      annotations: { list: expect.any(Array) },
      templating: { list: expect.any(Array) },
    })
    // A sidecar-provisioned dashboard has no import-time inputs; the data source is a variable instead.
    expect(dashboard.__inputs).toBeUndefined()
    expect(dashboard.id).toBeUndefined()
  })

  test('panels: unique ids, known types, a gridPos inside the 24-column grid, no overlaps', () => {
    const ids = panels.map((p) => p.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const p of panels) {
      expect(Number.isInteger(p.id) && p.id > 0).toBe(true)
      expect(PANEL_TYPES).toContain(p.type)
      expect(typeof p.title).toBe('string')
      const { x, y, w, h } = p.gridPos
      for (const v of [x, y, w, h]) expect(Number.isInteger(v)).toBe(true)
      expect({ title: p.title, fits: x >= 0 && y >= 0 && w >= 1 && h >= 1 && x + w <= 24 }).toEqual({
        title: p.title,
        fits: true,
      })
    }
    const overlaps: string[] = []
    panels.forEach((a, i) =>
      panels.slice(i + 1).forEach((b) => {
        const A = a.gridPos
        const B = b.gridPos
        if (A.x < B.x + B.w && B.x < A.x + A.w && A.y < B.y + B.h && B.y < A.y + A.h)
          overlaps.push(`${a.title} / ${b.title}`)
      }),
    )
    expect(overlaps).toEqual([])
  })

  test('rows are full-width and expanded; query panels use the data source variable and carry targets', () => {
    for (const p of panels) {
      if (p.type === 'row') {
        expect(p).toMatchObject({ collapsed: false, panels: [], gridPos: { w: 24, h: 1, x: 0 } })
        continue
      }
      expect(p.datasource).toEqual(DATASOURCE)
      expect(p.fieldConfig).toMatchObject({ defaults: expect.any(Object), overrides: expect.any(Array) })
      expect(typeof p.options).toBe('object')
      expect(p.targets.length).toBeGreaterThan(0)
      const refIds = p.targets.map((t: { refId: string }) => t.refId)
      expect(new Set(refIds).size).toBe(refIds.length)
      for (const t of p.targets) {
        expect(t).toMatchObject({ datasource: DATASOURCE, refId: expect.stringMatching(/^[A-Z]$/) })
        expect(t.expr.trim().length).toBeGreaterThan(0)
      }
    }
  })

  test('variables are defined before use; the datasource variable is a Prometheus picker', () => {
    const list = dashboard.templating.list as Array<{ name: string; type: string; query: unknown }>
    expect(list[0]).toMatchObject({ name: 'datasource', type: 'datasource', query: 'prometheus' })
    const defined = new Set(['__rate_interval', '__interval', '__range', ...list.map((v) => v.name)])
    const used = [...JSON.stringify(dashboard).matchAll(/\$\{?([a-zA-Z_][a-zA-Z0-9_]*)/g)].map((m) => m[1]!)
    expect(used.filter((name) => !defined.has(name))).toEqual([])
  })

  test('panels the issue asks for are present, and version changes are annotated from model_info', () => {
    const exprs = (title: RegExp): string =>
      panels
        .filter((p) => title.test(p.title))
        .flatMap((p) => p.targets.map((t: { expr: string }) => t.expr))
        .join('\n')
    expect(exprs(/request rate by route/i)).toMatch(/http_requests_total/)
    expect(exprs(/errors by route/i)).toMatch(/status=~"\[45\]\.\."/)
    expect(exprs(/latency percentiles/i)).toMatch(/histogram_quantile\(0\.99/)
    expect(exprs(/in-flight/i)).toMatch(/http_requests_in_flight/)
    expect(exprs(/batch size/i)).toMatch(/model_batch_size_bucket/)
    expect(exprs(/predictions by class/i)).toMatch(/by \(class\)/)
    expect(exprs(/per-feature drift/i)).toMatch(/model_feature_drift_score/)
    expect(exprs(/drift share/i)).toMatch(/model_drift_share/)
    expect(exprs(/model version/i)).toMatch(/model_info/)
    const annotation = dashboard.annotations.list.find((a: { expr?: string }) => a.expr)
    expect(annotation).toMatchObject({ datasource: DATASOURCE, enable: true })
    expect(annotation.expr).toMatch(/model_info.*unless.*model_info.*offset/)
  })
})

describe('Helm chart observability templates', () => {
  test('off by default: no ServiceMonitor, PrometheusRule or dashboard ConfigMap; scrape annotations on', async () => {
    const manifests = await render('prod')
    expect(manifests.map((m) => m.kind)).not.toContain('ServiceMonitor')
    expect(manifests.map((m) => m.kind)).not.toContain('PrometheusRule')
    expect(ofKind(manifests, 'ConfigMap').map((m) => m.metadata.name)).toEqual(['prod-model-server'])
    const pod = ofKind(manifests, 'Deployment')[0]!.spec!.template
    expect(pod.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8080',
      'prometheus.io/path': '/metrics',
    })
  })

  test('metrics.* enabled: ServiceMonitor on the http port, dashboard ConfigMap with the sidecar label', async () => {
    const manifests = await render(
      'prod',
      '--set',
      'metrics.serviceMonitor.enabled=true,metrics.serviceMonitor.interval=15s',
      '--set',
      'metrics.serviceMonitor.labels.release=kube-prometheus-stack',
      '--set',
      'metrics.prometheusRule.enabled=true,metrics.dashboard.enabled=true',
    )
    const [monitor] = ofKind(manifests, 'ServiceMonitor')
    expect(monitor!.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' })
    expect(monitor!.spec).toEqual({
      selector: {
        matchLabels: { 'app.kubernetes.io/name': 'model-server', 'app.kubernetes.io/instance': 'prod' },
      },
      namespaceSelector: { matchNames: ['ml'] },
      endpoints: [{ port: 'http', path: '/metrics', interval: '15s' }],
    })
    const service = ofKind(manifests, 'Service')[0]!
    expect(service.spec!.ports.map((p: { name: string }) => p.name)).toContain('http')
    const dashboards = ofKind(manifests, 'ConfigMap').filter((m) => m.metadata.name.endsWith('-dashboard'))
    expect(dashboards).toHaveLength(1)
    expect(dashboards[0]!.metadata.labels).toMatchObject({ grafana_dashboard: '1' })
    expect(JSON.parse(dashboards[0]!.data!['model-server.json']!)).toEqual(dashboard)
  })

  test('PrometheusRule with default values behaves like observability/rules.yml under promtool', async () => {
    // Release "model-server" in namespace ml: the restart alert's pod selector matches the unit tests' pod.
    const manifests = await render(
      'model-server',
      '--set',
      'metrics.prometheusRule.enabled=true,metrics.prometheusRule.noTraffic=true',
    )
    const [rule] = ofKind(manifests, 'PrometheusRule')
    const groups = rule!.spec!.groups
    expect(groups.map((g) => g.name)).toEqual(rules.groups.map((g) => g.name))
    const restart = groups.flatMap((g) => g.rules).find((r) => r.alert === 'ModelServerPodRestarting')!
    expect(restart.expr).toContain('namespace="ml", pod=~"model-server-.*", container="model-server"')
    const text = stringify({ groups })
    const check = await run(PROMTOOL, ['check', 'rules', await writeTemp('rendered-rules.yml', text)])
    expect(check.out).toContain(`SUCCESS: ${ALERTS.length} rules found`)
    const { code, out } = await promtoolTest(text, join(work, 'rendered'))
    expect(out).toContain('SUCCESS')
    expect(code).toBe(0)
  })

  test('PrometheusRule takes thresholds, for and labels from values; no-traffic is optional', async () => {
    // A values file, as users write them (Helm 4's --set would pass 0.25 as a string, which the schema rejects).
    const values = await writeTemp(
      'rule-values.yaml',
      stringify({
        metrics: {
          prometheusRule: {
            enabled: true,
            labels: { release: 'kps' },
            latencyP95Seconds: 0.25,
            errorRatio: 0.02,
            driftShare: 0.4,
            featureDriftScore: 0.3,
            for: '3m',
          },
        },
      }),
    )
    const manifests = await render('prod', '-f', values)
    const [rule] = ofKind(manifests, 'PrometheusRule')
    expect(rule!.metadata.labels).toMatchObject({ release: 'kps', 'app.kubernetes.io/instance': 'prod' })
    expect(rule!.spec!.groups.map((g) => g.name)).toEqual(['model-server'])
    const byName = Object.fromEntries(rule!.spec!.groups.flatMap((g) => g.rules).map((r) => [r.alert, r]))
    expect(byName.ModelServerInferenceLatencyHigh!.expr).toMatch(/\) > 0\.25$/)
    expect(byName.ModelServerRequestLatencyHigh!.expr).toMatch(/\) > 0\.25$/)
    expect(byName.ModelServerErrorRatioHigh!.expr).toMatch(/\) > 0\.02$/)
    expect(byName.ModelServerDatasetDrift!.expr).toMatch(/\(model_drift_share\) >= 0\.4$/)
    expect(byName.ModelServerFeatureDriftSpike!.expr).toContain('model_feature_drift_score > 0.3)')
    expect(byName.ModelServerPodRestarting!.expr).toContain('pod=~"prod-model-server-.*"')
    for (const r of Object.values(byName)) expect(r.for).toBe('3m')
    const check = await run(PROMTOOL, [
      'check',
      'rules',
      await writeTemp('custom-rules.yml', stringify({ groups: rule!.spec!.groups })),
    ])
    expect(check.out).toContain(`SUCCESS: ${ALERTS.length - 1} rules found`)
  })
})

describe('Helm 3 renders the same observability objects', () => {
  test('ServiceMonitor, PrometheusRule and dashboard ConfigMap are identical under Helm 3 and Helm 4', async () => {
    const args = [
      'template',
      'prod',
      chart,
      '--namespace',
      'ml',
      '-f',
      join(chart, 'ci/minimal-values.yaml'),
      '--set',
      'metrics.serviceMonitor.enabled=true,metrics.prometheusRule.enabled=true,metrics.dashboard.enabled=true',
    ]
    const ours = (out: string): unknown[] =>
      parseAllDocuments(out)
        .map((d) => d.toJS() as Manifest | null)
        .filter((m): m is Manifest => m !== null)
        .filter(
          (m) =>
            ['ServiceMonitor', 'PrometheusRule'].includes(m.kind) || m.metadata.name.endsWith('-dashboard'),
        )
    const helm3 = join(repo, '.tools/helm3/helm')
    if (!existsSync(helm3)) throw new Error(`${helm3} is missing: run 'bash scripts/tools/helm.sh'`)
    const [four, three] = await Promise.all([run(HELM, args), run(helm3, args)])
    expect(four.code).toBe(0)
    expect(three.code).toBe(0)
    expect(ours(four.out)).toHaveLength(3)
    expect(ours(three.out)).toEqual(ours(four.out))
  })
})

async function writeTemp(name: string, text: string): Promise<string> {
  const path = join(work, name)
  await writeFile(path, text)
  return path
}
