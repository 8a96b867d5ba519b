import { createHash, randomBytes } from 'node:crypto'
import type { FakeKubeApi, KubeObject } from './fake-kube-api.js'

/**
 * The controllers behind the fake API: a Deployment controller (ReplicaSet per pod-template hash, surge with
 * maxUnavailable 0, status with observedGeneration, replica counts and the Progressing/Available conditions,
 * ProgressDeadlineExceeded after spec.progressDeadlineSeconds) and a kubelet that moves pods through their
 * phases according to a behaviour chosen per pod template. Time is scaled: one "second" of
 * progressDeadlineSeconds lasts `secondMs` milliseconds.
 */
export type PodBehaviour = 'ready' | 'crash-loop' | 'image-pull-backoff'

export interface FakeClusterOptions {
  api: FakeKubeApi
  namespace: string
  behaviour: (podTemplate: KubeObject) => PodBehaviour
  tickMs?: number
  secondMs?: number
  /** Ticks a healthy pod takes from creation to Ready. */
  startupTicks?: number
}

interface Tracked {
  name: string
  progressSince: number
}

const hash = (v: unknown): string => createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 10)

export class FakeCluster {
  private readonly o: Required<FakeClusterOptions>
  private readonly deployments = new Map<string, Tracked>()
  private readonly podBirth = new Map<string, number>()
  private tickCount = 0
  private timer: NodeJS.Timeout | undefined
  private eventSeq = 0

  constructor(options: FakeClusterOptions) {
    this.o = { tickMs: 20, secondMs: 20, startupTicks: 3, ...options }
  }

  start(): void {
    this.timer = setInterval(() => this.reconcile(), this.o.tickMs)
  }

  stop(): void {
    clearInterval(this.timer)
  }

  /** What `kubectl apply` would do with rendered manifests (only the kinds the fake serves are kept). */
  apply(objects: KubeObject[]): void {
    for (const object of objects) {
      if (object.kind === 'Deployment') this.applyDeployment(object)
      if (object.kind === 'Service')
        this.o.api.put('services', {
          ...object,
          metadata: { ...object.metadata, namespace: this.o.namespace },
        })
    }
  }

  private applyDeployment(manifest: KubeObject): void {
    const { api, namespace } = this.o
    const existing = api.get('deployments', namespace, manifest.metadata.name)
    const spec = structuredClone(manifest.spec)
    const changed = !existing || JSON.stringify(existing.spec) !== JSON.stringify(spec)
    const generation = (existing?.metadata.generation ?? 0) + (changed ? 1 : 0)
    api.put('deployments', {
      ...manifest,
      metadata: { ...manifest.metadata, namespace, generation },
      spec,
      status: existing?.status ?? {},
    })
    if (changed)
      this.deployments.set(manifest.metadata.name, {
        name: manifest.metadata.name,
        progressSince: Date.now(),
      })
  }

  private event(object: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const { api, namespace } = this.o
    const name = `${object.metadata.name}.${reason.toLowerCase()}`
    const existing = api.get('events', namespace, name)
    const now = new Date().toISOString()
    api.put('events', {
      metadata: { name, namespace },
      involvedObject: { kind: object.kind, name: object.metadata.name, namespace, uid: object.metadata.uid },
      type,
      reason,
      message,
      count: (existing?.count ?? 0) + 1,
      firstTimestamp: existing?.firstTimestamp ?? now,
      lastTimestamp: now,
      source: { component: object.kind === 'Pod' ? 'kubelet' : 'deployment-controller' },
      seq: ++this.eventSeq,
    })
  }

  private reconcile(): void {
    this.tickCount++
    for (const tracked of this.deployments.values()) this.reconcileDeployment(tracked)
  }

