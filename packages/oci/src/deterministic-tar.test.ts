import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { readTree, writeFakeBundle } from './__fixtures__/model-bundle.js'
import { folderLayer, reproducibleEpoch } from './deterministic-tar.js'
import { sha256Digest } from './digest.js'

let work: string
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'oci-tar-'))
})
afterAll(() => rm(work, { recursive: true, force: true }))

/** GNU tar's verbose listing: an independent reader of the archive's headers. */
function gnuList(archive: string): string[] {
  return execFileSync('tar', ['--numeric-owner', '--full-time', '-tvzf', archive], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC' },
  })
    .trim()
    .split('\n')
}

describe('the model layer is a deterministic tar', () => {
  it('GNU tar reads sorted entries, uid/gid 0, mtime 0, normalised modes, a long path, and the same bytes back', async () => {
    const bundle = join(work, 'b1')
    await writeFakeBundle(bundle, 5_000)
    const layer = await folderLayer(bundle, 'model')
    const archive = join(work, 'b1.tar.gz')
    await writeFile(archive, layer.compressed)
    const lines = gnuList(archive)
    const paths = lines.map((l) => l.split(/\s+/).slice(5).join(' '))
    expect(paths).toEqual([
      'model/',
      'model/MLmodel',
      'model/bundle.json',
      'model/extras/',
      'model/extras/a-rather-long-folder-name-to-push-the-path-past-one-hundred-bytes/',
      'model/extras/a-rather-long-folder-name-to-push-the-path-past-one-hundred-bytes/and-a-long-file-name-too.txt',
      'model/extras/run.sh',
      'model/model.onnx',
      'model/reference.json',
    ])
    for (const line of lines) {
      const [mode, owner, , date, time] = line.split(/\s+/)
      expect(owner).toBe('0/0')
      expect(`${date} ${time}`).toBe('1970-01-01 00:00:00')
      expect(['drwxr-xr-x', '-rw-r--r--', '-rwxr-xr-x']).toContain(mode)
    }
    expect(lines.find((l) => l.endsWith('run.sh'))!.startsWith('-rwxr-xr-x')).toBe(true)
    expect(layer.files).toBe(6)
    expect(layer.diffId).toBe(sha256Digest(gunzipSync(layer.compressed)))
    // gzip header: no file name flag, mtime 0, OS unix.
    expect([...layer.compressed.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])

    const out = join(work, 'b1-out')
    await mkdir(out)
    execFileSync('tar', ['-xzf', archive, '-C', out])
    const expected = await readTree(bundle)
    const actual = await readTree(join(out, 'model'))
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort())
    for (const [path, bytes] of expected) expect(actual.get(path)!.equals(bytes)).toBe(true)
  })

  it('file times and creation order do not change the digest; content and SOURCE_DATE_EPOCH do', async () => {
    const bundle = join(work, 'b2')
    await writeFakeBundle(bundle, 5_000)
    const first = await folderLayer(bundle, 'model')
    await utimes(join(bundle, 'MLmodel'), new Date('2030-01-01'), new Date('2030-01-01'))
    const touched = await folderLayer(bundle, 'model')
    expect(touched.digest).toBe(first.digest)
    expect(touched.compressed.equals(first.compressed)).toBe(true)

    const epoch = await folderLayer(bundle, 'model', {
      mtime: reproducibleEpoch({ SOURCE_DATE_EPOCH: '1700000000' }),
    })
    expect(epoch.digest).not.toBe(first.digest)
    await writeFile(join(bundle, 'MLmodel'), 'changed\n')
    expect((await folderLayer(bundle, 'model')).digest).not.toBe(first.digest)
    expect(reproducibleEpoch({ SOURCE_DATE_EPOCH: 'soon' })).toBe(0)
  })

  it('refuses a symbolic link and a missing folder, naming the path', async () => {
    const bundle = join(work, 'b3')
    await mkdir(bundle)
    await writeFile(join(bundle, 'MLmodel'), 'x')
    await symlink('/etc/passwd', join(bundle, 'model.onnx'))
    await expect(folderLayer(bundle, 'model')).rejects.toThrow(
      `${join(bundle, 'model.onnx')} is a symbolic link; the model bundle may only hold files and folders`,
    )
    await expect(folderLayer(join(work, 'nope'), 'model')).rejects.toThrow(
      `The model bundle folder ${join(work, 'nope')} does not exist`,
    )
  })
})
