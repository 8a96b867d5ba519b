import { S3Client } from '@aws-sdk/client-s3'
import { join } from 'node:path'
import { DataError } from '../errors.js'
import { selectDvcRemote, type DvcConfig } from './dvc-config.js'

/** Remote settings given directly (action inputs); each one given wins over the same one in .dvc/config. */
export interface DvcRemoteOptions {
  /** `s3://bucket/prefix`, as in `dvc remote add`. */
  url?: string
  /** S3-compatible endpoint (MinIO, Ceph, R2...), DVC's `endpointurl`. */
  endpoint?: string
  region?: string
  /** Path-style addressing (`endpoint/bucket/key`); defaults to true with a custom endpoint, as DVC does. */
  forcePathStyle?: boolean
  /** Profile in ~/.aws/config and ~/.aws/credentials, DVC's `profile`. */
  profile?: string
}

export interface ResolvedDvcRemote {
  url: string
  bucket: string
  /** Key prefix without a trailing slash; '' for a bucket root. */
  prefix: string
  endpoint: string | undefined
  region: string | undefined
  forcePathStyle: boolean
  profile: string | undefined
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined
}

export function resolveDvcRemote(
  config: DvcConfig,
  repoRoot: string,
  options: { remote?: DvcRemoteOptions | undefined; remoteName?: string | undefined } = {},
): ResolvedDvcRemote {
  const configured = selectDvcRemote(config, options.remoteName)
  const given = options.remote ?? {}
  const url = given.url ?? configured?.url
  if (url === undefined) {
    const file = join(repoRoot, '.dvc', 'config')
    throw new DataError(
      `no DVC remote: ${file} names no default remote ([core] remote = ...) and no remote url was given`,
      { file },
    )
  }
  const where = given.url === undefined && configured ? { file: configured.file, line: configured.line } : {}
  const location = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url)
  if (!location) {
    const at = where.file === undefined ? '' : `${where.file}:${where.line}: `
    throw new DataError(
      `${at}DVC remote '${url}' is not an S3 url (s3://bucket/prefix); only S3 and S3-compatible remotes are supported`,
      where,
    )
  }
  const endpoint = given.endpoint ?? configured?.endpointUrl
  return {
    url,
    bucket: location[1]!,
    prefix: location[2]!.replace(/\/+$/, ''),
    endpoint,
    region: given.region ?? configured?.region,
    forcePathStyle: given.forcePathStyle ?? endpoint !== undefined,
    profile: given.profile ?? configured?.profile,
    credentials: configured?.credentials,
  }
}

/**
 * Keys an object can have in a DVC remote, the preferred layout first: DVC 3 writes
 * `<prefix>/files/md5/ab/cdef...`, DVC 2 wrote `<prefix>/ab/cdef...` (a `.dir` manifest keeps its suffix).
 */
export function dvcObjectKeys(prefix: string, md5: string, legacyFirst = false): string[] {
  const base = prefix === '' ? '' : `${prefix}/`
  const modern = `${base}files/md5/${md5.slice(0, 2)}/${md5.slice(2)}`
  const legacy = `${base}${md5.slice(0, 2)}/${md5.slice(2)}`
  return legacyFirst ? [legacy, modern] : [modern, legacy]
}

/**
 * Credentials come from the remote's config.local keys or else the SDK's default chain (environment, web
 * identity/OIDC, profile, instance role). The SDK's own retries are off because fetching retries whole
 * downloads, which also covers a body cut off mid-stream, something the SDK cannot retry.
 */
export function createDvcS3Client(remote: ResolvedDvcRemote): S3Client {
  return new S3Client({
    ...(remote.region === undefined
      ? remote.endpoint === undefined
        ? {}
        : { region: 'us-east-1' }
      : { region: remote.region }),
    ...(remote.endpoint === undefined ? {} : { endpoint: remote.endpoint }),
    ...(remote.profile === undefined ? {} : { profile: remote.profile }),
    ...(remote.credentials === undefined ? {} : { credentials: remote.credentials }),
    forcePathStyle: remote.forcePathStyle,
    followRegionRedirects: true,
    maxAttempts: 1,
  })
}
