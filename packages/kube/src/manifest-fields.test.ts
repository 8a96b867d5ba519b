import { checkManifestFields, modelTypeName } from './manifest-fields.js'

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          {
            name: 'web',
            image: 'nginx@sha256:' + 'a'.repeat(64),
            ports: [{ name: 'http', containerPort: 8080 }],
            readinessProbe: { httpGet: { path: '/ready', port: 'http' } },
            resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: 1 } },
          },
        ],
      },
    },
  },
}

test('client-node type names follow <Version><Kind>', () => {
  expect(modelTypeName('apps/v1', 'Deployment')).toBe('V1Deployment')
  expect(modelTypeName('autoscaling/v2', 'HorizontalPodAutoscaler')).toBe('V2HorizontalPodAutoscaler')
  expect(modelTypeName('v1', 'ConfigMap')).toBe('V1ConfigMap')
})

test('a valid Deployment has no problems', () => {
  expect(checkManifestFields(deployment)).toEqual({ object: 'Deployment/web', checked: true, problems: [] })
})

test('typos, misplaced lists and wrong primitive types are found with their path', () => {
  const broken = structuredClone(deployment) as typeof deployment & Record<string, unknown>
  const container = broken.spec.template.spec.containers[0] as Record<string, unknown>
  container.readinesProbe = container.readinessProbe
  container.ports = { name: 'http', containerPort: 8080 }
  ;(broken.spec as Record<string, unknown>).replicas = 'two'
  ;(broken.spec.template.spec as Record<string, unknown>).automountServiceAccountToken = 'no'
  expect(checkManifestFields(broken).problems).toEqual([
    'spec.replicas: expected a number, got string "two"',
    'spec.template.spec.containers[0].ports: expected a list, got an object',
    'spec.template.spec.containers[0].readinesProbe: unknown field (not in V1Container)',
    'spec.template.spec.automountServiceAccountToken: expected true or false, got string "no"',
  ])
})

test('kinds client-node does not model are reported as not checked', () => {
  expect(
    checkManifestFields({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'm' },
    }),
  ).toEqual({
    object: 'ServiceMonitor/m',
    checked: false,
    problems: [],
  })
  // A CRD reusing a built-in kind name is not mistaken for the built-in.
  expect(
    checkManifestFields({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 's' } })
      .checked,
  ).toBe(false)
})
