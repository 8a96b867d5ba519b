import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import {
  ConfigurationError,
  getBooleanInput,
  getEnumInput,
  getListInput,
  getNumberInput,
  getOptionalInput,
  getPathInput,
  getSecretInput,
} from '@mlops/kit'
import {
  ImageInputError,
  isValidTag,
  parseEcrRepository,
  parseImageReference,
  SEVERITIES,
  type Severity,
} from '@mlops/oci'

/** Where the image goes: an ECR repository, another OCI registry, or only an OCI layout folder. */
export type Target =
  | { kind: 'ecr'; repository: string; registry?: string; registryId?: string }
  | { kind: 'registry'; registry: string; repository: string }
  | { kind: 'layout' }

export interface Inputs {
  bundle: string
  target: Target
  /** Repository path without a registry, for labels and the layout. */
  repository: string
  tags: string[]
  mode: 'auto' | 'docker' | 'assemble'
  baseImage: string | undefined
  platforms: string[]
  insecure: boolean
  credentials: { username: string; password: string } | undefined
  createRepository: boolean
  lifecyclePolicy: string | undefined
  scanThreshold: Severity | undefined
  scanTimeoutMs: number
  layoutDir: string | undefined
  modelName: string
  modelVersion: string | undefined
  dockerfile: string | undefined
}

// Any of these means the job has AWS credentials (configure-aws-credentials sets the first; OIDC the second).
const AWS_CREDENTIAL_ENV = [
  'AWS_ACCESS_KEY_ID',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_PROFILE',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
]

function checkRepository(repository: string, input = 'repository'): void {
  try {
    parseImageReference(`registry.invalid/${repository}`)
  } catch (error) {
    if (!(error instanceof ImageInputError)) throw error
    throw new ConfigurationError(
      `Input '${input}' is '${repository}': a repository is lower-case letters, digits, '.', '_', '-' and '/' (no tag; put tags in 'tags')`,
    )
  }
  if (repository.includes(':') || repository.includes('@')) {
    throw new ConfigurationError(
      `Input '${input}' is '${repository}': give the tags in 'tags', not in the repository`,
    )
  }
}

function resolveTarget(repositoryInput: string, registryInput: string | undefined): Target {
  const ecr = parseEcrRepository(repositoryInput)
  if (ecr.registry) {
    checkRepository(ecr.repository)
    return { kind: 'ecr', repository: ecr.repository, registry: ecr.registry, registryId: ecr.accountId! }
  }
  const first = repositoryInput.split('/')[0]!
  const hasHost = repositoryInput.includes('/') && /[.:]|^localhost$/.test(first)
  if (hasHost) {
    if (registryInput !== undefined && registryInput !== first) {
      throw new ConfigurationError(
        `Input 'repository' names the registry ${first} but 'registry' is ${registryInput}; give the registry in one place`,
      )
    }
    const repository = repositoryInput.slice(first.length + 1)
    checkRepository(repository)
    return { kind: 'registry', registry: first, repository }
  }
  checkRepository(repositoryInput)
  if (registryInput === 'ecr') return { kind: 'ecr', repository: repositoryInput }
  if (registryInput === 'oci-layout') return { kind: 'layout' }
  if (registryInput !== undefined) {
    if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(registryInput)) {
      throw new ConfigurationError(
        `Input 'registry' is '${registryInput}': expected a host[:port] such as 127.0.0.1:5000 or ghcr.io, 'ecr' or 'oci-layout' (no scheme, no path)`,
      )
    }
    return { kind: 'registry', registry: registryInput, repository: repositoryInput }
  }
  if (AWS_CREDENTIAL_ENV.some((name) => process.env[name]))
    return { kind: 'ecr', repository: repositoryInput }
  return { kind: 'layout' }
}

function readLifecyclePolicy(): string | undefined {
  const path = getPathInput('lifecycle-policy', { mustExist: 'file' })
  if (path === undefined) return undefined
  const text = readFileSync(path, 'utf8')
  try {
    const policy = JSON.parse(text) as { rules?: unknown }
    if (!Array.isArray(policy.rules)) throw new Error('it has no "rules" array')
  } catch (error) {
    throw new ConfigurationError(
      `Input 'lifecycle-policy' (${path}) is not an ECR lifecycle policy: ${(error as Error).message}`,
      {
        file: path,
      },
    )
  }
  return text
}

/** Every input is read and checked before anything is built or pushed, so a typo fails in the first second. */
export function getInputs(): Inputs {
  const bundle = getPathInput('bundle', { required: true, mustExist: 'directory' })
  const repositoryInput = getOptionalInput('repository')
  if (repositoryInput === undefined) {
    throw new ConfigurationError(
      "Input 'repository' is required: an ECR name such as models/readmission or registry/path",
    )
  }
  const target = resolveTarget(repositoryInput, getOptionalInput('registry'))
  const repository = target.kind === 'layout' ? repositoryInput : target.repository
  const modelVersion = getOptionalInput('model-version')
  const tags = getListInput('tags')
  const chosenTags = tags.length > 0 ? tags : [modelVersion ?? 'latest']
  for (const tag of chosenTags) {
    if (!isValidTag(tag)) {
      throw new ConfigurationError(
        `Input 'tags' has '${tag}', which is not a valid tag (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-')`,
      )
    }
  }
  const threshold = getEnumInput('scan-severity-threshold', ['none', ...SEVERITIES] as const, 'none')
  const username = getOptionalInput('registry-username')
  const password = getSecretInput('registry-password')
  if ((username === undefined) !== (password === undefined)) {
    throw new ConfigurationError(
      "Inputs 'registry-username' and 'registry-password' go together: set both or neither",
    )
  }
  const mode = getEnumInput('mode', ['auto', 'docker', 'assemble'] as const, 'auto')
  if (mode === 'docker' && target.kind === 'layout') {
    throw new ConfigurationError(
      "Input 'mode' is docker, which pushes to a registry: set 'registry' (or use mode assemble for a layout)",
    )
  }
  const layoutInput = getPathInput('layout-dir')
  return {
    bundle,
    target,
    repository,
    tags: chosenTags,
    mode,
    baseImage: getOptionalInput('base-image'),
    platforms: getListInput('platforms'),
    insecure: getBooleanInput('insecure-registry', false),
    credentials: username !== undefined && password !== undefined ? { username, password } : undefined,
    createRepository: getBooleanInput('create-repository', true),
    lifecyclePolicy: readLifecyclePolicy(),
    scanThreshold: threshold === 'none' ? undefined : threshold,
    scanTimeoutMs: getNumberInput('scan-timeout-seconds', { min: 0, default: 600 }) * 1000,
    layoutDir: layoutInput ?? (target.kind === 'layout' ? defaultLayoutDir() : undefined),
    modelName: getOptionalInput('model-name') ?? repository.split('/').pop()!,
    modelVersion,
    dockerfile: getPathInput('dockerfile', { mustExist: 'file' }),
  }
}

function defaultLayoutDir(): string {
  return resolve(process.env['GITHUB_WORKSPACE'] || process.cwd(), 'image-layout')
}
