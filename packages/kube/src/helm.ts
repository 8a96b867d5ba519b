import { execFile } from 'node:child_process'
import { HelmError, KubeConfigurationError } from './errors.js'

export type HelmMajor = 3 | 4

export interface HelmRevision {
  revision: number
  status: string
  chart: string
  appVersion: string
  description: string
  updated: string
}

export interface HelmReleaseStatus {
  name: string
  namespace: string
  revision: number
  status: string
  description: string
}

export interface UpgradeOptions {
  release: string
  namespace: string
  /** Chart directory, packaged .tgz, repo/name or oci:// reference. */
  chart: string
  /** Chart version, for repository and OCI charts. */
  chartVersion?: string
  valuesFiles?: string[]
  /** Passed with --set-string, so a digest or a version like "3" is never turned into a number. */
  setString?: Record<string, string>
  /** Let helm wait for the resources (the deploy flow waits with its own watcher instead). */
  wait?: boolean
  /** Let helm roll back by itself on failure: --atomic on Helm 3, --rollback-on-failure on Helm 4. */
  atomic?: boolean
  timeoutSeconds: number
  createNamespace?: boolean
  /** Shown by `helm history`: who deployed what. */
  description?: string
  /** Release labels (stored on the release record; values must be valid label values). */
  labels?: Record<string, string>
}

export interface RollbackOptions {
  release: string
  namespace: string
  /** 0 means the previous revision. */
  revision: number
  wait?: boolean
  timeoutSeconds: number
}

/** What the deploy flow needs from helm; the real one runs the binary, tests substitute a recorded one. */
export interface HelmRunner {
  readonly major: HelmMajor
  upgradeInstall(options: UpgradeOptions): Promise<HelmReleaseStatus>
  rollback(options: RollbackOptions): Promise<void>
  /** Oldest first; [] when the release does not exist. */
  history(release: string, namespace: string): Promise<HelmRevision[]>
  status(release: string, namespace: string): Promise<HelmReleaseStatus | undefined>
  /** The rendered manifest of the current (or given) revision. */
  manifest(release: string, namespace: string, revision?: number): Promise<string>
}

/** Major version from `helm version --short` ("v4.1.4+g05fa379", "v3.18.0+gcc58e3f"). */
export function helmMajor(versionShort: string): HelmMajor {
  const match = /^v?(\d+)\.\d+/.exec(versionShort.trim())
  const major = match ? Number(match[1]) : NaN
  if (major !== 3 && major !== 4) {
    throw new KubeConfigurationError(
      `unsupported helm version '${versionShort.trim()}': Helm 3 or Helm 4 is required`,
    )
  }
  return major
}

function timeout(seconds: number): string {
  return `${Math.max(1, Math.ceil(seconds))}s`
}

export function upgradeArgs(major: HelmMajor, o: UpgradeOptions): string[] {
  const args = ['upgrade', '--install', o.release, o.chart, '--namespace', o.namespace]
  if (o.chartVersion) args.push('--version', o.chartVersion)
  if (o.createNamespace) args.push('--create-namespace')
  for (const file of o.valuesFiles ?? []) args.push('--values', file)
  for (const [key, value] of Object.entries(o.setString ?? {})) args.push('--set-string', `${key}=${value}`)
  // Helm 4 renamed --atomic (deprecated there) and made --wait take a strategy; "watcher" is kstatus-based.
  if (o.atomic) args.push(major === 4 ? '--rollback-on-failure' : '--atomic')
  if (o.wait || o.atomic) args.push(major === 4 ? '--wait=watcher' : '--wait')
  args.push('--timeout', timeout(o.timeoutSeconds))
  if (o.description) args.push('--description', o.description)
  const labels = Object.entries(o.labels ?? {})
  if (labels.length > 0) args.push('--labels', labels.map(([k, v]) => `${k}=${v}`).join(','))
  return args
}

