import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { digestHex, sha256Digest } from './digest.js'
import { ImageInputError, ImageNotFoundError } from './errors.js'
import { parseImageReference, type ImageReference } from './image-reference.js'
import type { ImageIndex } from './media-types.js'
import type { FetchedManifest, RegistryClient } from './registry-client.js'

/** Where a base image's manifests and blobs come from: a registry repository or an OCI layout folder. */
export interface ImageSource {
  /** For messages and the base-name label, e.g. `127.0.0.1:5000/base:1` or `oci:/path/layout:base`. */
  name: string
  /** The manifest or index the reference names. */
  root(): Promise<FetchedManifest>
  manifest(digest: string): Promise<FetchedManifest>
  blob(digest: string): Promise<Buffer>
  /** Set when blobs can be mounted instead of copied (same registry, another repository). */
  mountFrom?: { registry: string; repository: string }
}

export function registrySource(client: RegistryClient, ref: ImageReference): ImageSource {
  const reference = ref.digest ?? ref.tag ?? 'latest'
  return {
    name: `${ref.registry}/${ref.repository}${ref.digest ? `@${ref.digest}` : `:${reference}`}`,
    root: () => client.getManifest(ref.repository, reference),
    manifest: (digest) => client.getManifest(ref.repository, digest),
    blob: (digest) => client.getBlob(ref.repository, digest),
    mountFrom: { registry: client.registry, repository: ref.repository },
  }
}

/** `oci:<folder>[:<tag>]` as skopeo writes it. */
export function parseLayoutReference(
  text: string,
  cwd = process.cwd(),
): { dir: string; tag?: string } | undefined {
  if (!text.startsWith('oci:')) return undefined
  const rest = text.slice(4)
  const colon = rest.lastIndexOf(':')
  // A colon inside a Windows drive letter (C:\x) is part of the path, not a tag separator.
  if (colon > 1) return { dir: resolve(cwd, rest.slice(0, colon)), tag: rest.slice(colon + 1) }
  return { dir: resolve(cwd, rest) }
}

const REF_NAME = 'org.opencontainers.image.ref.name'

export async function readLayoutIndex(dir: string): Promise<ImageIndex> {
  let text: string
  try {
    text = await readFile(join(dir, 'index.json'), 'utf8')
  } catch (error) {
    throw new ImageInputError(
      `${dir} is not an OCI image layout: it has no index.json (write one with skopeo copy ... oci:${dir}:<tag>)`,
      { cause: error },
    )
  }
  try {
    const index = JSON.parse(text) as ImageIndex
    if (!Array.isArray(index.manifests)) throw new Error('no manifests array')
    return index
  } catch (error) {
    throw new ImageInputError(
      `${join(dir, 'index.json')} is not a valid OCI index: ${(error as Error).message}`,
    )
  }
}

export function layoutSource(dir: string, tag: string | undefined): ImageSource {
  const name = `oci:${dir}${tag ? `:${tag}` : ''}`
  const blob = async (digest: string): Promise<Buffer> => {
    const path = join(dir, 'blobs', 'sha256', digestHex(digest))
    let bytes: Buffer
    try {
      bytes = await readFile(path)
    } catch (error) {
      throw new ImageInputError(`The OCI layout ${dir} lacks blob ${digest} (${path})`, { cause: error })
    }
    if (sha256Digest(bytes) !== digest)
      throw new ImageInputError(`Blob ${path} in ${dir} does not match its digest`)
    return bytes
  }
  const manifest = async (digest: string): Promise<FetchedManifest> => {
    const bytes = await blob(digest)
    const mediaType = (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ?? ''
    return { digest, bytes, mediaType }
  }
  return {
    name,
    blob,
    manifest,
    root: async () => {
      const index = await readLayoutIndex(dir)
      const named = index.manifests.filter((m) => (tag ? m.annotations?.[REF_NAME] === tag : true))
      if (named.length !== 1) {
        const tags = index.manifests.map((m) => m.annotations?.[REF_NAME]).filter(Boolean)
        throw new ImageNotFoundError(
          tag
            ? `Image ${name} does not exist: the layout has no image tagged '${tag}' (it has ${tags.join(', ') || 'no tags'})`
            : `Image ${name} is ambiguous: the layout holds ${named.length} images; add :<tag> (one of ${tags.join(', ')})`,
          dir,
          name,
        )
      }
      const found = await manifest(named[0]!.digest)
      return { ...found, mediaType: found.mediaType || named[0]!.mediaType }
    },
  }
}

/**
 * Opens a base image from `oci:<folder>[:tag]` (relative to `cwd`) or a registry reference, with a client for
 * its registry.
 */
export function openImageSource(
  text: string,
  clientFor: (registry: string) => RegistryClient,
  cwd = process.cwd(),
): ImageSource {
  const layout = parseLayoutReference(text, cwd)
  if (layout) return layoutSource(layout.dir, layout.tag)
  const ref = parseImageReference(text)
  return registrySource(clientFor(ref.registry), ref)
}

export { REF_NAME }
