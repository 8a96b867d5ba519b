import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { createWriteStream } from 'node:fs'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { DataError } from '../errors.js'
import { ObjectDigest, digestMatches } from './object-digest.js'
import { TruncatedBodyError, withRetry, type RetryPolicy } from './s3-retry.js'

export interface ObjectDownload {
  s3: S3Client
  bucket: string
  /** Candidate keys, tried in order while the remote answers "no such key". */
  keys: readonly string[]
  /** The md5 to verify against (without a `.dir` suffix). */
  md5: string
  size: number | undefined
  legacyHash: boolean
  /** What the object is to the user (a relpath or the out path), for messages. */
  label: string
  /** Temporary file to write; the caller moves it into place only after this resolves. */
  target: string
  remoteUrl: string
  /** The .dvc file or dvc.lock line that recorded the object. */
  where: { file: string; line: number }
  retry: RetryPolicy
  signal: AbortSignal | undefined
}

/** Streams one object into `target`, hashing while writing; rejects unless md5 and size match. */
export async function downloadObject(request: ObjectDownload): Promise<{ key: string; bytes: number }> {
  for (const key of request.keys) {
    const bytes = await withRetry(() => fetchOnce(request, key), request.retry, request.signal)
    if (bytes !== undefined) return { key, bytes }
  }
  const { file, line } = request.where
  throw new DataError(
    `${file}:${line}: ${request.label} (md5 ${request.md5}) is missing from the DVC remote ${request.remoteUrl} ` +
      `of bucket ${request.bucket}: tried ${request.keys.join(' and ')}. Was \`dvc push\` run for this commit?`,
    request.where,
  )
}

/** Bytes written, or undefined when the key does not exist. */
async function fetchOnce(request: ObjectDownload, key: string): Promise<number | undefined> {
  let response
  try {
    response = await request.s3.send(
      new GetObjectCommand({ Bucket: request.bucket, Key: key }),
      request.signal ? { abortSignal: request.signal } : {},
    )
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } }
    if (e.name === 'NoSuchBucket') throw s3Problem(request, `bucket ${request.bucket} does not exist`, error)
    if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return undefined
    throw describeS3Error(request, key, error)
  }
  const body = response.Body as Readable | undefined
  if (!body) throw new Error(`S3 returned no body for ${key}`)
  const digest = new ObjectDigest(request.legacyHash)
  await pipeline(
    body,
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        digest.update(chunk)
        yield chunk
      }
    },
    createWriteStream(request.target),
    request.signal ? { signal: request.signal } : {},
  )
  const expectedLength = response.ContentLength
  if (expectedLength !== undefined && digest.bytes < expectedLength)
    throw new TruncatedBodyError(key, digest.bytes, expectedLength)
  const result = digest.finish()
  const sizeWrong = request.size !== undefined && digest.bytes !== request.size
  if (!digestMatches(result, request.md5) || sizeWrong) {
    const { file, line } = request.where
    const sizes =
      request.size === undefined ? `${digest.bytes} bytes` : `${digest.bytes} bytes, expected ${request.size}`
    throw new DataError(
      `${file}:${line}: ${request.label}: object ${key} in ${request.remoteUrl} is corrupt: ` +
        `expected md5 ${request.md5}, got ${result.md5} (${sizes})`,
      request.where,
    )
  }
  return digest.bytes
}

function s3Problem(request: ObjectDownload, problem: string, cause: unknown): DataError {
  return new DataError(`DVC remote ${request.remoteUrl}: ${problem}`, { file: request.where.file }, { cause })
}

/** Turns the S3 answers a user can fix into DataErrors; anything else keeps its original stack. */
function describeS3Error(request: ObjectDownload, key: string, error: unknown): unknown {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } }
  const status = e.$metadata?.httpStatusCode
  if (status === 403 || e.name === 'AccessDenied' || e.name === 'InvalidAccessKeyId')
    return s3Problem(
      request,
      `access to ${key} was denied (${e.name ?? status}). Check the AWS credentials and that they may ` +
        's3:GetObject on the bucket; without s3:ListBucket S3 also answers this for an object that is missing',
      error,
    )
  if (e.name === 'CredentialsProviderError' || /could not load credentials/i.test(e.message ?? ''))
    return s3Problem(
      request,
      'no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, or give the job a role',
      error,
    )
  if (/region is missing/i.test(e.message ?? ''))
    return s3Problem(request, 'no AWS region: set the remote region (or AWS_REGION)', error)
  return error
}
