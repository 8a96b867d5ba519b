import { AppsV1Api, CoreV1Api, Watch, type KubeConfig } from '@kubernetes/client-node'

/** Pod (template) annotation that carries the model version the chart deployed. */
export const MODEL_VERSION_ANNOTATION = 'mlops-actions/model-version'

/** The parts of a Deployment the watcher reads, in wire (JSON) form so watch events and GETs look alike. */
export interface DeploymentState {
  metadata?: { name?: string; generation?: number; annotations?: Record<string, string> }
  spec?: {
    replicas?: number
    progressDeadlineSeconds?: number
    selector?: { matchLabels?: Record<string, string> }
    template?: { metadata?: { annotations?: Record<string, string> } }
  }
  status?: {
    observedGeneration?: number
    replicas?: number
    updatedReplicas?: number
    readyReplicas?: number
    availableReplicas?: number
    unavailableReplicas?: number
    conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }>
  }
}

export type RolloutPhase = 'progressing' | 'complete' | 'failed'

export interface RolloutStatus {
  phase: RolloutPhase
  /** One line, as `kubectl rollout status` would say it. */
  message: string
  reason?: string
}

/**
 * The same decision `kubectl rollout status` makes: the controller must have seen the latest spec, the
 * progress deadline must not have passed, every replica must be updated and available and no old one left.
 */
export function rolloutStatus(d: DeploymentState): RolloutStatus {
  const name = d.metadata?.name ?? 'deployment'
  const generation = d.metadata?.generation ?? 0
  const s = d.status ?? {}
  if ((s.observedGeneration ?? 0) < generation) {
    return { phase: 'progressing', message: `waiting for ${name} spec update to be observed` }
  }
  const progressing = s.conditions?.find((c) => c.type === 'Progressing')
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return {
      phase: 'failed',
      reason: 'ProgressDeadlineExceeded',
      message: `${name} exceeded its progress deadline: ${progressing.message ?? ''}`.trim(),
    }
  }
  const desired = d.spec?.replicas ?? 1
  const updated = s.updatedReplicas ?? 0
  const replicas = s.replicas ?? 0
  const available = s.availableReplicas ?? 0
  if (updated < desired) {
    return { phase: 'progressing', message: `${updated} of ${desired} updated replicas are available` }
  }
  if (replicas > updated) {
    return { phase: 'progressing', message: `${replicas - updated} old replicas are pending termination` }
  }
  if (available < updated) {
    return { phase: 'progressing', message: `${available} of ${updated} updated replicas are available` }
  }
  return { phase: 'complete', message: `${name} successfully rolled out (${available}/${desired} available)` }
}

export interface WatchRolloutOptions {
  kubeConfig: KubeConfig
  namespace: string
  deployment: string
  /** Overall deadline for the rollout (and the served-version check after it). */
  timeoutMs: number
  /** When set, every ready pod of the deployment must carry this model version (a stale pod cannot pass). */
  expectedModelVersion?: string
  onProgress?: (message: string) => void
}

export interface RolloutResult {
  deployment: string
  phase: 'complete' | 'failed' | 'timeout'
  reason?: string
  message: string
  replicas: { desired: number; updated: number; ready: number; available: number }
  /** Model versions of the ready pods, from their annotations (empty when not checked). */
  servedVersions: string[]
  elapsedMs: number
}

interface PodLike {
  metadata?: { annotations?: Record<string, string>; deletionTimestamp?: unknown }
  status?: { phase?: string; conditions?: Array<{ type?: string; status?: string }> }
}

function isReady(pod: PodLike): boolean {
  return (
    pod.metadata?.deletionTimestamp == null &&
    pod.status?.phase === 'Running' &&
    (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  )
}

function selectorString(labels: Record<string, string> | undefined): string {
  return Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',')
}

/** Model versions served by the ready pods of a deployment (one entry per pod, sorted). */
export async function servedModelVersions(
  kubeConfig: KubeConfig,
  namespace: string,
  d: DeploymentState,
): Promise<string[]> {
  const core = kubeConfig.makeApiClient(CoreV1Api)
  const pods = await core.listNamespacedPod({
    namespace,
    labelSelector: selectorString(d.spec?.selector?.matchLabels),
  })
  return (pods.items as PodLike[])
    .filter(isReady)
    .map((p) => p.metadata?.annotations?.[MODEL_VERSION_ANNOTATION] ?? '(none)')
    .sort()
}

function replicaCounts(d: DeploymentState): RolloutResult['replicas'] {
  return {
    desired: d.spec?.replicas ?? 1,
    updated: d.status?.updatedReplicas ?? 0,
    ready: d.status?.readyReplicas ?? 0,
    available: d.status?.availableReplicas ?? 0,
  }
}

