import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigurationError } from '@mlops/kit'
import {
  assembleImage,
  defaultLifecyclePolicy,
  ecrLogin,
  ensureEcrRepository,
  epochTimestamp,
  folderLayer,
  gateScan,
  modelImageLabels,
  openImageSource,
  pushImage,
  RegistryClient,
  reproducibleEpoch,
  waitForScanFindings,
  writeImageLayout,
  type EcrClientLike,
  type RegistryCredentials,
  type ScanGate,
  type ScanSummary,
} from '@mlops/oci'
import {
  dockerBuildArgs,
  dockerDaemonAvailable,
  dockerLoginArgs,
  readBuildDigest,
  type DockerRunner,
} from './docker-build.js'
import type { Inputs } from './inputs.js'

export interface PublishDeps {
  ecr: () => EcrClientLike
  docker: DockerRunner
  /** Registers a secret with the runner before it is used anywhere. */
  mask: (secret: string) => void
  log: (line: string) => void
  /** The repository this action runs from: serve/Dockerfile lives there. */
  actionRoot: string
  tempDir: string
  sleep?: (ms: number) => Promise<void>
}

export interface LayerRow {
  digest: string
  size: number
  kind: string
  result: string
}

export interface PublishResult {
  mode: 'docker' | 'assemble'
  registry: string | undefined
  repository: string
  digest: string
  image: string
  tags: string[]
  layers: LayerRow[]
  platforms: string[]
  labels: Record<string, string>
  base: string | undefined
  repositoryCreated: boolean | undefined
  layoutDir: string | undefined
  scan: ScanSummary | undefined
  gate: ScanGate | undefined
}

/** The image failed the scan-severity threshold: the image is pushed, but the step fails. */
export class ScanGateError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ScanGateError'
  }
}

interface BundleMetadata {
  dataHash?: string
  gitSha?: string
}

async function readBundleMetadata(bundle: string): Promise<BundleMetadata> {
  const mlmodel = await stat(join(bundle, 'MLmodel')).catch(() => undefined)
  if (!mlmodel?.isFile()) {
    throw new ConfigurationError(
      `Input 'bundle' is ${bundle}, which has no MLmodel file: point it at the model bundle folder the train step wrote`,
    )
  }
  try {
    const info = JSON.parse(await readFile(join(bundle, 'bundle.json'), 'utf8')) as {
      dataHash?: unknown
      gitSha?: unknown
    }
    return {
      ...(typeof info.dataHash === 'string' ? { dataHash: info.dataHash } : {}),
      ...(typeof info.gitSha === 'string' ? { gitSha: info.gitSha } : {}),
    }
  } catch {
    // A bundle from another tool may lack bundle.json; the image is still valid, only with fewer labels.
    return {}
  }
}

/** AWS SDK failures a user fixes in the workflow, reworded; anything else passes through. */
function explainAwsError(error: unknown): never {
  const name = (error as { name?: string }).name
  const message = (error as { message?: string }).message ?? String(error)
  if (name === 'CredentialsProviderError' || /Could not load credentials/.test(message)) {
    throw new ConfigurationError(
      'No AWS credentials for ECR: add aws-actions/configure-aws-credentials (role-to-assume with OIDC) before this step, ' +
        "or set 'registry' to push to another registry or 'oci-layout' for a local layout",
      {},
      { cause: error },
    )
  }
  if (
    name === 'AccessDeniedException' ||
    name === 'UnrecognizedClientException' ||
    name === 'ExpiredTokenException'
  ) {
    throw new ConfigurationError(
      `ECR refused the call (${name}): ${message}. Check the role's ECR permissions.`,
      {},
      { cause: error },
    )
  }
  if (name === 'Error' && /Region is missing/i.test(message)) {
    throw new ConfigurationError(
      'No AWS region: set AWS_REGION (aws-actions/configure-aws-credentials does)',
      {},
      { cause: error },
    )
  }
  throw error
}

function isLocalHost(registry: string): boolean {
  return /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(registry)
}

