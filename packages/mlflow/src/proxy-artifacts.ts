import { createReadStream, createWriteStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import { basename, encodeArtifactPath, joinArtifactPath, normalizeArtifactPath } from './artifact-path.js'
import type { ArtifactRepository } from './artifact-repository.js'
import { hasErrorCode, invalidParameter, MlflowError } from './errors.js'
import type { RequestBody, RestClient } from './rest-client.js'
import { fileInfoFromWire } from './rest-wire.js'
import type { FileInfo } from './types.js'

export interface MultipartOptions {
  /** Bytes per part; S3, behind most proxies, needs at least 5 MiB for all parts but the last. */
  partSizeBytes: number
  /** Files at least this large go in parts. */
  thresholdBytes: number
  /** Parts in flight at once; each holds one part in memory. */
  concurrency: number
}

export const DEFAULT_MULTIPART: MultipartOptions = {
  partSizeBytes: 10 * 1024 * 1024,
  thresholdBytes: 10 * 1024 * 1024,
  concurrency: 4,
}

/** `mlflow-artifacts:/1/<run>/artifacts` -> `1/<run>/artifacts`; a host in the URI is not supported. */
export function proxyPathFromUri(uri: string): string {
  const match = /^mlflow-artifacts:(\/\/[^/]*)?(\/.*)?$/.exec(uri)
  if (match === null)
    throw invalidParameter(`Invalid artifact URI '${uri}': expected mlflow-artifacts:/<path>.`)
  if (match[1] !== undefined && match[1] !== '//') {
    throw new MlflowError(
      `Artifact URI ${uri} names its own server; only artifacts served by the tracking server ` +
        '(mlflow-artifacts:/path) can be reached. Set MLFLOW_TRACKING_URI to that server.',
      { errorCode: 'INVALID_CONFIGURATION' },
    )
  }
  return normalizeArtifactPath(match[2] ?? '')
}

/** Artifacts through the tracking server's proxy (`mlflow server --serve-artifacts`). */
export class ProxyArtifactRepository implements ArtifactRepository {
  private readonly client: RestClient
  private readonly root: string
  private readonly multipart: MultipartOptions

  constructor(client: RestClient, rootUri: string, multipart: Partial<MultipartOptions> = {}) {
    this.client = client
    this.root = proxyPathFromUri(rootUri)
    this.multipart = { ...DEFAULT_MULTIPART, ...multipart }
  }

  private full(path: string): string {
    return joinArtifactPath(this.root, path)
  }

  async uploadFile(localFile: string, artifactPath: string): Promise<void> {
    const { size } = await stat(localFile)
    const path = this.full(artifactPath)
    if (size >= this.multipart.thresholdBytes && size > 0) {
      const done = await this.uploadInParts(localFile, path, size)
      if (done) return
    }
    await this.client.request(
      {
        method: 'PUT',
        url: this.client.artifactsApiUrl(`artifacts/${encodeArtifactPath(path)}`),
        // Sized, not chunked: the server reads the body by its Content-Length.
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
        body: () => Readable.toWeb(createReadStream(localFile)) as unknown as RequestBody,
        action: `upload artifact '${artifactPath}'`,
      },
      async (response) => void (await response.arrayBuffer()),
    )
  }

  /** false when the server cannot do multipart (its artifact store has no presigned parts). */
  private async uploadInParts(localFile: string, path: string, size: number): Promise<boolean> {
    const partSize = this.multipart.partSizeBytes
    const numParts = Math.ceil(size / partSize)
    const routeUrl = (route: string): string =>
      this.client.artifactsApiUrl(`mpu/${route}/${encodeArtifactPath(path)}`)

    let created
    try {
      created = await this.client.callUrl(
        'POST',
        routeUrl('create'),
        { path, num_parts: numParts },
        { action: `start a multipart upload of '${path}'` },
      )
    } catch (error) {
      // 501: the artifact store cannot presign parts; 404: a server older than multipart (MLflow < 2.8).
      if (
        error instanceof MlflowError &&
        (error.status === 501 || hasErrorCode(error, 'ENDPOINT_NOT_FOUND'))
      ) {
        return false
      }
      throw error
    }
    const uploadId = String(created['upload_id'] ?? '')
    const credentials = (Array.isArray(created['credentials']) ? created['credentials'] : []) as {
      part_number?: unknown
      url?: unknown
      headers?: unknown
    }[]

    try {
      if (credentials.length !== numParts) {
        throw new MlflowError(
          `The server prepared ${credentials.length} upload URLs for '${path}' but ${numParts} parts are needed.`,
          { errorCode: 'UNEXPECTED_RESPONSE' },
        )
      }
      const file = await open(localFile, 'r')
      let parts: { part_number: number; etag: string; url: string }[]
      try {
        parts = await mapConcurrently(credentials, this.multipart.concurrency, async (credential) => {
          const partNumber = Number(credential.part_number)
          const url = String(credential.url ?? '')
          const offset = (partNumber - 1) * partSize
          const length = Math.min(partSize, size - offset)
          const headers = stringRecord(credential.headers)
          const etag = await this.client.request(
            {
              method: 'PUT',
              url,
              headers,
              // Re-read per attempt: a retried part is sent again in full from the file.
              body: async () => {
                const buffer = Buffer.alloc(length)
                await file.read(buffer, 0, length, offset)
                return buffer
              },
              external: true,
              action: `upload part ${partNumber} of ${numParts} of '${path}'`,
            },
            async (response) => {
              await response.arrayBuffer()
              return response.headers.get('etag') ?? ''
            },
          )
          return { part_number: partNumber, etag, url }
        })
      } finally {
        await file.close()
      }
      await this.client.callUrl(
        'POST',
        routeUrl('complete'),
        { path, upload_id: uploadId, parts: parts.sort((a, b) => a.part_number - b.part_number) },
        { action: `complete the multipart upload of '${path}'` },
      )
      return true
    } catch (error) {
      // Leftover parts cost storage until aborted; the original failure is what the user needs to see.
      await this.client
        .callUrl(
          'POST',
          routeUrl('abort'),
          { path, upload_id: uploadId },
          { action: `abort the multipart upload of '${path}'` },
        )
        .catch(() => undefined)
      throw error
    }
  }

  async list(path: string): Promise<FileInfo[]> {
    const dir = normalizeArtifactPath(path)
    const answer = await this.client.callUrl(
      'GET',
      this.client.artifactsApiUrl('artifacts'),
      { path: this.full(dir) },
      { action: `list artifacts under '${dir}'`, subject: `artifact folder '${dir}'` },
    )
    const files = Array.isArray(answer['files']) ? answer['files'] : []
    // This route names children by basename; ours are relative to the repository root.
    return files.map((raw) => {
      const info = fileInfoFromWire(raw)
      return { ...info, path: joinArtifactPath(dir, basename(info.path)) }
    })
  }

  async downloadFile(artifactPath: string, localFile: string): Promise<void> {
    const path = this.full(artifactPath)
    await this.client.request(
      {
        method: 'GET',
        url: this.client.artifactsApiUrl(`artifacts/${encodeArtifactPath(path)}`),
        action: `download artifact '${artifactPath}'`,
        subject: `artifact '${artifactPath}'`,
      },
      async (response) => {
        if (response.body === null) throw new Error('empty response body')
        await pipeline(Readable.fromWeb(response.body as WebReadableStream), createWriteStream(localFile))
      },
    )
  }
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) out[k] = String(v)
  }
  return out
}

/** Like Promise.all over items, with at most `limit` running; the first failure stops new work. */
async function mapConcurrently<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  let failed = false
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++
      try {
        results[index] = await fn(items[index]!)
      } catch (error) {
        failed = true
        throw error
      }
    }
  }
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker)
  const settled = await Promise.allSettled(workers)
  const rejection = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
  if (rejection !== undefined) throw rejection.reason
  return results
}
