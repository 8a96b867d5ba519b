import {
  CreateRepositoryCommand,
  DescribeImageScanFindingsCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  PutLifecyclePolicyCommand,
  type CreateRepositoryCommandOutput,
  type DescribeImageScanFindingsCommandOutput,
  type GetAuthorizationTokenCommandOutput,
} from '@aws-sdk/client-ecr'
import { setTimeout as delay } from 'node:timers/promises'
import { RegistryAuthError } from './errors.js'

/**
 * What these functions need from an ECR client: `send`. The real ECRClient fits (method parameters are
 * bivariant), and so does a test double that answers the same command objects with recorded response shapes.
 */
export interface EcrClientLike {
  send(command: object): Promise<unknown>
}

/** An ECRClient for the region in the environment (AWS_REGION), credentials from the default chain. */
export function createEcrClient(region?: string): ECRClient {
  return new ECRClient(region ? { region } : {})
}

export interface EcrLogin {
  /** Registry host, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com. */
  registry: string
  username: string
  password: string
  expiresAt?: Date
}

const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/

/** `<account>.dkr.ecr.<region>.amazonaws.com/<name>` or a bare `<name>` (the account's own registry). */
export function parseEcrRepository(text: string): {
  registry?: string
  accountId?: string
  region?: string
  repository: string
} {
  const slash = text.indexOf('/')
  const host = slash > 0 ? text.slice(0, slash) : ''
  const match = ECR_HOST.exec(host)
  if (!match) return { repository: text }
  return { registry: host, accountId: match[1]!, region: match[2]!, repository: text.slice(slash + 1) }
}

export function isEcrRegistry(host: string): boolean {
  return ECR_HOST.test(host)
}

/**
 * GetAuthorizationToken, decoded into a basic-auth login. `mask` runs on the token, the decoded pair and the
 * password before this function does anything else with them, so no later log line can show them.
 */
export async function ecrLogin(
  client: EcrClientLike,
  mask: (secret: string) => void,
  options: { registryId?: string } = {},
): Promise<EcrLogin> {
  const response = (await client.send(
    new GetAuthorizationTokenCommand(options.registryId ? { registryIds: [options.registryId] } : {}),
  )) as GetAuthorizationTokenCommandOutput
  const data = response.authorizationData?.[0]
  const token = data?.authorizationToken
  if (token) mask(token)
  const decoded = token ? Buffer.from(token, 'base64').toString('utf8') : ''
  const colon = decoded.indexOf(':')
  if (colon > 0) {
    mask(decoded)
    mask(decoded.slice(colon + 1))
  }
  if (!data?.proxyEndpoint || colon <= 0 || colon === decoded.length - 1) {
    throw new RegistryAuthError(
      'ECR GetAuthorizationToken returned no usable token: check that the job has AWS credentials ' +
        '(aws-actions/configure-aws-credentials) with ecr:GetAuthorizationToken',
      data?.proxyEndpoint ?? 'ECR',
    )
  }
  return {
    registry: data.proxyEndpoint.replace(/^https?:\/\//, '').replace(/\/$/, ''),
    username: decoded.slice(0, colon),
    password: decoded.slice(colon + 1),
    ...(data.expiresAt ? { expiresAt: data.expiresAt } : {}),
  }
}

export interface RepositorySettings {
  scanOnPush: boolean
  immutableTags: boolean
  /** Lifecycle policy JSON text; none is set when undefined. */
  lifecyclePolicy?: string
  registryId?: string
}

/** A policy that drops untagged images after `untaggedDays` and keeps the newest `keep` images. */
export function defaultLifecyclePolicy(keep = 50, untaggedDays = 14): string {
  return JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: `expire untagged images after ${untaggedDays} days`,
        selection: {
          tagStatus: 'untagged',
          countType: 'sinceImagePushed',
          countUnit: 'days',
          countNumber: untaggedDays,
        },
        action: { type: 'expire' },
      },
      {
        rulePriority: 2,
        description: `keep the newest ${keep} images`,
        selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: keep },
        action: { type: 'expire' },
      },
    ],
  })
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined
}

/**
 * Creates the repository when DescribeRepositories says it does not exist, with scan-on-push, tag mutability
 * and a lifecycle policy. An existing repository is left as it is (its settings belong to whoever made it).
 */
export async function ensureEcrRepository(
  client: EcrClientLike,
  repositoryName: string,
  settings: RepositorySettings,
): Promise<{ created: boolean; uri?: string }> {
  const registryId = settings.registryId ? { registryId: settings.registryId } : {}
  try {
    await client.send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName], ...registryId }))
    return { created: false }
  } catch (error) {
    if (errorName(error) !== 'RepositoryNotFoundException') throw error
  }
  let uri: string | undefined
  try {
    const created = (await client.send(
      new CreateRepositoryCommand({
        repositoryName,
        ...registryId,
        imageTagMutability: settings.immutableTags ? 'IMMUTABLE' : 'MUTABLE',
        imageScanningConfiguration: { scanOnPush: settings.scanOnPush },
      }),
    )) as CreateRepositoryCommandOutput
    uri = created.repository?.repositoryUri
  } catch (error) {
    // Another job created it between our two calls: that is the state we wanted.
    if (errorName(error) === 'RepositoryAlreadyExistsException') return { created: false }
    throw error
  }
  if (settings.lifecyclePolicy) {
    await client.send(
      new PutLifecyclePolicyCommand({
        repositoryName,
        ...registryId,
        lifecyclePolicyText: settings.lifecyclePolicy,
      }),
    )
  }
  return { created: true, ...(uri ? { uri } : {}) }
}

