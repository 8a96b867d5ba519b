import type { KubeConfig } from '@kubernetes/client-node'
import { parseAllDocuments } from 'yaml'
import { collectDiagnostics, renderDiagnostics, type Diagnostics } from './diagnostics.js'
import { HelmError } from './errors.js'
import type { HelmRevision, HelmRunner, UpgradeOptions } from './helm.js'
import { watchRollout, type RolloutResult } from './rollout.js'

export interface ManifestObject {
  apiVersion: string
  kind: string
  name: string
  namespace?: string
  /** Service ports (name, port), for port-forward and the service URL. */
  ports?: Array<{ name?: string; port: number }>
}

/** The objects of a rendered release manifest (`helm get manifest`). */
export function parseManifest(text: string): ManifestObject[] {
  const objects: ManifestObject[] = []
  for (const doc of parseAllDocuments(text)) {
    const o = doc.toJS() as {
      apiVersion?: string
      kind?: string
      metadata?: { name?: string; namespace?: string }
      spec?: { ports?: Array<{ name?: string; port: number }> }
    } | null
    if (!o?.kind || !o.metadata?.name) continue
    objects.push({
      apiVersion: o.apiVersion ?? '',
      kind: o.kind,
      name: o.metadata.name,
      ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
      ...(o.kind === 'Service'
        ? { ports: (o.spec?.ports ?? []).map((p) => ({ name: p.name, port: p.port })) }
        : {}),
    })
  }
  return objects
}

export interface DeployOptions extends Omit<UpgradeOptions, 'wait' | 'atomic'> {
  helm: HelmRunner
  kubeConfig: KubeConfig
  /** Wait for every Deployment of the release to roll out (and check the served model version). */
  wait: boolean
  /** Every ready pod must serve this model version before the deploy counts as done. */
  expectedModelVersion?: string
  /** Roll back to the previous deployed revision when the rollout fails. */
  rollbackOnFailure: boolean
  logLines?: number
  onProgress?: (message: string) => void
}

export interface DeployResult {
  status: 'deployed' | 'failed' | 'rolled-back'
  release: string
  namespace: string
  revision: number
  /** The last deployed revision before this one (undefined on a first install). */
  previousRevision: number | undefined
  /** Why it failed, one line per reason. */
  failures: string[]
  rollouts: RolloutResult[]
  diagnostics: Diagnostics[]
  /** Markdown of the diagnostics, for the job summary. */
  diagnosticsMarkdown: string
  rollback?: { toRevision: number; ok: boolean; message: string; rollouts: RolloutResult[] }
  objects: ManifestObject[]
}

export function lastDeployed(history: HelmRevision[]): HelmRevision | undefined {
  return [...history].reverse().find((r) => r.status === 'deployed' || r.status === 'superseded')
}

/**
 * helm upgrade --install, then our own watch of every Deployment in the release. Helm is not asked to wait or
 * roll back by itself: a failed rollout's pods must still exist when diagnostics are collected, and only then
 * is the release rolled back to the revision that was serving before.
 */
