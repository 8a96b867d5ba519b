export * from './errors.js'
export * from './media-types.js'
export { sha256Digest, isDigest } from './digest.js'
export type { RequestRetryOptions } from './retry-requests.js'
export { parseAuthChallenge, type AuthChallenge } from './registry-auth.js'
export {
  parseImageReference,
  formatImageReference,
  isValidTag,
  type ImageReference,
} from './image-reference.js'
export {
  RegistryClient,
  type RegistryClientOptions,
  type RegistryCredentials,
  type RegistryRequestRecord,
  type FetchedManifest,
  type BlobPushResult,
} from './registry-client.js'
export {
  folderEntries,
  folderLayer,
  writeTar,
  deterministicGzip,
  reproducibleEpoch,
  type TarEntry,
  type TarOptions,
  type LayerBlob,
} from './deterministic-tar.js'
export {
  openImageSource,
  registrySource,
  layoutSource,
  parseLayoutReference,
  readLayoutIndex,
  type ImageSource,
} from './image-source.js'
export {
  assembleImage,
  modelImageLabels,
  epochTimestamp,
  formatPlatform,
  type AssembleOptions,
  type AssembledImage,
  type BuiltManifest,
  type ModelImageMetadata,
} from './assemble-image.js'
export { pushImage, type PushResult, type PushedBlob } from './push-image.js'
export { writeImageLayout, type LayoutResult } from './image-layout.js'
export * from './ecr.js'
export { scratchSource, type ScratchConfig } from './scratch-source.js'
