import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node'

/** What someone needs to see when a rollout fails in CI, collected while the failing pods still exist. */
export interface ContainerDiagnosis {
  name: string
  ready: boolean
  restartCount: number
  /** "running", "waiting: CrashLoopBackOff", "terminated: Error (exit 1)". */
  state: string
  message?: string
  lastTermination?: string
  /** Last log lines, of the current or (after a crash) the previous container. */
  logTail?: string[]
  logSource?: 'current' | 'previous'
}

export interface PodDiagnosis {
  name: string
  phase: string
  ready: boolean
  node?: string
  reason?: string
  message?: string
  modelVersion?: string
  containers: ContainerDiagnosis[]
}

export interface EventDiagnosis {
  type: string
  reason: string
  object: string
  message: string
  count: number
  lastSeen?: string
}

export interface Diagnostics {
  namespace: string
  deployment: string
  conditions: Array<{ type: string; status: string; reason?: string; message?: string }>
  replicas: { desired: number; updated: number; ready: number; available: number; unavailable: number }
  pods: PodDiagnosis[]
  events: EventDiagnosis[]
  /** Anything that could not be read (no permission to read logs, say): diagnostics never throw. */
  problems: string[]
}

export interface CollectDiagnosticsOptions {
  kubeConfig: KubeConfig
  namespace: string
  deployment: string
  /** Log lines per failing container. */
  logLines?: number
  /** At most this many events, newest first. */
  maxEvents?: number
}

interface WireContainerStatus {
  name: string
  ready?: boolean
  restartCount?: number
  state?: Record<string, { reason?: string; message?: string; exitCode?: number } | undefined>
  lastState?: Record<string, { reason?: string; message?: string; exitCode?: number } | undefined>
}

function describeState(state: WireContainerStatus['state']): { text: string; message?: string } {
  if (state?.waiting)
    return { text: `waiting: ${state.waiting.reason ?? 'unknown'}`, message: state.waiting.message }
  if (state?.terminated) {
    const t = state.terminated
    return { text: `terminated: ${t.reason ?? 'unknown'} (exit ${t.exitCode ?? '?'})`, message: t.message }
  }
  if (state?.running) return { text: 'running' }
  return { text: 'unknown' }
}

function wire<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T
}

/** A container is worth its logs when it is not ready, or has crashed at least once. */
function isFailing(c: ContainerDiagnosis): boolean {
  return !c.ready || c.restartCount > 0
}

export async function collectDiagnostics(o: CollectDiagnosticsOptions): Promise<Diagnostics> {
  const apps = o.kubeConfig.makeApiClient(AppsV1Api)
  const core = o.kubeConfig.makeApiClient(CoreV1Api)
  const problems: string[] = []
  const out: Diagnostics = {
    namespace: o.namespace,
    deployment: o.deployment,
    conditions: [],
    replicas: { desired: 0, updated: 0, ready: 0, available: 0, unavailable: 0 },
    pods: [],
    events: [],
    problems,
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let deployment: any
  try {
    deployment = wire(await apps.readNamespacedDeployment({ name: o.deployment, namespace: o.namespace }))
  } catch (error) {
    problems.push(`deployment ${o.deployment}: ${(error as Error).message}`)
    return out
  }
  out.conditions = (deployment.status?.conditions ?? []).map(
    (c: { type: string; status: string; reason?: string; message?: string }) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
    }),
  )
  out.replicas = {
    desired: deployment.spec?.replicas ?? 1,
    updated: deployment.status?.updatedReplicas ?? 0,
    ready: deployment.status?.readyReplicas ?? 0,
    available: deployment.status?.availableReplicas ?? 0,
    unavailable: deployment.status?.unavailableReplicas ?? 0,
  }
  const labelSelector = Object.entries(
    (deployment.spec?.selector?.matchLabels ?? {}) as Record<string, string>,
  )
    .map(([k, v]) => `${k}=${v}`)
    .join(',')

  const objectNames = new Set<string>([`Deployment/${o.deployment}`])
  try {
    const rs = wire<{ items: Array<{ metadata: { name: string } }> }>(
      await apps.listNamespacedReplicaSet({ namespace: o.namespace, labelSelector }),
    )
    for (const r of rs.items) objectNames.add(`ReplicaSet/${r.metadata.name}`)
  } catch (error) {
    problems.push(`replicasets: ${(error as Error).message}`)
  }

  try {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const pods = wire<{ items: any[] }>(
      await core.listNamespacedPod({ namespace: o.namespace, labelSelector }),
    )
    for (const pod of pods.items) {
      objectNames.add(`Pod/${pod.metadata.name}`)
      const statuses = (pod.status?.containerStatuses ?? []) as WireContainerStatus[]
      const containers: ContainerDiagnosis[] = (pod.spec?.containers ?? []).map((spec: { name: string }) => {
        const s = statuses.find((x) => x.name === spec.name)
        const state = describeState(s?.state)
        const last = s?.lastState?.terminated
        return {
          name: spec.name,
          ready: s?.ready ?? false,
          restartCount: s?.restartCount ?? 0,
          state: s ? state.text : 'not started',
          ...(state.message ? { message: state.message } : {}),
          ...(last
            ? { lastTermination: `${last.reason ?? 'terminated'} (exit ${last.exitCode ?? '?'})` }
            : {}),
        }
      })
      const ready = (pod.status?.conditions ?? []).some(
        (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
      )
      out.pods.push({
        name: pod.metadata.name,
        phase: pod.status?.phase ?? 'Unknown',
        ready,
        ...(pod.spec?.nodeName ? { node: pod.spec.nodeName } : {}),
        ...(pod.status?.reason ? { reason: pod.status.reason } : {}),
        ...(pod.status?.message ? { message: pod.status.message } : {}),
        ...(pod.metadata.annotations?.['mlops-actions/model-version']
          ? { modelVersion: pod.metadata.annotations['mlops-actions/model-version'] }
          : {}),
        containers,
      })
    }
  } catch (error) {
    problems.push(`pods: ${(error as Error).message}`)
  }

  const logLines = o.logLines ?? 50
  await Promise.all(
    out.pods.flatMap((pod) =>
      pod.containers.filter(isFailing).map(async (c) => {
        // After a crash the current container usually has nothing yet; the previous one has the stack trace.
        const attempts: Array<'previous' | 'current'> =
          c.restartCount > 0 ? ['previous', 'current'] : ['current']
        for (const source of attempts) {
          try {
            const text = await core.readNamespacedPodLog({
              name: pod.name,
              namespace: o.namespace,
              container: c.name,
              tailLines: logLines,
              previous: source === 'previous',
            })
            const lines = String(text).replace(/\n$/, '').split('\n')
            if (lines.length === 1 && lines[0] === '') continue
            c.logTail = lines.slice(-logLines)
            c.logSource = source
            return
          } catch (error) {
            if (source === attempts[attempts.length - 1]) {
              problems.push(`logs of ${pod.name}/${c.name}: ${(error as Error).message.split('\n')[0]}`)
            }
          }
        }
      }),
    ),
  )

  try {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const events = wire<{ items: any[] }>(await core.listNamespacedEvent({ namespace: o.namespace }))
    out.events = events.items
      .filter((e) => objectNames.has(`${e.involvedObject?.kind}/${e.involvedObject?.name}`))
      .map((e) => ({
        type: e.type ?? 'Normal',
        reason: e.reason ?? '',
        object: `${e.involvedObject.kind}/${e.involvedObject.name}`,
        message: e.message ?? '',
        count: e.count ?? 1,
        lastSeen: e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp,
      }))
      .sort((a, b) => String(b.lastSeen ?? '').localeCompare(String(a.lastSeen ?? '')))
      .slice(0, o.maxEvents ?? 30)
  } catch (error) {
    problems.push(`events: ${(error as Error).message}`)
  }
  return out
}

