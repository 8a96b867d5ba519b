import { createHash } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { writeTar } from '../deterministic-tar.js'

function digest(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`
}

/**
 * A two-file base image (a stand-in for the serve image, no binaries) written as an OCI layout by hand: plain
 * JSON and a tar, so the test's base does not come from the code under test's assembly path. With `platforms`
 * it writes an index with one image per platform.
 */
export async function writeTinyBaseLayout(
  dir: string,
  tag: string,
  platforms: Array<{ os: string; architecture: string }> = [{ os: 'linux', architecture: 'amd64' }],
): Promise<{ manifestDigests: string[] }> {
  const blobs = join(dir, 'blobs', 'sha256')
  await mkdir(blobs, { recursive: true })
  const put = async (data: Uint8Array): Promise<string> => {
    const d = digest(data)
    await writeFile(join(blobs, d.slice(7)), data)
    return d
  }
  const manifests: Array<{
    mediaType: string
    digest: string
    size: number
    platform: { os: string; architecture: string }
  }> = []
  for (const platform of platforms) {
    const tar = writeTar([
      { path: 'app', type: 'directory', mode: 0o755 },
      {
        path: 'app/server.js',
        type: 'file',
        mode: 0o644,
        data: Buffer.from(`console.log('serve on ${platform.architecture}')\n`),
      },
      { path: 'etc', type: 'directory', mode: 0o755 },
      { path: 'etc/os-release', type: 'file', mode: 0o644, data: Buffer.from('ID=tiny\n') },
    ])
    const layer = gzipSync(tar)
    const layerDigest = await put(layer)
    const config = Buffer.from(
      JSON.stringify({
        architecture: platform.architecture,
        os: platform.os,
        created: '2026-01-01T00:00:00Z',
        config: {
          Env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'MODEL_URI=/somewhere-else'],
          Cmd: ['node', '/app/server.js'],
          User: '10001',
          Labels: { 'org.opencontainers.image.title': 'tiny-base' },
        },
        rootfs: { type: 'layers', diff_ids: [digest(tar)] },
        history: [{ created: '2026-01-01T00:00:00Z', created_by: 'tiny base' }],
      }),
    )
    const configDigest = await put(config)
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: configDigest,
          size: config.length,
        },
        layers: [
          {
            mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
            digest: layerDigest,
            size: layer.length,
          },
        ],
      }),
    )
    manifests.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: await put(manifest),
      size: manifest.length,
      platform,
    })
  }
  let top: { mediaType: string; digest: string; size: number }
  if (platforms.length === 1) {
    top = { mediaType: manifests[0]!.mediaType, digest: manifests[0]!.digest, size: manifests[0]!.size }
  } else {
    const index = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }),
    )
    top = {
      mediaType: 'application/vnd.oci.image.index.v1+json',
      digest: await put(index),
      size: index.length,
    }
  }
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ ...top, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    }),
  )
  return { manifestDigests: manifests.map((m) => m.digest) }
}