export async function deployRelease(o: DeployOptions): Promise<DeployResult> {
  const say = o.onProgress ?? (() => undefined)
  const before = await o.helm.history(o.release, o.namespace)
  const previous = [...before].reverse().find((r) => r.status === 'deployed')
  const result: DeployResult = {
    status: 'deployed',
    release: o.release,
    namespace: o.namespace,
    revision: 0,
    previousRevision: previous?.revision,
    failures: [],
    rollouts: [],
    diagnostics: [],
    diagnosticsMarkdown: '',
    objects: [],
  }
  say(
    previous
      ? `upgrading ${o.release} from revision ${previous.revision} (${previous.chart})`
      : `installing ${o.release} into ${o.namespace}`,
  )
  const upgrade: UpgradeOptions = {
    release: o.release,
    namespace: o.namespace,
    chart: o.chart,
    timeoutSeconds: o.timeoutSeconds,
    wait: false,
    atomic: false,
    ...(o.chartVersion ? { chartVersion: o.chartVersion } : {}),
    ...(o.valuesFiles ? { valuesFiles: o.valuesFiles } : {}),
    ...(o.setString ? { setString: o.setString } : {}),
    ...(o.createNamespace ? { createNamespace: o.createNamespace } : {}),
    ...(o.description ? { description: o.description } : {}),
    ...(o.labels ? { labels: o.labels } : {}),
  }
  try {
    const status = await o.helm.upgradeInstall(upgrade)
    result.revision = status.revision
    say(`helm: revision ${status.revision} ${status.status}`)
  } catch (error) {
    if (!(error instanceof HelmError)) throw error
    result.failures.push(error.message)
    const after = await o.helm.history(o.release, o.namespace).catch((): HelmRevision[] => [])
    result.revision = after.at(-1)?.revision ?? 0
  }

  if (result.failures.length === 0) {
    result.objects = parseManifest(await o.helm.manifest(o.release, o.namespace))
    if (o.wait) {
      const deployments = result.objects.filter((x) => x.kind === 'Deployment')
      const deadline = Date.now() + o.timeoutSeconds * 1000
      result.rollouts = await Promise.all(
        deployments.map((d) =>
          watchRollout({
            kubeConfig: o.kubeConfig,
            namespace: d.namespace ?? o.namespace,
            deployment: d.name,
            timeoutMs: Math.max(1000, deadline - Date.now()),
            ...(o.expectedModelVersion !== undefined ? { expectedModelVersion: o.expectedModelVersion } : {}),
            onProgress: (m) => say(`${d.name}: ${m}`),
          }),
        ),
      )
      for (const r of result.rollouts) if (r.phase !== 'complete') result.failures.push(r.message)
    }
  }
  if (result.failures.length === 0) return result

  result.status = 'failed'
  const failed = result.rollouts.filter((r) => r.phase !== 'complete').map((r) => r.deployment)
  const names =
    failed.length > 0 ? failed : result.objects.filter((x) => x.kind === 'Deployment').map((x) => x.name)
  result.diagnostics = await Promise.all(
    names.map((deployment) =>
      collectDiagnostics({
        kubeConfig: o.kubeConfig,
        namespace: o.namespace,
        deployment,
        logLines: o.logLines ?? 50,
      }),
    ),
  )
  result.diagnosticsMarkdown = result.diagnostics.map(renderDiagnostics).join('\n')

  if (o.rollbackOnFailure && previous) {
    say(`rolling ${o.release} back to revision ${previous.revision}`)
    try {
      await o.helm.rollback({
        release: o.release,
        namespace: o.namespace,
        revision: previous.revision,
        timeoutSeconds: o.timeoutSeconds,
      })
      const rollouts = await Promise.all(
        names.map((deployment) =>
          watchRollout({
            kubeConfig: o.kubeConfig,
            namespace: o.namespace,
            deployment,
            timeoutMs: o.timeoutSeconds * 1000,
            onProgress: (m) => say(`${deployment} (rollback): ${m}`),
          }),
        ),
      )
      const ok = rollouts.every((r) => r.phase === 'complete')
      result.rollback = {
        toRevision: previous.revision,
        ok,
        message: ok
          ? `rolled back to revision ${previous.revision}; ${rollouts.map((r) => r.message).join('; ')}`
          : `rollback to revision ${previous.revision} did not become ready: ${rollouts.map((r) => r.message).join('; ')}`,
        rollouts,
      }
      if (ok) result.status = 'rolled-back'
    } catch (error) {
      result.rollback = {
        toRevision: previous.revision,
        ok: false,
        message: `rollback to revision ${previous.revision} failed: ${(error as Error).message}`,
        rollouts: [],
      }
    }
  } else if (o.rollbackOnFailure) {
    result.rollback = {
      toRevision: 0,
      ok: false,
      message: 'no previous deployed revision to roll back to',
      rollouts: [],
    }
  }
  return result
}
