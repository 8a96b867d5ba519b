import { sha256Digest } from './digest.js'
import { ImageInputError } from './errors.js'
import type { LayerBlob } from './deterministic-tar.js'
import type { ImageSource } from './image-source.js'
import {
  DOCKER_MANIFEST,
  DOCKER_LAYER_GZIP,
  isIndexType,
  OCI_LAYER_GZIP,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  type Platform,
} from './media-types.js'

export interface AssembleOptions {
  base: ImageSource
  layer: LayerBlob
  /** Environment to set in the image config, replacing existing entries of the same name. */
  env: Record<string, string>
  labels: Record<string, string>
  /** RFC 3339 time for the config and history: fixed, so the same inputs give the same digest. */
  created: string
  /** Platforms to keep when the base is multi-platform (`linux/amd64`); empty keeps every platform. */
  platforms?: string[]
  /** The history line for the new layer. */
  createdBy?: string
}

export interface BuiltManifest {
  mediaType: string
  bytes: Buffer
  digest: string
  platform?: Platform
  config: { descriptor: Descriptor; bytes: Buffer }
  /** Every layer, base ones first; `fromBase` says whether the bytes come from the base source. */
  layers: Array<Descriptor & { fromBase: boolean }>
}

export interface AssembledImage {
  /** What tags point at: an image manifest, or an index when the base was multi-platform. */
  root: { mediaType: string; bytes: Buffer; digest: string }
  manifests: BuiltManifest[]
  layer: LayerBlob
  base: ImageSource
  baseDigest: string
}

