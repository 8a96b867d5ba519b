import { createWriteStream } from 'node:fs'
import { open, readFile, stat } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import { basename, joinArtifactPath, normalizeArtifactPath } from './artifact-path.js'
import type { ArtifactRepository } from './artifact-repository.js'
import { invalidParameter, MlflowError, notFound, PERMISSION_DENIED } from './errors.js'
import { networkCode } from './rest-errors.js'
import type { FileInfo } from './types.js'

export interface S3Options {
  region?: string | undefined
  /** MLFLOW_S3_ENDPOINT_URL: MinIO, Ceph, or a local test server. */
  endpoint?: string | undefined
  forcePathStyle?: boolean | undefined
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined
  /** Files at least this large go as a multipart upload, in parts of this size (S3's minimum is 5 MiB). */
  partSizeBytes?: number | undefined
  /** A client of your own (custom credential provider, middleware); the fields above are then ignored. */
  client?: S3Client | undefined
}

export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(uri)
  if (match === null || match[1] === undefined)
    throw invalidParameter(`Invalid S3 URI '${uri}': expected s3://<bucket>/<key>.`)
  return { bucket: match[1], prefix: normalizeArtifactPath(match[2] ?? '') }
}

export function createS3Client(options: S3Options): S3Client {
  return new S3Client({
    region: options.region ?? 'us-east-1',
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    forcePathStyle: options.forcePathStyle ?? false,
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    // Checksums only where S3 demands them: S3-compatible stores often reject the newer trailers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
}

/** Artifacts straight in S3, when a run's artifact_uri is s3:// (no proxy in between). */
export class S3ArtifactRepository implements ArtifactRepository {
  private readonly client: S3Client
  private readonly bucket: string
  private readonly prefix: string
  private readonly partSize: number
  private readonly options: S3Options

  constructor(rootUri: string, options: S3Options) {
    const { bucket, prefix } = parseS3Uri(rootUri)
    this.bucket = bucket
    this.prefix = prefix
    this.options = options
    this.partSize = Math.max(5 * 1024 * 1024, options.partSizeBytes ?? 10 * 1024 * 1024)
    this.client = options.client ?? createS3Client(options)
  }

  private key(path: string): string {
    return joinArtifactPath(this.prefix, path)
  }

  private where(path: string): string {
    return `s3://${this.bucket}/${this.key(path)}`
  }

  async uploadFile(localFile: string, artifactPath: string): Promise<void> {
    const key = this.key(artifactPath)
    const { size } = await stat(localFile)
    try {
      if (size < this.partSize) {
        await this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: await readFile(localFile) }),
        )
        return
      }
      await this.uploadInParts(localFile, key, size)
    } catch (error) {
      throw this.explain(error, `upload ${localFile} to ${this.where(artifactPath)}`)
    }
  }

  private async uploadInParts(localFile: string, key: string, size: number): Promise<void> {
    const created = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key }),
    )
    const uploadId = created.UploadId
    if (uploadId === undefined) throw new Error('S3 returned no UploadId')
    const file = await open(localFile, 'r')
    try {
      const parts: { PartNumber: number; ETag: string }[] = []
      // Sequential, one part in memory: the SDK already retries each request.
      for (let offset = 0, partNumber = 1; offset < size; offset += this.partSize, partNumber++) {
        const length = Math.min(this.partSize, size - offset)
        const buffer = Buffer.alloc(length)
        await file.read(buffer, 0, length, offset)
        const answer = await this.client.send(
          new UploadPartCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: buffer,
          }),
        )
        parts.push({ PartNumber: partNumber, ETag: answer.ETag ?? '' })
      }
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      )
    } catch (error) {
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }))
        .catch(() => undefined)
      throw error
    } finally {
      await file.close()
    }
  }

  async list(path: string): Promise<FileInfo[]> {
    const dir = normalizeArtifactPath(path)
    const keyPrefix = this.key(dir)
    const prefix = keyPrefix === '' ? '' : `${keyPrefix}/`
    const out: FileInfo[] = []
    let token: string | undefined
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            Delimiter: '/',
            ContinuationToken: token,
          }),
        )
        for (const common of page.CommonPrefixes ?? []) {
          const name = basename(common.Prefix ?? '')
          if (name !== '') out.push({ path: joinArtifactPath(dir, name), isDir: true, fileSize: undefined })
        }
        for (const object of page.Contents ?? []) {
          const name = (object.Key ?? '').slice(prefix.length)
          if (name === '' || name.includes('/')) continue
          out.push({ path: joinArtifactPath(dir, name), isDir: false, fileSize: object.Size })
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined
      } while (token !== undefined)
    } catch (error) {
      throw this.explain(error, `list ${this.where(dir)}`)
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  }

  async downloadFile(artifactPath: string, localFile: string): Promise<void> {
    try {
      const answer = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.key(artifactPath) }),
      )
      if (answer.Body === undefined) throw new Error('S3 returned no body')
      await pipeline(answer.Body as Readable, createWriteStream(localFile))
    } catch (error) {
      throw this.explain(error, `download ${this.where(artifactPath)}`)
    }
  }

  /** The SDK's errors name S3 internals; say which setting to change instead. */
  private explain(error: unknown, action: string): unknown {
    if (error instanceof MlflowError) return error
    const e = error as { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number } }
    const name = typeof e.name === 'string' ? e.name : ''
    const status = e.$metadata?.httpStatusCode
    const said = typeof e.message === 'string' && e.message !== '' ? `: ${e.message}` : ''
    if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
      return notFound(`Could not ${action}: it does not exist${said}.`)
    }
    if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(String(e.message))) {
      return new MlflowError(
        `Could not ${action}: no AWS credentials. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give the ` +
          'job a role (for example with aws-actions/configure-aws-credentials).',
        { errorCode: 'UNAUTHENTICATED' },
        { cause: error },
      )
    }
    if (
      status === 403 ||
      name === 'AccessDenied' ||
      name === 'InvalidAccessKeyId' ||
      name === 'SignatureDoesNotMatch'
    ) {
      return new MlflowError(
        `S3 refused to ${action} (${name || status})${said}. The AWS credentials in use (AWS_ACCESS_KEY_ID or ` +
          "the job's role) need s3:GetObject, s3:PutObject and s3:ListBucket on that bucket.",
        { status: 403, errorCode: PERMISSION_DENIED },
        { cause: error },
      )
    }
    const code = networkCode(error)
    if (status === undefined && code !== undefined) {
      const endpoint = this.options.endpoint ?? 'the AWS default endpoint'
      return new MlflowError(
        `Could not reach S3 at ${endpoint} (${code}) to ${action}: check MLFLOW_S3_ENDPOINT_URL and AWS_REGION.`,
        { errorCode: 'CONNECTION_FAILED' },
        { cause: error },
      )
    }
    return new MlflowError(
      `Could not ${action} (${name || status || 'S3 error'})${said}`,
      {
        status,
        errorCode: name || 'S3_ERROR',
      },
      { cause: error },
    )
  }
}