export const SEVERITIES = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const
export type Severity = (typeof SEVERITIES)[number]

export interface ScanSummary {
  /** COMPLETE / ACTIVE when findings are final; otherwise ECR's status, or TIMED_OUT. */
  status: string
  description?: string
  counts: Partial<Record<string, number>>
  /** The most severe findings first, at most 10. */
  top: Array<{ name: string; severity: string; uri?: string }>
}

export interface ScanWaitOptions {
  registryId?: string
  intervalMs?: number
  timeoutMs?: number
  sleep?: (ms: number) => Promise<void>
  now?: () => number
}

const FINAL = ['COMPLETE', 'ACTIVE']
const WAITING = ['IN_PROGRESS', 'PENDING']

/**
 * Polls DescribeImageScanFindings until the scan is final or `timeoutMs` passes. Right after a push ECR may
 * not know the scan yet (ScanNotFoundException): that also means "wait".
 */
export async function waitForScanFindings(
  client: EcrClientLike,
  repositoryName: string,
  imageDigest: string,
  options: ScanWaitOptions = {},
): Promise<ScanSummary> {
  const {
    intervalMs = 5_000,
    timeoutMs = 300_000,
    sleep = (ms: number) => delay(ms),
    now = Date.now,
  } = options
  const deadline = now() + timeoutMs
  for (;;) {
    let response: DescribeImageScanFindingsCommandOutput | undefined
    try {
      response = (await client.send(
        new DescribeImageScanFindingsCommand({
          repositoryName,
          imageId: { imageDigest },
          ...(options.registryId ? { registryId: options.registryId } : {}),
        }),
      )) as DescribeImageScanFindingsCommandOutput
    } catch (error) {
      if (errorName(error) !== 'ScanNotFoundException') throw error
    }
    const status = response?.imageScanStatus?.status ?? 'PENDING'
    if (!WAITING.includes(status)) return summarise(status, response)
    if (now() + intervalMs > deadline) return { status: 'TIMED_OUT', counts: {}, top: [] }
    await sleep(intervalMs)
  }
}

function summarise(
  status: string,
  response: DescribeImageScanFindingsCommandOutput | undefined,
): ScanSummary {
  const findings = response?.imageScanFindings
  const rank = (s: string | undefined): number => SEVERITIES.indexOf((s ?? '') as Severity)
  const all = [
    ...(findings?.findings ?? []).map((f) => ({
      name: f.name ?? '?',
      severity: f.severity ?? 'UNDEFINED',
      uri: f.uri,
    })),
    ...(findings?.enhancedFindings ?? []).map((f) => ({
      name: f.packageVulnerabilityDetails?.vulnerabilityId ?? f.title ?? '?',
      severity: f.severity ?? 'UNDEFINED',
      uri: f.packageVulnerabilityDetails?.sourceUrl,
    })),
  ].sort((a, b) => rank(b.severity) - rank(a.severity) || (a.name < b.name ? -1 : 1))
  return {
    status,
    ...(response?.imageScanStatus?.description ? { description: response.imageScanStatus.description } : {}),
    counts: { ...(findings?.findingSeverityCounts ?? {}) },
    top: all
      .slice(0, 10)
      .map((f) => ({ name: f.name, severity: f.severity, ...(f.uri ? { uri: f.uri } : {}) })),
  }
}

export interface ScanGate {
  passed: boolean
  /** Severities at or above the threshold that have findings, with their counts. */
  offending: Array<{ severity: string; count: number }>
  reason?: string
}

/** Fails when the scan has findings at or above `threshold`, or when a threshold is set and the scan never finished. */
export function gateScan(summary: ScanSummary, threshold: Severity | undefined): ScanGate {
  if (threshold === undefined) return { passed: true, offending: [] }
  if (!FINAL.includes(summary.status)) {
    return {
      passed: false,
      offending: [],
      reason: `the scan did not complete (status ${summary.status}${summary.description ? `: ${summary.description}` : ''}), so findings at or above ${threshold} cannot be ruled out`,
    }
  }
  const from = SEVERITIES.indexOf(threshold)
  const offending = SEVERITIES.slice(from)
    .map((severity) => ({ severity, count: summary.counts[severity] ?? 0 }))
    .filter((s) => s.count > 0)
    .reverse()
  return offending.length === 0
    ? { passed: true, offending }
    : {
        passed: false,
        offending,
        reason: `the scan found ${offending.map((s) => `${s.count} ${s.severity}`).join(', ')} (threshold ${threshold})`,
      }
}