/** Serialises JSON the same way every time (key order as constructed, no whitespace). */
function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8')
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`
}

/**
 * Appends the model layer to a base image and updates its config. Output keeps the base's manifest format
 * (OCI or Docker schema 2), so a base pulled by docker stays pullable by old clients. Pure apart from reading
 * the base: the same base, layer, env, labels and time give byte-identical manifests, hence the same digest.
 */
export async function assembleImage(options: AssembleOptions): Promise<AssembledImage> {
  const root = await options.base.root()
  const wanted = (options.platforms ?? []).map((p) => p.trim()).filter((p) => p !== '')
  if (!isIndexType(root.mediaType)) {
    const built = await assembleOne(
      options,
      JSON.parse(root.bytes.toString('utf8')) as ImageManifest,
      root.mediaType,
    )
    const actual = built.platform ? formatPlatform(built.platform) : 'unknown'
    if (wanted.length > 0 && !wanted.some((p) => platformMatches(p, built.platform))) {
      throw new ImageInputError(
        `Base image ${options.base.name} is single-platform (${actual}), not ${wanted.join(', ')}: pick a multi-platform base or set platforms to ${actual}`,
      )
    }
    return {
      root: built,
      manifests: [built],
      layer: options.layer,
      base: options.base,
      baseDigest: root.digest,
    }
  }
  const index = JSON.parse(root.bytes.toString('utf8')) as ImageIndex
  // Attestation manifests (platform unknown/unknown) describe the base build, not ours: leave them out.
  const images = index.manifests.filter((m) => m.platform && m.platform.os !== 'unknown')
  const chosen =
    wanted.length === 0 ? images : images.filter((m) => wanted.some((p) => platformMatches(p, m.platform)))
  const missing = wanted.filter((p) => !images.some((m) => platformMatches(p, m.platform)))
  if (missing.length > 0 || chosen.length === 0) {
    throw new ImageInputError(
      `Base image ${options.base.name} has no ${missing.join(', ') || 'image'} variant; it has ${images.map((m) => formatPlatform(m.platform!)).join(', ') || 'none'}`,
    )
  }
  const manifests: BuiltManifest[] = []
  for (const entry of chosen) {
    const fetched = await options.base.manifest(entry.digest)
    manifests.push(
      await assembleOne(
        options,
        JSON.parse(fetched.bytes.toString('utf8')) as ImageManifest,
        fetched.mediaType || entry.mediaType,
      ),
    )
  }
  // One platform asked for: a plain manifest, which every client and `docker pull` handles the same way.
  if (manifests.length === 1 && wanted.length === 1) {
    return {
      root: manifests[0]!,
      manifests,
      layer: options.layer,
      base: options.base,
      baseDigest: root.digest,
    }
  }
  const newIndex: ImageIndex = {
    schemaVersion: 2,
    mediaType: root.mediaType,
    manifests: manifests.map((m) => ({
      mediaType: m.mediaType,
      digest: m.digest,
      size: m.bytes.length,
      ...(m.platform ? { platform: m.platform } : {}),
    })),
  }
  const bytes = jsonBytes(newIndex)
  return {
    root: { mediaType: root.mediaType, bytes, digest: sha256Digest(bytes) },
    manifests,
    layer: options.layer,
    base: options.base,
    baseDigest: root.digest,
  }
}

function platformMatches(text: string, platform: Platform | undefined): boolean {
  if (!platform) return false
  const [os, arch, variant] = text.split('/')
  return (
    platform.os === os &&
    platform.architecture === arch &&
    (variant === undefined || platform.variant === variant)
  )
}

async function assembleOne(
  options: AssembleOptions,
  manifest: ImageManifest,
  mediaType: string,
): Promise<BuiltManifest> {
  if (!manifest.config || !Array.isArray(manifest.layers)) {
    throw new ImageInputError(
      `Base image ${options.base.name} has a manifest without config or layers (media type ${mediaType || 'none'})`,
    )
  }
  const baseConfig = JSON.parse(
    (await options.base.blob(manifest.config.digest)).toString('utf8'),
  ) as ImageConfig
  if (!baseConfig.rootfs || !Array.isArray(baseConfig.rootfs.diff_ids)) {
    throw new ImageInputError(`Base image ${options.base.name} has a config without rootfs.diff_ids`)
  }
  const docker = mediaType === DOCKER_MANIFEST
  const inner = { ...(baseConfig.config ?? {}) }
  const env = (inner.Env ?? []).filter(
    (line) => !Object.keys(options.env).some((name) => line.startsWith(`${name}=`)),
  )
  inner.Env = [...env, ...Object.entries(options.env).map(([name, value]) => `${name}=${value}`)]
  inner.Labels = { ...(inner.Labels ?? {}), ...options.labels }
  const config: ImageConfig = {
    ...baseConfig,
    created: options.created,
    config: inner,
    rootfs: { type: 'layers', diff_ids: [...baseConfig.rootfs.diff_ids, options.layer.diffId] },
    history: [
      ...(baseConfig.history ?? []),
      {
        created: options.created,
        created_by: options.createdBy ?? 'COPY model bundle /model (mlops-actions)',
      },
    ],
  }
  const configBytes = jsonBytes(config)
  const configDescriptor: Descriptor = {
    mediaType: manifest.config.mediaType,
    digest: sha256Digest(configBytes),
    size: configBytes.length,
  }
  const newLayer: Descriptor = {
    mediaType: docker ? DOCKER_LAYER_GZIP : OCI_LAYER_GZIP,
    digest: options.layer.digest,
    size: options.layer.compressed.length,
  }
  const out: ImageManifest = {
    schemaVersion: 2,
    ...(mediaType ? { mediaType } : {}),
    config: configDescriptor,
    layers: [...manifest.layers, newLayer],
    ...(manifest.annotations ? { annotations: manifest.annotations } : {}),
  }
  const bytes = jsonBytes(out)
  const platform: Platform | undefined =
    baseConfig.os && baseConfig.architecture
      ? {
          architecture: baseConfig.architecture,
          os: baseConfig.os,
          ...(baseConfig.variant ? { variant: baseConfig.variant } : {}),
        }
      : undefined
  return {
    mediaType,
    bytes,
    digest: sha256Digest(bytes),
    ...(platform ? { platform } : {}),
    config: { descriptor: configDescriptor, bytes: configBytes },
    layers: [...manifest.layers.map((l) => ({ ...l, fromBase: true })), { ...newLayer, fromBase: false }],
  }
}

export interface ModelImageMetadata {
  modelName: string
  modelVersion?: string
  dataHash?: string
  gitSha?: string
  /** Repository URL, e.g. https://github.com/org/repo. */
  source?: string
  created: string
  baseName?: string
  baseDigest?: string
}

/** The labels the serving image carries: OCI's standard keys plus io.mlops.model.* for the model's provenance. */
export function modelImageLabels(m: ModelImageMetadata): Record<string, string> {
  const labels: Record<string, string> = {
    'org.opencontainers.image.created': m.created,
    'org.opencontainers.image.title': m.modelName,
    'org.opencontainers.image.description': `Model server for ${m.modelName}${m.modelVersion ? ` version ${m.modelVersion}` : ''}`,
    'io.mlops.model.name': m.modelName,
  }
  if (m.modelVersion) {
    labels['org.opencontainers.image.version'] = m.modelVersion
    labels['io.mlops.model.version'] = m.modelVersion
  }
  if (m.dataHash) labels['io.mlops.model.data-hash'] = m.dataHash
  if (m.gitSha) {
    labels['io.mlops.model.git-sha'] = m.gitSha
    labels['org.opencontainers.image.revision'] = m.gitSha
  }
  if (m.source) labels['org.opencontainers.image.source'] = m.source
  if (m.baseName) labels['org.opencontainers.image.base.name'] = m.baseName
  if (m.baseDigest) labels['org.opencontainers.image.base.digest'] = m.baseDigest
  return labels
}

/** RFC 3339 (seconds) for a reproducible epoch in seconds. */
export function epochTimestamp(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}
