import {
  ConfigurationError,
  getBooleanInput,
  getListInput,
  getNumberInput,
  getOptionalInput,
  getRequiredInput,
  getSecretInput,
} from '@mlops/kit'
import { kubeconfigSourceOf, type KubeconfigSource } from '@mlops/kube'

export interface Inputs {
  kubeconfig: KubeconfigSource
  release: string
  namespace: string
  chart: string
  chartVersion: string | undefined
  valuesFiles: string[]
  imageRepository: string | undefined
  imageDigest: string
  modelName: string | undefined
  modelVersion: string | undefined
  timeoutSeconds: number
  wait: boolean
  rollbackOnFailure: boolean
  createNamespace: boolean
  logLines: number
  helm: string
  dryRun: boolean
  /** Where a dry run writes the rendered manifest; default the runner's temp folder. */
  manifestPath: string | undefined
  github: { token: string; environment: string } | undefined
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

// A malformed kubeconfig throws KubeConfigurationError, which run() reports as a user mistake.
function kubeconfigSource(): KubeconfigSource {
  return kubeconfigSourceOf(getSecretInput('kubeconfig'), "input 'kubeconfig'")
}

const DIGEST = /^sha256:[a-f0-9]{64}$/

/** The image is pinned by digest, given whole (repo@sha256:...) or as repository + digest. */
function imageInputs(): { imageRepository: string | undefined; imageDigest: string } {
  const image = getOptionalInput('image')
  let imageRepository = getOptionalInput('image-repository')
  let imageDigest = getOptionalInput('image-digest')
  if (image !== undefined) {
    const at = image.lastIndexOf('@')
    if (at <= 0 || !DIGEST.test(image.slice(at + 1))) {
      throw new ConfigurationError(
        `Input 'image' must be registry/repository@sha256:<64 hex> (pinned by digest), got '${image}'`,
      )
    }
    if (imageDigest !== undefined && imageDigest !== image.slice(at + 1)) {
      throw new ConfigurationError(
        "Inputs 'image' and 'image-digest' name different digests: give one of them",
      )
    }
    imageRepository ??= image.slice(0, at)
    imageDigest = image.slice(at + 1)
  }
  if (imageDigest === undefined) {
    throw new ConfigurationError("Input 'image-digest' (or 'image' as repository@sha256:...) is required")
  }
  if (!DIGEST.test(imageDigest)) {
    throw new ConfigurationError(
      `Input 'image-digest' must be sha256:<64 lowercase hex>, got '${imageDigest}' (deploys are pinned by digest, not tag)`,
    )
  }
  if (imageRepository !== undefined && /[@\s]|:[^/]*$/.test(imageRepository)) {
    throw new ConfigurationError(
      `Input 'image-repository' must be a repository without tag or digest, got '${imageRepository}'`,
    )
  }
  return { imageRepository, imageDigest }
}

/** Every input is read and checked before helm runs, so a typo fails in the first second. */
export function getInputs(): Inputs {
  const release = getRequiredInput('release')
  if (release.length > 53 || !DNS_LABEL.test(release)) {
    throw new ConfigurationError(
      `Input 'release' must be a lowercase DNS label of at most 53 characters (a-z, 0-9, '-'), got '${release}'`,
    )
  }
  const namespace = getOptionalInput('namespace') ?? 'default'
  if (namespace.length > 63 || !DNS_LABEL.test(namespace)) {
    throw new ConfigurationError(`Input 'namespace' must be a lowercase DNS label, got '${namespace}'`)
  }
  const { imageRepository, imageDigest } = imageInputs()
  const token = getSecretInput('github-token')
  const environment = getOptionalInput('environment')
  if (environment !== undefined && token === undefined) {
    throw new ConfigurationError("Input 'environment' records a GitHub deployment and needs 'github-token'")
  }
  const dryRun = getBooleanInput('dry-run', false)
  return {
    kubeconfig: dryRun ? { kind: 'default' } : kubeconfigSource(),
    release,
    namespace,
    manifestPath: getOptionalInput('manifest-path'),
    chart: getOptionalInput('chart') ?? 'helm/model-server',
    chartVersion: getOptionalInput('chart-version'),
    valuesFiles: getListInput('values-files'),
    imageRepository,
    imageDigest,
    modelName: getOptionalInput('model-name'),
    modelVersion: getOptionalInput('model-version'),
    timeoutSeconds: getNumberInput('timeout', { min: 10, max: 7200, integer: true, default: 300 }),
    wait: getBooleanInput('wait', true),
    rollbackOnFailure: getBooleanInput('rollback-on-failure', true),
    createNamespace: getBooleanInput('create-namespace', false),
    logLines: getNumberInput('log-lines', { min: 1, max: 1000, integer: true, default: 50 }),
    helm: getOptionalInput('helm') ?? 'helm',
    dryRun,
    github: token !== undefined && environment !== undefined ? { token, environment } : undefined,
  }
}