export async function publish(inputs: Inputs, deps: PublishDeps): Promise<PublishResult> {
  const metadata = await readBundleMetadata(inputs.bundle)
  const created = epochTimestamp(reproducibleEpoch())
  let registry: string | undefined
  let credentials: RegistryCredentials | undefined = inputs.credentials
  let ecr: EcrClientLike | undefined
  let repositoryCreated: boolean | undefined
  const target = inputs.target
  if (target.kind === 'ecr') {
    ecr = deps.ecr()
    const login = await ecrLogin(
      ecr,
      deps.mask,
      target.registryId ? { registryId: target.registryId } : {},
    ).catch(explainAwsError)
    registry = target.registry ?? login.registry
    credentials = { username: login.username, password: login.password }
    deps.log(`Logged in to ECR registry ${registry}`)
    if (inputs.createRepository) {
      const ensured = await ensureEcrRepository(ecr, target.repository, {
        scanOnPush: true,
        immutableTags: true,
        lifecyclePolicy: inputs.lifecyclePolicy ?? defaultLifecyclePolicy(),
        ...(target.registryId ? { registryId: target.registryId } : {}),
      }).catch(explainAwsError)
      repositoryCreated = ensured.created
      deps.log(
        ensured.created
          ? `Created ECR repository ${target.repository} (scan on push, immutable tags)`
          : `ECR repository ${target.repository} exists`,
      )
    }
  } else if (target.kind === 'registry') {
    registry = target.registry
  }

  const mode =
    inputs.mode === 'auto'
      ? registry !== undefined && (await dockerDaemonAvailable(deps.docker))
        ? 'docker'
        : 'assemble'
      : inputs.mode
  deps.log(`Build mode: ${mode}${inputs.mode === 'auto' ? ' (auto)' : ''}`)
  const labelsFor = (base?: string, baseDigest?: string) =>
    modelImageLabels({
      modelName: inputs.modelName,
      ...(inputs.modelVersion ? { modelVersion: inputs.modelVersion } : {}),
      ...metadata,
      ...(process.env.GITHUB_REPOSITORY
        ? {
            source: `${process.env.GITHUB_SERVER_URL ?? 'https://github.com'}/${process.env.GITHUB_REPOSITORY}`,
          }
        : {}),
      created,
      ...(base ? { baseName: base } : {}),
      ...(baseDigest ? { baseDigest } : {}),
    })

  const common = { registry, repository: inputs.repository, tags: inputs.tags, repositoryCreated }
  let result: Omit<PublishResult, 'scan' | 'gate'>
  if (mode === 'docker') {
    result = { ...common, ...(await dockerPublish(inputs, deps, registry!, credentials, labelsFor())) }
  } else {
    result = { ...common, ...(await assemblePublish(inputs, deps, registry, credentials, labelsFor)) }
  }

  let scan: ScanSummary | undefined
  let gate: ScanGate | undefined
  if (ecr && inputs.scanThreshold !== undefined) {
    deps.log(`Waiting for the ECR scan of ${result.digest} (threshold ${inputs.scanThreshold})`)
    scan = await waitForScanFindings(ecr, inputs.repository, result.digest, {
      timeoutMs: inputs.scanTimeoutMs,
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
      ...(target.kind === 'ecr' && target.registryId ? { registryId: target.registryId } : {}),
    }).catch(explainAwsError)
    gate = gateScan(scan, inputs.scanThreshold)
    deps.log(
      `Scan ${scan.status}: ${
        Object.entries(scan.counts)
          .map(([s, n]) => `${n} ${s}`)
          .join(', ') || 'no findings'
      }`,
    )
  }
  return { ...result, scan, gate }
}

async function assemblePublish(
  inputs: Inputs,
  deps: PublishDeps,
  registry: string | undefined,
  credentials: RegistryCredentials | undefined,
  labelsFor: (base?: string, baseDigest?: string) => Record<string, string>,
): Promise<
  Pick<PublishResult, 'mode' | 'digest' | 'image' | 'layers' | 'platforms' | 'labels' | 'base' | 'layoutDir'>