function cell(text: string | number | undefined): string {
  return String(text ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ')
}

function table(header: string[], rows: Array<Array<string | number | undefined>>): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n')
}

/** Markdown for the job summary: conditions, pods, warning events first, then each failing container's log. */
export function renderDiagnostics(d: Diagnostics): string {
  const parts: string[] = [`### Diagnostics: deployment ${d.deployment} (namespace ${d.namespace})`]
  const r = d.replicas
  parts.push(
    `Replicas: ${r.desired} desired, ${r.updated} updated, ${r.ready} ready, ${r.available} available, ${r.unavailable} unavailable`,
  )
  if (d.conditions.length > 0) {
    parts.push(
      table(
        ['condition', 'status', 'reason', 'message'],
        d.conditions.map((c) => [c.type, c.status, c.reason, c.message]),
      ),
    )
  }
  if (d.pods.length > 0) {
    parts.push('#### Pods')
    parts.push(
      table(
        ['pod', 'phase', 'ready', 'model version', 'container', 'state', 'restarts', 'last termination'],
        d.pods.flatMap((p) =>
          p.containers.map((c) => [
            p.name,
            p.phase,
            p.ready ? 'yes' : 'no',
            p.modelVersion,
            c.name,
            c.message ? `${c.state}: ${c.message}` : c.state,
            c.restartCount,
            c.lastTermination,
          ]),
        ),
      ),
    )
  }
  if (d.events.length > 0) {
    parts.push('#### Events')
    const ordered = [
      ...d.events.filter((e) => e.type !== 'Normal'),
      ...d.events.filter((e) => e.type === 'Normal'),
    ]
    parts.push(
      table(
        ['type', 'reason', 'object', 'count', 'message'],
        ordered.map((e) => [e.type, e.reason, e.object, e.count, e.message]),
      ),
    )
  }
  for (const p of d.pods) {
    for (const c of p.containers) {
      if (!c.logTail) continue
      const which = c.logSource === 'previous' ? 'previous (crashed) container' : 'container'
      parts.push(
        `<details><summary>Last ${c.logTail.length} log lines of ${p.name}/${c.name} (${which})</summary>\n\n` +
          '```text\n' +
          c.logTail.join('\n').replace(/```/g, '`\u200b``') +
          '\n```\n</details>',
      )
    }
  }
  if (d.problems.length > 0) parts.push(`Could not read: ${d.problems.map(cell).join('; ')}`)
  return parts.join('\n\n') + '\n'
}
