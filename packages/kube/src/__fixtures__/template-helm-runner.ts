import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { parseAllDocuments } from 'yaml'
import type { HelmReleaseStatus, HelmRevision, HelmRunner, RollbackOptions, UpgradeOptions } from '../helm.js'
import type { FakeCluster } from './fake-cluster.js'
import type { KubeObject } from './fake-kube-api.js'

/**
 * A HelmRunner for the deploy-flow tests. Real helm cannot talk to the fake API (it needs discovery, secrets
 * storage, server-side apply), so this one renders the chart with the real `helm template` and applies the
 * objects to the fake cluster, keeping release history the way helm does (deployed / superseded / failed).
 * Every call is recorded.
 */
export class TemplateHelmRunner implements HelmRunner {
  readonly major = 4 as const
  readonly calls: Array<{ method: string; args: unknown }> = []
  private readonly revisions: Array<HelmRevision & { manifest: string }> = []

  constructor(
    private readonly binary: string,
    private readonly cluster: FakeCluster,
  ) {}

  async upgradeInstall(o: UpgradeOptions): Promise<HelmReleaseStatus> {
    this.calls.push({ method: 'upgradeInstall', args: o })
    const args = ['template', o.release, o.chart, '--namespace', o.namespace]
    for (const f of o.valuesFiles ?? []) args.push('--values', f)
    for (const [k, v] of Object.entries(o.setString ?? {})) args.push('--set-string', `${k}=${v}`)
    const { stdout } = await promisify(execFile)(this.binary, args)
    return this.record(stdout, o.description ?? 'Upgrade complete')
  }

  async rollback(o: RollbackOptions): Promise<void> {
    this.calls.push({ method: 'rollback', args: o })
    const target = this.revisions.find((r) => r.revision === o.revision)
    if (!target) throw new Error(`release has no revision ${o.revision}`)
    this.record(target.manifest, `Rollback to ${o.revision}`)
  }

  async history(): Promise<HelmRevision[]> {
    this.calls.push({ method: 'history', args: [] })
    return this.revisions.map(({ manifest, ...r }) => (void manifest, r))
  }

  async status(release: string, namespace: string): Promise<HelmReleaseStatus | undefined> {
    const last = this.revisions.at(-1)
    return (
      last && {
        name: release,
        namespace,
        revision: last.revision,
        status: last.status,
        description: last.description,
      }
    )
  }

  async manifest(): Promise<string> {
    this.calls.push({ method: 'manifest', args: [] })
    return this.revisions.at(-1)?.manifest ?? ''
  }

  /** Marks a revision failed, as helm does when --wait times out. */
  markFailed(revision: number): void {
    const r = this.revisions.find((x) => x.revision === revision)
    if (r) r.status = 'failed'
  }

  private record(manifest: string, description: string): HelmReleaseStatus {
    const objects = parseAllDocuments(manifest)
      .map((d) => d.toJS() as KubeObject | null)
      .filter((o): o is KubeObject => o !== null)
    this.cluster.apply(objects)
    for (const r of this.revisions) if (r.status === 'deployed') r.status = 'superseded'
    const revision = this.revisions.length + 1
    this.revisions.push({
      revision,
      status: 'deployed',
      chart: 'model-server-0.1.0',
      appVersion: '0.1.0',
      description,
      updated: new Date().toISOString(),
      manifest,
    })
    return { name: '', namespace: '', revision, status: 'deployed', description }
  }
}
