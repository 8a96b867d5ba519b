import { DeleteObjectCommand, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import S3rver from 's3rver'

/** s3rver checks request signatures against these. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }
export const BUCKET = 'bucket'

export interface LocalS3 {
  endpoint: string
  /** HTTP requests the server has answered so far. */
  requests(): number
  client(config?: S3ClientConfig): S3Client
  put(key: string, body: string | Uint8Array): Promise<void>
  remove(key: string): Promise<void>
  stop(): Promise<void>
}

/** A real S3 server on 127.0.0.1, on a port it picks, storing in a fresh temporary folder. */
export async function startLocalS3(): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), 'mlops-s3rver-'))
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    configureBuckets: [{ name: BUCKET }],
  })
  const { port } = await server.run()
  let requests = 0
  server.httpServer.on('request', () => requests++)
  const endpoint = `http://127.0.0.1:${port}`
  const admin = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
  return {
    endpoint,
    requests: () => requests,
    client: (config = {}) =>
      new S3Client({
        endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: S3RVER_CREDENTIALS,
        ...config,
      }),
    put: async (key, body) => {
      await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }))
    },
    remove: async (key) => {
      await admin.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }))
    },
    stop: async () => {
      admin.destroy()
      await server.close()
      await rm(directory, { recursive: true, force: true })
    },
  }
}

export function md5Hex(bytes: string | Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex')
}

export type Layout = 'dvc3' | 'dvc2'

export function objectKey(prefix: string, md5: string, layout: Layout): string {
  const tail = `${md5.slice(0, 2)}/${md5.slice(2)}`
  return layout === 'dvc3' ? `${prefix}/files/md5/${tail}` : `${prefix}/${tail}`
}

export interface PushedDirectory {
  /** The `.dir` hash DVC records for the directory. */
  md5: string
  size: number
  nfiles: number
  /** md5 and remote key of each file, by relpath. */
  files: Record<string, { md5: string; key: string }>
  manifestKey: string
}

/** Uploads a file the way `dvc push` does: under the md5 of its bytes (or a given one, for DVC 2 text). */
export async function pushFile(
  s3: LocalS3,
  prefix: string,
  bytes: string | Uint8Array,
  layout: Layout = 'dvc3',
  md5 = md5Hex(bytes),
): Promise<{ md5: string; key: string; size: number }> {
  const key = objectKey(prefix, md5, layout)
  await s3.put(key, bytes)
  return { md5, key, size: Buffer.byteLength(bytes) }
}

/**
 * Uploads a directory the way `dvc push` does: every file under its md5, then the manifest, a JSON list
 * sorted by relpath and serialised as Python's json.dumps writes it, under `<md5 of manifest>.dir`.
 */
export async function pushDirectory(
  s3: LocalS3,
  prefix: string,
  files: Record<string, string | Uint8Array>,
  layout: Layout = 'dvc3',
): Promise<PushedDirectory> {
  const pushed: PushedDirectory['files'] = {}
  let size = 0
  const relpaths = Object.keys(files).sort()
  for (const relpath of relpaths) {
    const object = await pushFile(s3, prefix, files[relpath]!, layout)
    pushed[relpath] = { md5: object.md5, key: object.key }
    size += object.size
  }
  const manifest = `[${relpaths.map((relpath) => `{"md5": "${pushed[relpath]!.md5}", "relpath": ${JSON.stringify(relpath)}}`).join(', ')}]`
  const md5 = `${md5Hex(manifest)}.dir`
  const manifestKey = objectKey(prefix, md5, layout)
  await s3.put(manifestKey, manifest)
  return { md5, size, nfiles: relpaths.length, files: pushed, manifestKey }
}

/** A `.dvc` file as `dvc add` writes it; DVC 2 wrote no `hash: md5`. */
export function dvcFileText(out: {
  md5: string
  size: number
  nfiles?: number
  path: string
  layout?: Layout
}): string {
  return [
    'outs:',
    `- md5: ${out.md5}`,
    `  size: ${out.size}`,
    ...(out.nfiles === undefined ? [] : [`  nfiles: ${out.nfiles}`]),
    ...(out.layout === 'dvc2' ? [] : ['  hash: md5']),
    `  path: ${out.path}`,
    '',
  ].join('\n')
}

export interface DvcRepo {
  root: string
  write(relpath: string, content: string): Promise<string>
  remove(): Promise<void>
}

/**
 * A repository with `.dvc/config` naming a default S3 remote at `s3://bucket/<prefix>` with the local
 * endpoint, and the credentials in `.dvc/config.local`, as `dvc remote modify --local` would put them.
 */
export async function makeDvcRepo(s3: LocalS3, prefix: string): Promise<DvcRepo> {
  const root = await mkdtemp(join(tmpdir(), 'mlops-dvc-repo-'))
  const write = async (relpath: string, content: string): Promise<string> => {
    const path = join(root, relpath)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, content)
    return path
  }
  await write(
    '.dvc/config',
    [
      '[core]',
      '    remote = storage',
      `['remote "storage"']`,
      `    url = s3://${BUCKET}/${prefix}`,
      `    endpointurl = ${s3.endpoint}`,
      '',
    ].join('\n'),
  )
  await write(
    '.dvc/config.local',
    [
      `['remote "storage"']`,
      `    access_key_id = ${S3RVER_CREDENTIALS.accessKeyId}`,
      `    secret_access_key = ${S3RVER_CREDENTIALS.secretAccessKey}`,
      '',
    ].join('\n'),
  )
  return { root, write, remove: () => rm(root, { recursive: true, force: true }) }
}