/** JSON form of what the typed client returns (Dates become strings), so GET and watch data compare alike. */
function wire<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T
}

/**
 * Follows one Deployment through a watch stream until its rollout completes, fails (ProgressDeadlineExceeded)
 * or the deadline passes; then, if a model version is expected, waits until every ready pod serves it.
 * The watch restarts from the last seen resourceVersion when the server closes the stream.
 */
export async function watchRollout(o: WatchRolloutOptions): Promise<RolloutResult> {
  const started = Date.now()
  const deadline = started + o.timeoutMs
  const apps = o.kubeConfig.makeApiClient(AppsV1Api)
  let latest = wire<DeploymentState & { metadata?: { resourceVersion?: string } }>(
    await apps.readNamespacedDeployment({ name: o.deployment, namespace: o.namespace }),
  )
  let lastMessage = ''
  const report = (message: string): void => {
    if (message !== lastMessage) o.onProgress?.(message)
    lastMessage = message
  }
  const result = (
    phase: RolloutResult['phase'],
    message: string,
    extra: Partial<RolloutResult> = {},
  ): RolloutResult => ({
    deployment: o.deployment,
    phase,
    message,
    replicas: replicaCounts(latest),
    servedVersions: [],
    elapsedMs: Date.now() - started,
    ...extra,
  })

  let status = rolloutStatus(latest)
  report(status.message)
  if (status.phase === 'progressing') {
    status = await new Promise<RolloutStatus>((resolve, reject) => {
      let settled = false
      let controller: AbortController | undefined
      const finish = (s: RolloutStatus | Error): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        controller?.abort()
        if (s instanceof Error) reject(s)
        else resolve(s)
      }
      const timer = setTimeout(
        () => finish({ phase: 'progressing', reason: 'Timeout', message: lastMessage }),
        Math.max(0, deadline - Date.now()),
      )
      const start = async (): Promise<void> => {
        if (settled) return
        const watch = new Watch(o.kubeConfig)
        controller = await watch.watch(
          `/apis/apps/v1/namespaces/${encodeURIComponent(o.namespace)}/deployments`,
          {
            fieldSelector: `metadata.name=${o.deployment}`,
            resourceVersion: latest.metadata?.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: Math.max(1, Math.ceil((deadline - Date.now()) / 1000)),
          },
          (type, object: DeploymentState & { metadata?: { resourceVersion?: string } }) => {
            if (type === 'BOOKMARK') {
              if (latest.metadata && object.metadata?.resourceVersion) {
                latest.metadata.resourceVersion = object.metadata.resourceVersion
              }
              return
            }
            if (type === 'DELETED')
              return finish(new Error(`deployment ${o.deployment} was deleted during the rollout`))
            latest = object
            const s = rolloutStatus(object)
            report(s.message)
            if (s.phase !== 'progressing') finish(s)
          },
          (error: unknown) => {
            if (settled) return
            // A closed stream is normal (server timeout, proxy); resume after a short pause unless it was fatal.
            const code = (error as { statusCode?: number } | null)?.statusCode
            if (code === 401 || code === 403 || code === 404) {
              return finish(new Error(`watching deployment ${o.deployment} failed: HTTP ${code}`))
            }
            setTimeout(() => void start().catch(finish), 200)
          },
        )
      }
      start().catch(finish)
    })
  }
  if (status.phase === 'failed') return result('failed', status.message, { reason: status.reason })
  if (status.phase === 'progressing') {
    return result(
      'timeout',
      `rollout of ${o.deployment} did not finish in ${Math.round(o.timeoutMs / 1000)}s: ${status.message}`,
      {
        reason: 'Timeout',
      },
    )
  }

  if (o.expectedModelVersion === undefined) return result('complete', status.message)
  // The Deployment can be complete while a terminating pod still answers: require every ready pod to match.
  let served: string[] = []
  for (;;) {
    served = await servedModelVersions(o.kubeConfig, o.namespace, latest)
    if (served.length > 0 && served.every((v) => v === o.expectedModelVersion)) {
      return result(
        'complete',
        `${status.message}; every ready pod serves model version ${o.expectedModelVersion}`,
        {
          servedVersions: served,
        },
      )
    }
    if (Date.now() >= deadline) {
      return result(
        'failed',
        `ready pods serve model version(s) ${[...new Set(served)].join(', ') || '(none)'}, expected ${o.expectedModelVersion}`,
        { reason: 'WrongModelVersion', servedVersions: served },
      )
    }
    report(`waiting for every ready pod to serve model version ${o.expectedModelVersion}`)
    await new Promise((r) => setTimeout(r, Math.min(500, Math.max(0, deadline - Date.now()))))
  }
}
