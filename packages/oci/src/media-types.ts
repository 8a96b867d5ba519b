export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json'
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip'
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json'
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json'
export const DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip'

export const MANIFEST_TYPES = [OCI_MANIFEST, DOCKER_MANIFEST] as const
export const INDEX_TYPES = [OCI_INDEX, DOCKER_MANIFEST_LIST] as const

export function isIndexType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && (INDEX_TYPES as readonly string[]).includes(mediaType)
}

export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  annotations?: Record<string, string>
  platform?: Platform
}

export interface Platform {
  architecture: string
  os: string
  variant?: string
}

export interface ImageManifest {
  schemaVersion: 2
  mediaType?: string
  config: Descriptor
  layers: Descriptor[]
  annotations?: Record<string, string>
}

export interface ImageIndex {
  schemaVersion: 2
  mediaType?: string
  manifests: Descriptor[]
  annotations?: Record<string, string>
}

/** The parts of an OCI image config this package reads or changes; everything else is carried through as is. */
export interface ImageConfig {
  architecture?: string
  os?: string
  variant?: string
  created?: string
  config?: { Env?: string[]; Labels?: Record<string, string>; [key: string]: unknown }
  rootfs: { type: 'layers'; diff_ids: string[] }
  history?: Array<Record<string, unknown>>
  [key: string]: unknown
}
