import type { AssembledImage } from './assemble-image.js'
import { RegistryError } from './errors.js'
import type { BlobPushResult, RegistryClient } from './registry-client.js'

export interface PushedBlob {
  digest: string
  size: number
  kind: 'config' | 'base layer' | 'model layer'
  result: BlobPushResult
}

export interface PushResult {
  /** Digest of what the tags point at (manifest or index). */
  digest: string
  tags: string[]
  /** Tags that were missing or pointed elsewhere (the others already named this digest). */
  updatedTags: string[]
  blobs: PushedBlob[]
}

/**
 * Pushes an assembled image: every blob (HEAD first, so a second push sends none), per-platform manifests by
 * digest, then the root under each tag. Base layers are mounted from the base repository when it is on the same
 * registry, and only downloaded when the target lacks them and cannot mount them.
 */
export async function pushImage(
  client: RegistryClient,
  repository: string,
  image: AssembledImage,
  tags: string[],
  onBlob?: (blob: PushedBlob) => void,
): Promise<PushResult> {
  const blobs: PushedBlob[] = []
  const seen = new Set<string>()
  const mountFrom =
    image.base.mountFrom &&
    image.base.mountFrom.registry === client.registry &&
    image.base.mountFrom.repository !== repository
      ? image.base.mountFrom.repository
      : undefined
  const push = async (
    digest: string,
    size: number,
    kind: PushedBlob['kind'],
    data: () => Promise<Uint8Array>,
    canMount: boolean,
  ): Promise<void> => {
    if (seen.has(digest)) return
    seen.add(digest)
    const result = await client.pushBlob(repository, digest, data, canMount && mountFrom ? { mountFrom } : {})
    const blob = { digest, size, kind, result }
    blobs.push(blob)
    onBlob?.(blob)
  }
  for (const manifest of image.manifests) {
    for (const layer of manifest.layers) {
      if (layer.fromBase)
        await push(layer.digest, layer.size, 'base layer', () => image.base.blob(layer.digest), true)
      else await push(layer.digest, layer.size, 'model layer', async () => image.layer.compressed, false)
    }
    const config = manifest.config
    await push(config.descriptor.digest, config.descriptor.size, 'config', async () => config.bytes, false)
  }
  if (image.manifests.length > 1 || image.manifests[0]!.digest !== image.root.digest) {
    for (const manifest of image.manifests)
      await client.putManifest(repository, manifest.digest, manifest.bytes, manifest.mediaType)
  }
  // A tag that already names this digest is left alone: nothing to send, and registries with immutable tags
  // (ECR's IMMUTABLE setting) refuse even an identical re-put of some manifests.
  const references = tags.length > 0 ? tags : [image.root.digest]
  const digest = image.root.digest
  const updated: string[] = []
  for (const reference of references) {
    if ((await client.manifestDigest(repository, reference)) === digest) continue
    const stored = await client.putManifest(repository, reference, image.root.bytes, image.root.mediaType)
    if (stored !== digest) {
      throw new RegistryError(
        `${client.registry} stored ${repository}:${reference} as ${stored}, not ${digest}: the registry rewrote the manifest, so deploying by digest would miss it`,
        client.registry,
      )
    }
    updated.push(reference)
  }
  return { digest, tags, updatedTags: updated, blobs }
}