> {
  if (inputs.baseImage === undefined) {
    throw new ConfigurationError(
      "Input 'base-image' is required in assemble mode: the published serve image (registry/repository:tag) " +
        'or an OCI layout (oci:<folder>:<tag>) to put the model on',
    )
  }
  const clients = new Map<string, RegistryClient>()
  const clientFor = (host: string): RegistryClient => {
    let client = clients.get(host)
    if (!client) {
      client = new RegistryClient({
        registry: host,
        insecure: inputs.insecure && (host === registry || isLocalHost(host)),
        ...(host === registry && credentials ? { credentials } : {}),
        retry: {
          onRetry: (r) =>
            deps.log(`registry ${host}: attempt ${r.attempt} failed, retrying in ${r.delayMs} ms`),
        },
      })
      clients.set(host, client)
    }
    return client
  }
  const base = openImageSource(inputs.baseImage, clientFor, process.env.GITHUB_WORKSPACE || process.cwd())
  const baseRoot = await base.root()
  const layer = await folderLayer(inputs.bundle, 'model')
  deps.log(`Model layer: ${layer.files} files, ${layer.compressed.length} bytes compressed, ${layer.digest}`)
  const labels = labelsFor(base.name, baseRoot.digest)
  const image = await assembleImage({
    base,
    layer,
    env: { MODEL_URI: '/model' },
    labels,
    created: labels['org.opencontainers.image.created']!,
    platforms: inputs.platforms,
    createdBy: `COPY ${inputs.modelName} model bundle /model (mlops-actions ecr-push)`,
  })
  const layers = new Map<string, LayerRow>()
  for (const manifest of image.manifests) {
    for (const l of manifest.layers)
      layers.set(l.digest, {
        digest: l.digest,
        size: l.size,
        kind: l.fromBase ? 'base layer' : 'model layer',
        result: '',
      })
  }
  let digest = image.root.digest
  let imageRef: string
  if (registry !== undefined) {
    const pushed = await pushImage(clientFor(registry), inputs.repository, image, inputs.tags, (blob) => {
      deps.log(`${blob.kind} ${blob.digest}: ${blob.result} (${blob.size} bytes)`)
      const row = layers.get(blob.digest)
      if (row) row.result = blob.result
    })
    digest = pushed.digest
    imageRef = `${registry}/${inputs.repository}@${digest}`
  } else {
    imageRef = `oci:${inputs.layoutDir}:${inputs.tags[0]}`
  }
  if (inputs.layoutDir !== undefined) {
    await writeImageLayout(inputs.layoutDir, image, inputs.tags)
    deps.log(`Wrote OCI image layout ${inputs.layoutDir} (${inputs.tags.join(', ')})`)
  }
  return {
    mode: 'assemble',
    digest,
    image: imageRef,
    layers: [...layers.values()],
    platforms: image.manifests.map((m) =>
      m.platform
        ? `${m.platform.os}/${m.platform.architecture}${m.platform.variant ? `/${m.platform.variant}` : ''}`
        : 'unknown',
    ),
    labels,
    base: base.name,
    layoutDir: inputs.layoutDir,
  }
}

async function dockerPublish(
  inputs: Inputs,
  deps: PublishDeps,
  registry: string,
  credentials: RegistryCredentials | undefined,
  labels: Record<string, string>,
): Promise<
  Pick<PublishResult, 'mode' | 'digest' | 'image' | 'layers' | 'platforms' | 'labels' | 'base' | 'layoutDir'>
> {
  if (credentials) {
    const login = await deps.docker(dockerLoginArgs(registry, credentials.username), {
      stdin: credentials.password,
    })
    if (login.code !== 0) {
      throw new ConfigurationError(
        `docker login to ${registry} failed: ${login.stderr.trim().split('\n').pop() ?? ''}. Check the credentials.`,
      )
    }
  }
  const metadataFile = join(deps.tempDir, `ecr-push-metadata-${process.pid}.json`)
  const args = dockerBuildArgs({
    dockerfile: inputs.dockerfile ?? join(deps.actionRoot, 'serve', 'Dockerfile'),
    context: inputs.dockerfile ? process.env.GITHUB_WORKSPACE || process.cwd() : deps.actionRoot,
    bundle: inputs.bundle,
    references: inputs.tags.map((tag) => `${registry}/${inputs.repository}:${tag}`),
    platforms: inputs.platforms,
    labels,
    metadataFile,
  })
  const build = await deps.docker(args, { onLine: deps.log })
  if (build.code !== 0) {
    throw new ConfigurationError(
      `docker buildx build failed (exit ${build.code}): ${build.stderr.trim().split('\n').slice(-3).join(' / ')}. ` +
        'Use mode: assemble to build without Docker.',
    )
  }
  const digest = await readBuildDigest(metadataFile)
  let layers: LayerRow[] = []
  try {
    // The sizes for the summary come from the registry: buildx does not report them.
    const client = new RegistryClient({
      registry,
      insecure: inputs.insecure,
      retry: { attempts: 1 },
      ...(credentials ? { credentials } : {}),
    })
    const manifest = JSON.parse(
      (await client.getManifest(inputs.repository, digest)).bytes.toString('utf8'),
    ) as { layers?: Array<{ digest: string; size: number }> }
    layers = (manifest.layers ?? []).map((l) => ({
      digest: l.digest,
      size: l.size,
      kind: 'layer',
      result: 'pushed',
    }))
  } catch {
    layers = []
  }
  return {
    mode: 'docker',
    digest,
    image: `${registry}/${inputs.repository}@${digest}`,
    layers,
    platforms: inputs.platforms,
    labels,
    base: undefined,
    layoutDir: undefined,
  }
}