  private reconcileDeployment(tracked: Tracked): void {
    const { api, namespace } = this.o
    const d = api.get('deployments', namespace, tracked.name)
    if (!d) return
    const desired: number = d.spec.replicas ?? 1
    const template = d.spec.template
    const templateHash = hash(template)
    const rsName = `${d.metadata.name}-${templateHash}`
    const selector = d.spec.selector.matchLabels as Record<string, string>
    const allRs = api
      .list('replicasets', namespace)
      .filter((rs) => rs.metadata.ownerReferences?.[0]?.name === d.metadata.name)
    let newRs = allRs.find((rs) => rs.metadata.name === rsName)
    if (!newRs) {
      const revision = allRs.length + 1
      newRs = api.put('replicasets', {
        metadata: {
          name: rsName,
          namespace,
          labels: { ...selector, 'pod-template-hash': templateHash },
          annotations: { 'deployment.kubernetes.io/revision': String(revision) },
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name, uid: d.metadata.uid },
          ],
        },
        spec: {
          replicas: desired,
          selector: { matchLabels: { ...selector, 'pod-template-hash': templateHash } },
          template,
        },
        status: {},
      })
      this.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${rsName} to ${desired}`)
    }
    const podsOf = (rs: KubeObject): KubeObject[] =>
      api.list('pods', namespace).filter((p) => p.metadata.ownerReferences?.[0]?.name === rs.metadata.name)

    // New ReplicaSet: create its pods (maxSurge covers all of them here) and run them through the kubelet.
    const newPods = podsOf(newRs)
    for (let i = newPods.length; i < desired; i++) newPods.push(this.createPod(newRs, templateHash))
    for (const pod of newPods) this.kubelet(pod)
    const readyNew = podsOf(newRs).filter(isReady).length

    // Old ReplicaSets: maxUnavailable 0, so an old pod goes only when a new one is ready to replace it.
    let oldTotal = 0
    for (const rs of allRs.filter((r) => r.metadata.name !== rsName)) {
      const keep = Math.max(0, desired - readyNew)
      const pods = podsOf(rs)
      for (const pod of pods.slice(keep)) {
        api.delete('pods', namespace, pod.metadata.name)
        this.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`)
      }
      oldTotal += Math.min(keep, pods.length)
    }

    const pods = api.list(
      'pods',
      namespace,
      Object.entries(selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    )
    const ready = pods.filter(isReady).length
    const complete = readyNew >= desired && oldTotal === 0
    const deadlineMs = (d.spec.progressDeadlineSeconds ?? 600) * this.o.secondMs
    const exceeded = !complete && Date.now() - tracked.progressSince > deadlineMs
    const previous = d.status?.conditions?.find((c: { type: string }) => c.type === 'Progressing')
    const progressing = complete
      ? {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: `ReplicaSet "${rsName}" has successfully progressed.`,
        }
      : exceeded || previous?.reason === 'ProgressDeadlineExceeded'
        ? {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: `ReplicaSet "${rsName}" has timed out progressing.`,
          }
        : {
            type: 'Progressing',
            status: 'True',
            reason: 'ReplicaSetUpdated',
            message: `ReplicaSet "${rsName}" is progressing.`,
          }
    if (
      progressing.reason === 'ProgressDeadlineExceeded' &&
      previous?.reason !== 'ProgressDeadlineExceeded'
    ) {
      this.event(d, 'Warning', 'ProgressDeadlineExceeded', progressing.message)
    }
    const status = {
      observedGeneration: d.metadata.generation,
      replicas: pods.length,
      updatedReplicas: podsOf(newRs).length,
      readyReplicas: ready,
      availableReplicas: ready,
      unavailableReplicas: Math.max(0, desired - ready),
      conditions: [
        {
          type: 'Available',
          status: ready >= desired ? 'True' : 'False',
          reason: ready >= desired ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
          message:
            ready >= desired
              ? 'Deployment has minimum availability.'
              : 'Deployment does not have minimum availability.',
        },
        progressing,
      ],
    }
    if (JSON.stringify(status) !== JSON.stringify(d.status)) api.put('deployments', { ...d, status })
  }

  private createPod(rs: KubeObject, templateHash: string): KubeObject {
    const name = `${rs.metadata.name}-${randomBytes(3).toString('hex').slice(0, 5)}`
    const template = rs.spec.template
    const pod = this.o.api.put('pods', {
      metadata: {
        name,
        namespace: this.o.namespace,
        labels: { ...template.metadata.labels, 'pod-template-hash': templateHash },
        annotations: { ...template.metadata.annotations },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid },
        ],
      },
      spec: { ...template.spec, nodeName: 'k3s-node-1' },
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] },
    })
    this.podBirth.set(name, this.tickCount)
    this.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${this.o.namespace}/${name} to k3s-node-1`)
    return pod
  }

  /** Moves a pod one step along the life its template's behaviour gives it. */
  private kubelet(pod: KubeObject): void {
    const { api, namespace } = this.o
    const age = this.tickCount - (this.podBirth.get(pod.metadata.name) ?? this.tickCount)
    const behaviour = this.o.behaviour(pod)
    const container = pod.spec.containers[0]
    const image: string = container.image
    let status: KubeObject['status']
    if (behaviour === 'image-pull-backoff') {
      const reason = age % 4 < 2 ? 'ErrImagePull' : 'ImagePullBackOff'
      status = {
        phase: 'Pending',
        conditions: [
          { type: 'PodScheduled', status: 'True' },
          { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
        ],
        containerStatuses: [
          {
            name: container.name,
            image,
            ready: false,
            restartCount: 0,
            state: { waiting: { reason, message: `failed to pull image "${image}": not found` } },
          },
        ],
      }
      if (age === 1) this.event(pod, 'Warning', 'Failed', `Failed to pull image "${image}": not found`)
    } else if (age < this.o.startupTicks) {
      status = {
        phase: 'Pending',
        conditions: [
          { type: 'PodScheduled', status: 'True' },
          { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
        ],
        containerStatuses: [
          {
            name: container.name,
            image,
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'ContainerCreating' } },
          },
        ],
      }
      if (age === 1)
        this.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`)
    } else if (behaviour === 'crash-loop') {
      const restarts = Math.floor((age - this.o.startupTicks) / 2) + 1
      const key = `${pod.metadata.name}:${restarts}`
      if (!this.crashed.has(key)) {
        this.crashed.add(key)
        api.appendLog(
          namespace,
          pod.metadata.name,
          container.name,
          [
            `{"level":"info","msg":"loading model from ${pod.metadata.annotations?.['mlops-actions/model-version'] ? '/model' : '?'}"}`,
            `{"level":"fatal","msg":"model warm-up failed: input 'age' expects float32, got string (restart ${restarts})"}`,
          ],
          true,
        )
        this.event(
          pod,
          'Warning',
          'BackOff',
          'Back-off restarting failed container model-server in pod ' + pod.metadata.name,
        )
      }
      status = {
        phase: 'Running',
        conditions: [
          { type: 'PodScheduled', status: 'True' },
          { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
        ],
        containerStatuses: [
          {
            name: container.name,
            image,
            ready: false,
            restartCount: restarts,
            state: {
              waiting: {
                reason: 'CrashLoopBackOff',
                message: `back-off 10s restarting failed container=${container.name}`,
              },
            },
            lastState: { terminated: { reason: 'Error', exitCode: 1 } },
          },
        ],
      }
    } else {
      if (!this.started.has(pod.metadata.name)) {
        this.started.add(pod.metadata.name)
        api.appendLog(namespace, pod.metadata.name, container.name, [
          '{"level":"info","msg":"model loaded, listening on 8080"}',
        ])
        this.event(pod, 'Normal', 'Started', `Started container ${container.name}`)
      }
      status = {
        phase: 'Running',
        conditions: [
          { type: 'PodScheduled', status: 'True' },
          { type: 'Ready', status: 'True' },
        ],
        containerStatuses: [
          {
            name: container.name,
            image,
            ready: true,
            restartCount: 0,
            state: { running: { startedAt: new Date().toISOString() } },
          },
        ],
      }
    }
    if (JSON.stringify(status) !== JSON.stringify(pod.status)) api.put('pods', { ...pod, status })
  }

  private readonly crashed = new Set<string>()
  private readonly started = new Set<string>()
}

function isReady(pod: KubeObject): boolean {
  return (pod.status?.conditions ?? []).some(
    (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
  )
}
