export { HelmError, KubeConfigurationError } from './errors.js'
export {
  checkKubeconfigText,
  kubeconfigSourceOf,
  kubeconfigSecrets,
  loadKubeConfig,
  withKubeconfig,
  type KubeconfigSource,
  type TempKubeconfig,
} from './kubeconfig.js'
export {
  createHelmRunner,
  helmMajor,
  parseHistory,
  parseStatus,
  rollbackArgs,
  runHelm,
  upgradeArgs,
  type HelmCommandOptions,
  type HelmMajor,
  type HelmReleaseStatus,
  type HelmRevision,
  type HelmRunner,
  type RollbackOptions,
  type UpgradeOptions,
} from './helm.js'
export {
  MODEL_VERSION_ANNOTATION,
  rolloutStatus,
  servedModelVersions,
  watchRollout,
  type DeploymentState,
  type RolloutPhase,
  type RolloutResult,
  type RolloutStatus,
  type WatchRolloutOptions,
} from './rollout.js'
export {
  collectDiagnostics,
  renderDiagnostics,
  type CollectDiagnosticsOptions,
  type ContainerDiagnosis,
  type Diagnostics,
  type EventDiagnosis,
  type PodDiagnosis,
} from './diagnostics.js'
export {
  deployRelease,
  lastDeployed,
  parseManifest,
  type DeployOptions,
  type DeployResult,
  type ManifestObject,
} from './deploy.js'
export { portForwardService, type PortForwardHandle, type PortForwardOptions } from './port-forward.js'
export {
  checkManifestFields,
  checkRenderedManifest,
  modelTypeName,
  type FieldCheck,
} from './manifest-fields.js'
