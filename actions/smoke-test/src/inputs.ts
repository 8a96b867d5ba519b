import {
  ConfigurationError,
  getBooleanInput,
  getListInput,
  getNumberInput,
  getOptionalInput,
  getPathInput,
  getSecretInput,
} from '@mlops/kit'
import { kubeconfigSourceOf, type KubeconfigSource } from '@mlops/kube'
import { DEFAULT_METRICS_SERIES } from './smoke.js'

export interface Inputs {
  target:
    { kind: 'url'; url: string } | { kind: 'service'; service: string; port: number | string | undefined }
  namespace: string
  kubeconfig: KubeconfigSource
  expectedVersion: string | undefined
  modelName: string | undefined
  goldenFile: string | undefined
  payload: unknown
  bundle: string | undefined
  predictPath: string
  invalidPayload: unknown
  readyTimeoutMs: number
  requestTimeoutMs: number
  latencyRequests: number
  latencyP95Ms: number
  metricsSeries: string[]
  rollback: { release: string; helm: string } | undefined
}

function json(name: string, text: string | undefined): unknown {
  if (text === undefined) return undefined
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new ConfigurationError(`Input '${name}' is not valid JSON: ${(error as Error).message}`)
  }
}

// A malformed kubeconfig throws KubeConfigurationError, which run() reports as a user mistake.
function kubeconfigSource(): KubeconfigSource {
  return kubeconfigSourceOf(getSecretInput('kubeconfig'), "input 'kubeconfig'")
}

export function getInputs(): Inputs {
  const url = getOptionalInput('url')
  const service = getOptionalInput('service')
  if ((url === undefined) === (service === undefined)) {
    throw new ConfigurationError(
      "Give exactly one of 'url' (a reachable base URL) or 'service' (a Kubernetes Service)",
    )
  }
  if (url !== undefined && !/^https?:\/\/[^/\s]+/.test(url)) {
    throw new ConfigurationError(
      `Input 'url' must be an http(s) URL such as http://127.0.0.1:8080, got '${url}'`,
    )
  }
  const rawPort = getOptionalInput('service-port')
  const predictPath = getOptionalInput('predict-path') ?? '/predict'
  if (!predictPath.startsWith('/'))
    throw new ConfigurationError(`Input 'predict-path' must start with '/', got '${predictPath}'`)
  const release = getOptionalInput('release')
  const rollbackOnFailure = getBooleanInput('rollback-on-failure', true)
  const needsCluster = service !== undefined || (release !== undefined && rollbackOnFailure)
  const series = getListInput('metrics-series')
  return {
    target:
      url !== undefined
        ? { kind: 'url', url: url.replace(/\/+$/, '') }
        : {
            kind: 'service',
            service: service!,
            port: rawPort === undefined ? undefined : /^\d+$/.test(rawPort) ? Number(rawPort) : rawPort,
          },
    namespace: getOptionalInput('namespace') ?? 'default',
    kubeconfig: needsCluster ? kubeconfigSource() : { kind: 'default' },
    expectedVersion: getOptionalInput('expected-version'),
    modelName: getOptionalInput('model-name'),
    goldenFile: getPathInput('golden-file', { mustExist: 'file' }),
    payload: json('payload', getOptionalInput('payload')),
    bundle: getPathInput('bundle', { mustExist: 'directory' }),
    predictPath,
    invalidPayload: json('invalid-payload', getOptionalInput('invalid-payload') ?? '"this is not a row"'),
    readyTimeoutMs: getNumberInput('ready-timeout', { min: 1, max: 3600, default: 120 }) * 1000,
    requestTimeoutMs: getNumberInput('request-timeout', { min: 0.1, max: 600, default: 10 }) * 1000,
    latencyRequests: getNumberInput('latency-requests', { min: 0, max: 10000, integer: true, default: 20 }),
    latencyP95Ms: getNumberInput('latency-p95-ms', { min: 1, default: 500 }),
    metricsSeries: series.length > 0 ? series : DEFAULT_METRICS_SERIES,
    rollback:
      release !== undefined && rollbackOnFailure
        ? { release, helm: getOptionalInput('helm') ?? 'helm' }
        : undefined,
  }
}
