import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DataError } from '../errors.js'
import { parseDvcConfig, readDvcConfig, selectDvcRemote } from './dvc-config.js'
import { dvcObjectKeys, resolveDvcRemote } from './dvc-remote.js'

function errorOf(fn: () => unknown): DataError {
  try {
    fn()
  } catch (error) {
    if (error instanceof DataError) return error
    throw error
  }
  throw new Error('expected a DataError')
}

const CONFIG = [
  '# written by dvc remote add',
  '[core]',
  '    remote = storage',
  '    autostage = true',
  `['remote "storage"']`,
  '    url = s3://ml-data/dvcstore/   # the team bucket',
  "    endpointurl = 'http://127.0.0.1:9000'",
  '    region = eu-west-1',
  '[remote "backup"]',
  '    url = s3://backup',
  '',
].join('\n')

describe('parseDvcConfig', () => {
  it('reads sections with quoted names, quoted values and comments', () => {
    const config = parseDvcConfig(CONFIG, '.dvc/config')
    expect(config.core?.remote).toEqual({ value: 'storage', file: '.dvc/config', line: 3 })
    expect(selectDvcRemote(config)).toEqual({
      name: 'storage',
      url: 's3://ml-data/dvcstore/',
      endpointUrl: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      profile: undefined,
      credentials: undefined,
      file: '.dvc/config',
      line: 6,
    })
    expect(selectDvcRemote(config, 'backup')?.url).toBe('s3://backup')
    expect(selectDvcRemote(parseDvcConfig('[core]\nautostage = true\n', 'c'))).toBeUndefined()
  })

  it('names the line of a malformed config and of a default remote that does not exist', () => {
    expect(errorOf(() => parseDvcConfig('[core]\n  remote storage\n', 'c')).message).toBe(
      "c:2: expected 'option = value' or a [section] header, got 'remote storage'",
    )
    expect(errorOf(() => parseDvcConfig('remote = a\n', 'c')).line).toBe(1)
    expect(errorOf(() => parseDvcConfig('[core\n', 'c')).message).toContain('c:1: malformed section header')
    const missing = errorOf(() =>
      selectDvcRemote(parseDvcConfig('[core]\nremote = storge\n[\'remote "storage"\']\nurl = s3://b\n', 'c')),
    )
    expect(missing.message).toBe(
      "c:2: default remote 'storge' is not configured (did you mean 'storage'?); configured remotes: storage",
    )
  })

  it('lays .dvc/config.local over .dvc/config', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mlops-dvc-config-'))
    try {
      await mkdir(join(root, '.dvc'))
      await writeFile(join(root, '.dvc', 'config'), CONFIG)
      await writeFile(
        join(root, '.dvc', 'config.local'),
        `['remote "storage"']\nendpointurl = http://minio:9000\naccess_key_id = AKIA\nsecret_access_key = s3cret\n`,
      )
      const remote = selectDvcRemote(await readDvcConfig(root))
      expect(remote).toMatchObject({
        url: 's3://ml-data/dvcstore/',
        endpointUrl: 'http://minio:9000',
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKIA', secretAccessKey: 's3cret' },
      })
      expect(await readDvcConfig(join(root, 'nowhere'))).toEqual({})
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})

describe('resolveDvcRemote', () => {
  const config = parseDvcConfig(CONFIG, '.dvc/config')

  it('takes the configured remote, with each given setting overriding its own', () => {
    expect(resolveDvcRemote(config, '/repo')).toMatchObject({
      url: 's3://ml-data/dvcstore/',
      bucket: 'ml-data',
      prefix: 'dvcstore',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
    })
    expect(
      resolveDvcRemote(config, '/repo', { remote: { region: 'us-east-2', forcePathStyle: false } }),
    ).toMatchObject({ bucket: 'ml-data', region: 'us-east-2', forcePathStyle: false })
    expect(resolveDvcRemote({}, '/repo', { remote: { url: 's3://b' } })).toMatchObject({
      bucket: 'b',
      prefix: '',
      endpoint: undefined,
      forcePathStyle: false,
    })
  })

  it('explains a missing or non-S3 remote', () => {
    expect(errorOf(() => resolveDvcRemote({}, '/repo')).message).toContain('no DVC remote')
    const gcs = parseDvcConfig('[core]\nremote = g\n[\'remote "g"\']\nurl = gs://bucket/x\n', '.dvc/config')
    expect(errorOf(() => resolveDvcRemote(gcs, '/repo')).message).toMatch(/^\.dvc\/config:4: .*not an S3 url/)
  })

  it('lays out keys as DVC 3 and DVC 2 do', () => {
    expect(dvcObjectKeys('store', `${'ab'.padEnd(32, 'c')}.dir`)).toEqual([
      `store/files/md5/ab/${'c'.repeat(30)}.dir`,
      `store/ab/${'c'.repeat(30)}.dir`,
    ])
    expect(dvcObjectKeys('', 'ab'.padEnd(32, 'c'), true)[0]).toBe(`ab/${'c'.repeat(30)}`)
  })
})
