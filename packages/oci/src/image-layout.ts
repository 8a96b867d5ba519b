import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { AssembledImage } from './assemble-image.js'
import { digestHex } from './digest.js'
import { REF_NAME } from './image-source.js'
import { OCI_INDEX, type Descriptor, type ImageIndex } from './media-types.js'

export interface LayoutResult {
  dir: string
  digest: string
  tags: string[]
}

/**
 * Writes the image into an OCI image layout folder (oci-layout, index.json, blobs/sha256/...), the format
 * `skopeo copy oci:<dir>:<tag> docker://...` and `docker load`-style tools read. An existing layout is added to:
 * entries with the same tag are replaced, other images stay.
 */
export async function writeImageLayout(
  dir: string,
  image: AssembledImage,
  tags: string[],
): Promise<LayoutResult> {
  const blobs = join(dir, 'blobs', 'sha256')
  await mkdir(blobs, { recursive: true })
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }) + '\n')
  const put = async (digest: string, data: () => Promise<Uint8Array>): Promise<void> => {
    const path = join(blobs, digestHex(digest))
    if (
      await stat(path).then(
        () => true,
        () => false,
      )
    )
      return
    // Write then rename, so an interrupted run never leaves a truncated blob under a valid digest name.
    await writeFile(`${path}.partial`, await data())
    await rename(`${path}.partial`, path)
  }
  for (const manifest of image.manifests) {
    for (const layer of manifest.layers) {
      await put(
        layer.digest,
        layer.fromBase ? () => image.base.blob(layer.digest) : async () => image.layer.compressed,
      )
    }
    await put(manifest.config.descriptor.digest, async () => manifest.config.bytes)
    await put(manifest.digest, async () => manifest.bytes)
  }
  await put(image.root.digest, async () => image.root.bytes)

  let index: ImageIndex = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }
  try {
    index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as ImageIndex
  } catch {
    // No index yet: a fresh layout.
  }
  const names = tags.length > 0 ? tags : [undefined]
  const kept = index.manifests.filter((m) => {
    const name = m.annotations?.[REF_NAME]
    return name === undefined ? m.digest !== image.root.digest : !tags.includes(name)
  })
  const added: Descriptor[] = names.map((tag) => ({
    mediaType: image.root.mediaType,
    digest: image.root.digest,
    size: image.root.bytes.length,
    ...(tag ? { annotations: { [REF_NAME]: tag } } : {}),
  }))
  index = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [...kept, ...added] }
  await writeFile(join(dir, 'index.json'), JSON.stringify(index, null, 2) + '\n')
  return { dir, digest: image.root.digest, tags }
}
