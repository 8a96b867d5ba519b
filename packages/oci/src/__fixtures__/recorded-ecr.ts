import {
  CreateRepositoryCommand,
  DescribeImageScanFindingsCommand,
  DescribeRepositoriesCommand,
  GetAuthorizationTokenCommand,
  PutLifecyclePolicyCommand,
  RepositoryNotFoundException,
  ScanNotFoundException,
  type DescribeImageScanFindingsCommandOutput,
} from '@aws-sdk/client-ecr'
import type { EcrClientLike } from '../ecr.js'

export interface RecordedCall {
  command: string
  input: Record<string, unknown>
}

/** A scan poll answer: a recorded response body, or ECR's "no scan yet" error. */
export type ScanStep = 'scan-not-found' | Omit<DescribeImageScanFindingsCommandOutput, '$metadata'>

const metadata = {
  httpStatusCode: 200,
  requestId: 'b1a0c0de-0000-4000-8000-000000000000',
  attempts: 1,
  totalRetryDelay: 0,
}

/**
 * A recorded-shape double of the ECR API: it answers the SDK's own command objects with response bodies shaped
 * like the ones in the API reference (and throws the SDK's own exception classes), and records every call.
 * `proxyEndpoint` can point at a local registry so the decoded login is used for a real push.
 */
export class RecordedEcr implements EcrClientLike {
  readonly calls: RecordedCall[] = []
  readonly repositories = new Map<
    string,
    { scanOnPush: boolean; mutability: string; lifecyclePolicy?: string }
  >()
  private readonly scanSteps: ScanStep[]

  constructor(
    private readonly options: {
      accountId?: string
      username?: string
      password: string
      proxyEndpoint?: string
      existing?: string[]
      scans?: ScanStep[]
    },
  ) {
    for (const name of options.existing ?? [])
      this.repositories.set(name, { scanOnPush: true, mutability: 'IMMUTABLE' })
    this.scanSteps = [...(options.scans ?? [])]
  }

  get accountId(): string {
    return this.options.accountId ?? '123456789012'
  }

  async send(command: object): Promise<unknown> {
    const input = (command as { input: Record<string, unknown> }).input
    this.calls.push({ command: command.constructor.name, input: structuredClone(input) })
    const registryId = this.accountId
    const notFound = (name: string) =>
      new RepositoryNotFoundException({
        message: `The repository with name '${name}' does not exist in the registry with id '${registryId}'`,
        $metadata: { ...metadata, httpStatusCode: 400 },
      })
    if (command instanceof GetAuthorizationTokenCommand) {
      const token = Buffer.from(`${this.options.username ?? 'AWS'}:${this.options.password}`).toString(
        'base64',
      )
      return {
        $metadata: metadata,
        authorizationData: [
          {
            authorizationToken: token,
            expiresAt: new Date('2026-12-01T00:00:00Z'),
            proxyEndpoint:
              this.options.proxyEndpoint ?? `https://${registryId}.dkr.ecr.eu-west-1.amazonaws.com`,
          },
        ],
      }
    }
    if (command instanceof DescribeRepositoriesCommand) {
      const names = (input.repositoryNames as string[] | undefined) ?? []
      const missing = names.find((n) => !this.repositories.has(n))
      if (missing) throw notFound(missing)
      return {
        $metadata: metadata,
        repositories: names.map((name) => ({
          repositoryArn: `arn:aws:ecr:eu-west-1:${registryId}:repository/${name}`,
          registryId,
          repositoryName: name,
          repositoryUri: `${registryId}.dkr.ecr.eu-west-1.amazonaws.com/${name}`,
          createdAt: new Date('2026-11-01T00:00:00Z'),
          imageTagMutability: this.repositories.get(name)!.mutability,
          imageScanningConfiguration: { scanOnPush: this.repositories.get(name)!.scanOnPush },
          encryptionConfiguration: { encryptionType: 'AES256' },
        })),
      }
    }
    if (command instanceof CreateRepositoryCommand) {
      const name = input.repositoryName as string
      const scanning = input.imageScanningConfiguration as { scanOnPush?: boolean } | undefined
      this.repositories.set(name, {
        scanOnPush: scanning?.scanOnPush ?? false,
        mutability: String(input.imageTagMutability ?? 'MUTABLE'),
      })
      return {
        $metadata: metadata,
        repository: {
          repositoryArn: `arn:aws:ecr:eu-west-1:${registryId}:repository/${name}`,
          registryId,
          repositoryName: name,
          repositoryUri: `${registryId}.dkr.ecr.eu-west-1.amazonaws.com/${name}`,
          createdAt: new Date(),
          imageTagMutability: input.imageTagMutability,
          imageScanningConfiguration: input.imageScanningConfiguration,
          encryptionConfiguration: { encryptionType: 'AES256' },
        },
      }
    }
    if (command instanceof PutLifecyclePolicyCommand) {
      const name = input.repositoryName as string
      if (!this.repositories.has(name)) throw notFound(name)
      this.repositories.get(name)!.lifecyclePolicy = input.lifecyclePolicyText as string
      return {
        $metadata: metadata,
        registryId,
        repositoryName: name,
        lifecyclePolicyText: input.lifecyclePolicyText,
      }
    }
    if (command instanceof DescribeImageScanFindingsCommand) {
      const name = input.repositoryName as string
      if (!this.repositories.has(name)) throw notFound(name)
      const step = this.scanSteps.length > 1 ? this.scanSteps.shift()! : this.scanSteps[0]
      const imageId = input.imageId as { imageDigest: string }
      if (step === undefined || step === 'scan-not-found') {
        throw new ScanNotFoundException({
          message: `Image scan does not exist for image with '{imageDigest:'${imageId.imageDigest}', imageTag:'null'}' in the repository with name '${name}' in the registry with id '${registryId}'`,
          $metadata: { ...metadata, httpStatusCode: 400 },
        })
      }
      return { $metadata: metadata, registryId, repositoryName: name, imageId, ...step }
    }
    throw new Error(`RecordedEcr: no recording for ${command.constructor.name}`)
  }
}

export function inProgress(): ScanStep {
  return { imageScanStatus: { status: 'IN_PROGRESS' } }
}

/** A finished basic scan with the given counts and one finding per severity present. */
export function completeScan(counts: Record<string, number>): ScanStep {
  return {
    imageScanStatus: { status: 'COMPLETE', description: 'The scan was completed successfully.' },
    imageScanFindings: {
      imageScanCompletedAt: new Date('2026-11-30T02:00:00Z'),
      vulnerabilitySourceUpdatedAt: new Date('2026-11-29T00:00:00Z'),
      findingSeverityCounts: counts,
      findings: Object.keys(counts).map((severity, i) => ({
        name: `CVE-2026-${1000 + i}`,
        uri: `https://security-tracker.debian.org/tracker/CVE-2026-${1000 + i}`,
        severity: severity as 'LOW',
        attributes: [{ key: 'package_name', value: 'openssl' }],
      })),
    },
  }
}