export function rollbackArgs(major: HelmMajor, o: RollbackOptions): string[] {
  const args = ['rollback', o.release]
  if (o.revision > 0) args.push(String(o.revision))
  args.push('--namespace', o.namespace, '--timeout', timeout(o.timeoutSeconds))
  if (o.wait) args.push(major === 4 ? '--wait=watcher' : '--wait')
  return args
}

export interface HelmCommandOptions {
  /** The helm binary; default `helm` on PATH. */
  binary?: string
  /** Path of the kubeconfig helm uses (given through $KUBECONFIG, never on the command line). */
  kubeconfigPath?: string
  /** Strings to redact from any output that ends up in an error. */
  secrets?: string[]
  env?: NodeJS.ProcessEnv
  /** Called with each command line (no secrets are ever on it). */
  onCommand?: (args: string[]) => void
}

function redact(text: string, secrets: string[]): string {
  let out = text
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('***')
  return out
}

export async function runHelm(args: string[], o: HelmCommandOptions = {}): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...o.env }
  if (o.kubeconfigPath) env.KUBECONFIG = o.kubeconfigPath
  o.onCommand?.(args)
  return new Promise((resolve, reject) => {
    execFile(o.binary ?? 'helm', args, { env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const code = typeof error.code === 'number' ? error.code : 127
        const output = redact(`${stderr}`.trim() || `${error.message}`, o.secrets ?? [])
        reject(new HelmError(args[0] ?? '', code, output))
      } else {
        resolve(stdout)
      }
    })
  })
}

function isNotFound(error: unknown): boolean {
  return error instanceof HelmError && /not found/i.test(error.output)
}

interface StatusJson {
  name?: string
  namespace?: string
  version?: number
  info?: { status?: string; description?: string }
}

export function parseStatus(json: string): HelmReleaseStatus {
  const s = JSON.parse(json) as StatusJson
  return {
    name: s.name ?? '',
    namespace: s.namespace ?? '',
    revision: s.version ?? 0,
    status: s.info?.status ?? 'unknown',
    description: s.info?.description ?? '',
  }
}

export function parseHistory(json: string): HelmRevision[] {
  const rows = JSON.parse(json) as Array<Record<string, unknown>> | null
  return (rows ?? [])
    .map((r) => ({
      revision: Number(r.revision),
      status: String(r.status ?? ''),
      chart: String(r.chart ?? ''),
      appVersion: String(r.app_version ?? ''),
      description: String(r.description ?? ''),
      updated: String(r.updated ?? ''),
    }))
    .sort((a, b) => a.revision - b.revision)
}

/** The helm binary, its major version detected once from `helm version --short`. */
export async function createHelmRunner(
  o: HelmCommandOptions = {},
): Promise<HelmRunner & { version: string }> {
  let version: string
  try {
    version = (await runHelm(['version', '--short'], o)).trim()
  } catch (error) {
    throw new KubeConfigurationError(
      `cannot run '${o.binary ?? 'helm'} version': install Helm 3 or 4 or give its path (${(error as Error).message})`,
    )
  }
  const major = helmMajor(version)
  const status = async (release: string, namespace: string): Promise<HelmReleaseStatus | undefined> => {
    try {
      return parseStatus(await runHelm(['status', release, '--namespace', namespace, '--output', 'json'], o))
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw error
    }
  }
  return {
    major,
    version,
    status,
    async upgradeInstall(options) {
      await runHelm(upgradeArgs(major, options), o)
      const after = await status(options.release, options.namespace)
      if (!after) throw new HelmError('upgrade', 1, `release ${options.release} not found after upgrade`)
      return after
    },
    async rollback(options) {
      await runHelm(rollbackArgs(major, options), o)
    },
    async history(release, namespace) {
      try {
        return parseHistory(
          await runHelm(['history', release, '--namespace', namespace, '--max', '20', '--output', 'json'], o),
        )
      } catch (error) {
        if (isNotFound(error)) return []
        throw error
      }
    },
    async manifest(release, namespace, revision) {
      const args = ['get', 'manifest', release, '--namespace', namespace]
      if (revision !== undefined) args.push('--revision', String(revision))
      return runHelm(args, o)
    },
  }
}
