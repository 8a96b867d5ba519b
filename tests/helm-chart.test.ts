import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { parseAllDocuments } from 'yaml'
import { checkManifestFields } from '../packages/kube/src/index.js'

/**
 * helm/model-server rendered and linted by the real Helm 4 and Helm 3 binaries (scripts/tools/helm.sh), and every
 * rendered object validated offline against the Kubernetes OpenAPI schemas. No kubeconform binary can be had
 * here, so the validators are kubernetes-models' (ajv code generated from the Kubernetes 1.34 OpenAPI
 * definitions; @kubernetes-models/prometheus-operator for the ServiceMonitor and PrometheusRule CRDs). They check
 * required fields, types, enums, formats and int-or-string; like the OpenAPI definitions themselves they do not
 * reject unknown fields, so every built-in object is also walked against @kubernetes/client-node's model types
 * (generated from the same definitions) by checkManifestFields, which reports unknown fields (what kubeconform's
 * -strict adds). CRD objects get the operator's CRD validators only.
 */
const exec = promisify(execFile)
const repo = resolve(import.meta.dirname, '..')
const chart = join(repo, 'helm/model-server')
const minimal = join(chart, 'ci/minimal-values.yaml')
const full = join(chart, 'ci/full-values.yaml')
const models = join(repo, '.tools/k8s-models/node_modules')
const HELMS = { 'Helm 4': join(repo, '.tools/helm4/helm'), 'Helm 3': join(repo, '.tools/helm3/helm') }

interface Manifest {
  apiVersion: string
  kind: string
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }
  spec?: Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
  data?: Record<string, string>
}

