import { sha256Digest } from './digest.js'
import type { ImageSource } from './image-source.js'
import { OCI_CONFIG, OCI_MANIFEST, type ImageConfig, type ImageManifest } from './media-types.js'

export interface ScratchConfig {
  /** Process the image runs, e.g. ['node', '/app/server.mjs']. */
  entrypoint: string[]
  env?: Record<string, string>
  user?: string
  workingDir?: string
  exposedPorts?: number[]
  architecture?: string
}

/**
 * An image with no layers and the given config, as a base to assemble onto: what `FROM scratch` is in a
 * Dockerfile. Lets a machine without a registry or a daemon build an image from layers it makes itself.
 */
export function scratchSource(config: ScratchConfig): ImageSource {
  const imageConfig: ImageConfig = {
    architecture: config.architecture ?? 'amd64',
    os: 'linux',
    config: {
      Entrypoint: config.entrypoint,
      Env: Object.entries(config.env ?? {}).map(([k, v]) => `${k}=${v}`),
      ...(config.user ? { User: config.user } : {}),
      ...(config.workingDir ? { WorkingDir: config.workingDir } : {}),
      ...(config.exposedPorts?.length
        ? { ExposedPorts: Object.fromEntries(config.exposedPorts.map((p) => [`${p}/tcp`, {}])) }
        : {}),
    },
    rootfs: { type: 'layers', diff_ids: [] },
    history: [],
  }
  const configBytes = Buffer.from(JSON.stringify(imageConfig), 'utf8')
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: sha256Digest(configBytes), size: configBytes.length },
    layers: [],
  }
  const manifestBytes = Buffer.from(JSON.stringify(manifest), 'utf8')
  const root = { mediaType: OCI_MANIFEST, digest: sha256Digest(manifestBytes), bytes: manifestBytes }
  const blobs = new Map([[manifest.config.digest, configBytes]])
  return {
    name: 'scratch',
    root: async () => root,
    manifest: async () => root,
    blob: async (digest) => {
      const blob = blobs.get(digest)
      if (!blob) throw new Error(`scratch image has no blob ${digest}`)
      return blob
    },
  }
}
