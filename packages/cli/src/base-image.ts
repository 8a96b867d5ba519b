import { stat } from 'node:fs/promises'
import {
  assembleImage,
  epochTimestamp,
  folderLayer,
  reproducibleEpoch,
  scratchSource,
  writeImageLayout,
} from '@mlops/oci'
import { UsageError } from './input-env.js'

export interface BaseImageOptions {
  /** The built server (serve/dist): becomes /app in the image. */
  appDir: string
  layoutDir: string
  tag: string
}

/**
 * Writes the serve application as a one-layer image into an OCI layout, for machines with neither a registry nor
 * a Docker daemon: ecr-push's assemble mode puts the model layer on it, as it does on the published serve image in
 * a release. The layer holds the server bundle only; the published image (serve/Dockerfile) adds Node and
 * onnxruntime-node's native library underneath.
 */
export async function writeServeBaseImage(
  options: BaseImageOptions,
): Promise<{ digest: string; reference: string }> {
  const found = await stat(options.appDir).catch(() => undefined)
  if (!found?.isDirectory())
    throw new UsageError(
      `${options.appDir} not found: build the server first (pnpm --filter @mlops/serve build)`,
    )
  const image = await assembleImage({
    base: scratchSource({
      entrypoint: ['node', '/app/server.mjs'],
      user: '10001',
      workingDir: '/app',
      exposedPorts: [8080],
      env: { NODE_ENV: 'production', PORT: '8080' },
    }),
    layer: await folderLayer(options.appDir, 'app'),
    env: {},
    labels: { 'org.opencontainers.image.title': 'mlops-actions model server (application layer)' },
    created: epochTimestamp(reproducibleEpoch()),
    createdBy: 'mlops base-image',
  })
  const layout = await writeImageLayout(options.layoutDir, image, [options.tag])
  return { digest: layout.digest, reference: `oci:${options.layoutDir}:${options.tag}` }
}