let work: string
beforeAll(async () => {
  for (const path of [...Object.values(HELMS), join(models, 'kubernetes-models/package.json')]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run 'bash scripts/tools/helm.sh' first`)
  }
  work = await mkdtemp(join(tmpdir(), 'helm-chart-'))
})
afterAll(() => rm(work, { recursive: true, force: true }))

async function helm(binary: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await exec(binary, args, { cwd: repo, env: { ...process.env, HOME: work } })
    return { code: 0, out: stdout + stderr }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }
  }
}

async function render(binary: string, ...valueArgs: string[]): Promise<Manifest[]> {
  const { code, out } = await helm(binary, ['template', 'prod', chart, '--namespace', 'ml', ...valueArgs])
  if (code !== 0) throw new Error(`helm template failed:\n${out}`)
  return parseAllDocuments(out)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null)
}

async function valuesFile(name: string, text: string): Promise<string> {
  const path = join(work, name)
  await writeFile(path, text)
  return path
}

const CRD_MODELS: Record<string, string> = {
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
}

/** Validation errors of one object against its kind's schema; an unknown kind is itself an error. */
async function schemaErrors(manifest: Manifest): Promise<string[]> {
  const { apiVersion, kind } = manifest
  // kubernetes-models lays out kinds as <group>/<version>/<Kind>.js, the core group as v1/<Kind>.js.
  const dir = CRD_MODELS[apiVersion] ?? `kubernetes-models/${apiVersion}`
  const file = join(models, dir, `${kind}.js`)
  if (!existsSync(file)) return [`no schema for ${apiVersion} ${kind} (${file})`]
  const module = (await import(file)) as Record<string, new (data: unknown) => { validate(): void }>
  const Model = module[kind]!
  try {
    new Model(manifest).validate()
    return []
  } catch (error) {
    const errors = (error as { errors?: Array<{ instancePath: string; message: string }> }).errors
    return (
      errors?.map((e) => `${kind}/${manifest.metadata.name}${e.instancePath}: ${e.message}`) ?? [
        String(error),
      ]
    )
  }
}

function find(manifests: Manifest[], kind: string): Manifest {
  const found = manifests.find((m) => m.kind === kind)
  if (!found) throw new Error(`no ${kind} in ${manifests.map((m) => m.kind).join(', ')}`)
  return found
}

describe('the schema validator can fail', () => {
  test('a Deployment with a string port and no selector is rejected', async () => {
    const errors = await schemaErrors({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'bad' },
      spec: { template: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 'http' }] }] } } },
    })
    expect(errors.join('\n')).toMatch(/spec: must have required property '?selector/)
    expect(errors.join('\n')).toMatch(/containerPort: must be integer/)
  })
  test('a ServiceMonitor with endpoints that are not a list is rejected by the CRD schema', async () => {
    const errors = await schemaErrors({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'bad' },
      spec: { selector: {}, endpoints: 'http' },
    })
    expect(errors.join('\n')).toMatch(/ServiceMonitor\/bad\/spec\/endpoints: must be array/)
  })
  test('an unknown kind is an error, not a silent pass', async () => {
    expect(
      await schemaErrors({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }),
    ).toEqual([expect.stringMatching(/^no schema for example.com\/v1 Widget/)])
  })
})

describe.each(Object.entries(HELMS))('%s', (_, binary) => {
  test('reports the expected major version', async () => {
    const { out } = await helm(binary, ['version', '--short'])
    expect(out.trim()).toMatch(binary.includes('helm4') ? /^v4\./ : /^v3\./)
  })

  test.each([
    ['default values (only the required digest set)', minimal],
    ['full values', full],
  ])('helm lint --strict passes with %s', async (_, values) => {
    const { code, out } = await helm(binary, ['lint', chart, '--strict', '-f', values])
    expect(out).toContain('1 chart(s) linted, 0 chart(s) failed')
    expect(code).toBe(0)
  })

  test.each([
    ['default', minimal, ['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Service', 'ServiceAccount']],
    [
      'full',
      full,
      [
        'ConfigMap',
        'Deployment',
        'HorizontalPodAutoscaler',
        'Ingress',
        'PodDisruptionBudget',
        'Service',
        'ServiceAccount',
        // The observability templates (ServiceMonitor, PrometheusRule) validate against the operator's CRD models.
        'ServiceMonitor',
        'PrometheusRule',
      ],
    ],
  ])(
    'every object rendered with %s values validates against the Kubernetes schemas',
    async (_, values, kinds) => {
      const manifests = await render(binary, '-f', values)
      for (const kind of kinds) expect(manifests.map((m) => m.kind)).toContain(kind)
      const errors = (await Promise.all(manifests.map(schemaErrors))).flat()
      expect(errors).toEqual([])
      const fields = manifests.map((m) => checkManifestFields(m as unknown as Record<string, unknown>))
      expect(fields.flatMap((f) => f.problems.map((p) => `${f.object}: ${p}`))).toEqual([])
      // Only the CRD kinds go unchecked by the field walk.
      expect(
        fields
          .filter((f) => !f.checked)
          .map((f) => f.object.split('/')[0])
          .sort(),
      ).toEqual(kinds.filter((k) => k === 'ServiceMonitor' || k === 'PrometheusRule').sort())
      for (const m of manifests) expect(m.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/)
    },
  )

  test('a values file with a wrong type is rejected by values.schema.json, naming the field', async () => {
    // Helm 4 names the field as a JSON pointer (/service/port), Helm 3 dotted (service.port).
    const cases: Array<[string, RegExp]> = [
      ['replicaCount: two\n', /replicaCount/],
      ['service:\n  port: "80"\n', /service[./]port/],
      ['image:\n  digest: latest\n', /image[./]digest.*(does not match pattern|Does not match pattern)/],
      ['autoscaling:\n  enabled: "yes"\n', /autoscaling[./]enabled/],
      ['server:\n  predictionLog:\n    sample: 2\n', /server[./]predictionLog[./]sample/],
      [
        'metrics:\n  prometheusRule:\n    latencyP95Seconds: fast\n',
        /metrics[./]prometheusRule[./]latencyP95Seconds/,
      ],
      ['replicas: 3\n', /replicas/],
    ]
    for (const [text, message] of cases) {
      const bad = await valuesFile('bad.yaml', text)
      const { code, out } = await helm(binary, ['template', 'prod', chart, '-f', minimal, '-f', bad])
      expect({ text, code }).toEqual({ text, code: 1 })
      expect(out).toMatch(message)
    }
    // Without a digest there is nothing pinned to deploy.
    const { code, out } = await helm(binary, ['lint', chart])
    expect(code).not.toBe(0)
    expect(out).toMatch(/image[./]digest/)
  })
})

describe('what the chart renders (Helm 4)', () => {
  const binary = HELMS['Helm 4']
  test('Deployment: pinned by digest, non-root, read-only root, probes on the real endpoints, no unavailability', async () => {
    const manifests = await render(binary, '-f', full)
    const deploy = find(manifests, 'Deployment')
    const pod = deploy.spec!.template
    const container = pod.spec.containers[0]
    expect(container.image).toBe(
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/readmission@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    )
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 })
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      runAsUser: 10001,
    })
    expect(container.livenessProbe.httpGet).toEqual({ path: '/v2/health/live', port: 'http' })
    expect(container.readinessProbe.httpGet).toEqual({ path: '/v2/health/ready', port: 'http' })
    expect(container.startupProbe.httpGet.path).toBe('/v2/health/ready')
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }])
    expect(container.resources).toEqual({
      requests: { cpu: '250m', memory: '256Mi' },
      limits: { cpu: '1', memory: '512Mi' },
    })
    expect(deploy.spec!.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    })
    // /tmp and the prediction log are the only writable places.
    expect(container.volumeMounts.map((v: { mountPath: string }) => v.mountPath)).toEqual([
      '/tmp',
      '/var/log/predictions',
    ])
    expect(pod.spec.volumes.every((v: { emptyDir?: unknown }) => v.emptyDir !== undefined)).toBe(true)
    // HPA owns the replica count when enabled.
    expect(deploy.spec!.replicas).toBeUndefined()
    expect(pod.metadata.labels).toMatchObject({
      'mlops-actions/model-name': 'readmission',
      'mlops-actions/model-version': '3',
    })
    expect(pod.metadata.annotations).toMatchObject({
      'mlops-actions/model-version': '3',
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8080',
      'prometheus.io/path': '/metrics',
    })
    // The selector must not contain the model version: it is immutable across upgrades.
    expect(deploy.spec!.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'model-server',
      'app.kubernetes.io/instance': 'prod',
    })
  })

  test('ConfigMap carries the server env contract, and a changed setting changes the pod checksum', async () => {
    const before = await render(binary, '-f', full)
    const data = find(before, 'ConfigMap').data!
    expect(data).toMatchObject({
      PORT: '8080',
      MODEL_URI: 's3://models/readmission/3',
      MODEL_NAME: 'readmission',
      MODEL_VERSION: '3',
      MLFLOW_TRACKING_URI: 'http://mlflow.mlops.svc:5000',
      BATCH_MAX_SIZE: '64',
      BATCH_MAX_WAIT_MS: '5',
      DRIFT_WINDOW: '5000',
      PREDICTION_LOG_DIR: '/var/log/predictions',
      PREDICTION_LOG_SAMPLE: '0.25',
      LOG_LEVEL: 'debug',
    })
    const deploy = find(before, 'Deployment')
    expect(deploy.spec!.template.spec.containers[0].envFrom).toEqual([
      { configMapRef: { name: 'prod-model-server' } },
    ])
    const after = await render(binary, '-f', full, '--set', 'server.batchMaxSize=8')
    const checksum = (ms: Manifest[]): string =>
      find(ms, 'Deployment').spec!.template.metadata.annotations['checksum/config']
    expect(checksum(before)).toMatch(/^[0-9a-f]{64}$/)
    expect(checksum(after)).not.toBe(checksum(before))
  })

  test('Service, Ingress (traefik), HPA (autoscaling/v2), PDB', async () => {
    const manifests = await render(binary, '-f', full)
    expect(find(manifests, 'Service').spec).toMatchObject({
      type: 'ClusterIP',
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    })
    const ingress = find(manifests, 'Ingress')
    expect(ingress.spec!.ingressClassName).toBe('traefik')
    expect(ingress.spec!.rules[0].host).toBe('readmission.example.com')
    expect(ingress.spec!.tls[0].secretName).toBe('readmission-tls')
    const hpa = find(manifests, 'HorizontalPodAutoscaler')
    expect(hpa.apiVersion).toBe('autoscaling/v2')
    expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 6 })
    expect(hpa.spec!.metrics[0].resource.target.averageUtilization).toBe(60)
    expect(find(manifests, 'PodDisruptionBudget').spec!.minAvailable).toBe('50%')

    const plain = await render(binary, '-f', minimal)
    expect(plain.map((m) => m.kind)).not.toContain('Ingress')
    expect(plain.map((m) => m.kind)).not.toContain('HorizontalPodAutoscaler')
    expect(find(plain, 'Deployment').spec!.replicas).toBe(2)
    const noScrape = await render(binary, '-f', minimal, '--set', 'metrics.scrapeAnnotations=false')
    expect(Object.keys(find(noScrape, 'Deployment').spec!.template.metadata.annotations)).not.toContain(
      'prometheus.io/scrape',
    )
  })

  test('NOTES.txt tells how to reach the release', async () => {
    const { code, out } = await helm(binary, [
      'install',
      'prod',
      chart,
      '--dry-run=client',
      '-f',
      minimal,
      '--namespace',
      'ml',
    ])
    expect(code).toBe(0)
    expect(out).toContain('serves model model version 0')
    expect(out).toContain('kubectl -n ml port-forward svc/prod-model-server 8080:80')
  })
})
