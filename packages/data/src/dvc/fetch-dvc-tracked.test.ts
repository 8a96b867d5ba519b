import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { dataError } from '../__fixtures__/files.js'
import {
  dvcFileText,
  makeDvcRepo,
  md5Hex,
  objectKey,
  pushDirectory,
  pushFile,
  startLocalS3,
  type DvcRepo,
  type LocalS3,
} from './__fixtures__/dvc-remote.js'
import { fetchDvcTracked, type FetchProgress } from './fetch-dvc-tracked.js'

let s3: LocalS3
const repos: DvcRepo[] = []
let prefixCount = 0

beforeAll(async () => {
  s3 = await startLocalS3()
})
afterAll(async () => {
  await Promise.all(repos.map((repo) => repo.remove()))
  await s3.stop()
})

/** Each test gets its own remote prefix and repository, so objects planted by one never help another. */
async function freshRepo(): Promise<{ repo: DvcRepo; prefix: string }> {
  const prefix = `remote${++prefixCount}/dvcstore`
  const repo = await makeDvcRepo(s3, prefix)
  repos.push(repo)
  return { repo, prefix }
}

const IMAGES: Record<string, string | Uint8Array> = {
  'cats/1.png': new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 255]),
  'cats/2.png': new Uint8Array([0x89, 0x50, 0x4e, 0x47, 9, 9, 9]),
  'dogs/puppies/3.png': new Uint8Array([0x89, 0x50, 0x4e, 0x47, 7]),
  'dogs/copy-of-1.png': new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 255]),
  'labels.csv': 'file,label\ncats/1.png,cat\n',
}

async function expectTree(dir: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [relpath, content] of Object.entries(files))
    expect(Buffer.compare(await readFile(join(dir, relpath)), Buffer.from(content))).toBe(0)
}

/** Names in a folder that look like the temporary files a fetch uses. */
async function leftovers(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.includes('.dvc-tmp-'))
}

describe('fetchDvcTracked', () => {
  it('fetches a file tracked by a .dvc file from the remote of .dvc/config and verifies it', async () => {
    const { repo, prefix } = await freshRepo()
    const csv = 'a,b\n1,2\n3,4\n'
    const object = await pushFile(s3, prefix, csv)
    await repo.write('data/train.csv.dvc', dvcFileText({ ...object, path: 'train.csv' }))
    const progress: FetchProgress[] = []

    const result = await fetchDvcTracked({
      repoRoot: repo.root,
      dvcFile: 'data/train.csv.dvc',
      onProgress: (event) => progress.push(event),
    })

    expect(result).toEqual({
      path: join(repo.root, 'data', 'train.csv'),
      files: 1,
      bytes: csv.length,
      verified: true,
      isDirectory: false,
      md5: object.md5,
      downloaded: 1,
      remote: `s3://bucket/${prefix}`,
    })
    expect(await readFile(result.path, 'utf8')).toBe(csv)
    expect(progress).toEqual([
      { file: 'train.csv', source: 'remote', filesDone: 1, filesTotal: 1, bytesDone: 12, bytesTotal: 12 },
    ])
    expect(await leftovers(join(repo.root, 'data'))).toEqual([])
  })

  it('fetches a tracked directory with files in sub-folders, verifying every file', async () => {
    const { repo, prefix } = await freshRepo()
    const pushed = await pushDirectory(s3, prefix, IMAGES)
    await repo.write('data/images.dvc', dvcFileText({ ...pushed, path: 'images' }))

    const result = await fetchDvcTracked({ repoRoot: repo.root, dvcFile: 'data/images.dvc', concurrency: 2 })

    expect(result).toMatchObject({
      path: join(repo.root, 'data', 'images'),
      files: 5,
      bytes: pushed.size,
      verified: true,
      isDirectory: true,
      md5: pushed.md5,
    })
    // The manifest plus one object per distinct content: the duplicate image is copied, not downloaded.
    expect(result.downloaded).toBe(1 + 4)
    await expectTree(result.path, IMAGES)
    expect(await leftovers(join(repo.root, 'data'))).toEqual([])
  })

  it('fetches a stage output recorded in dvc.lock to a chosen destination', async () => {
    const { repo, prefix } = await freshRepo()
    const model = await pushFile(s3, prefix, 'weights')
    const features = await pushDirectory(s3, prefix, { 'part-0.csv': 'x\n1\n', 'part-1.csv': 'x\n2\n' })
    await repo.write(
      'dvc.lock',
      [
        "schema: '2.0'",
        'stages:',
        '  featurize:',
        '    cmd: python featurize.py',
        '    deps:',
        '    - path: data/raw.csv',
        '      md5: 0123456789abcdef0123456789abcdef',
        '      size: 10',
        '    outs:',
        '    - path: data/features',
        `      md5: ${features.md5}`,
        `      size: ${features.size}`,
        `      nfiles: ${features.nfiles}`,
        '      hash: md5',
        '  train:',
        '    cmd: python train.py',
        '    outs:',
        '    - path: model.bin',
        `      md5: ${model.md5}`,
        `      size: ${model.size}`,
        '      hash: md5',
        '',
      ].join('\n'),
    )

    const result = await fetchDvcTracked({
      repoRoot: repo.root,
      lockFile: 'dvc.lock',
      outPath: 'data/features/',
      dest: 'work/features',
    })

    expect(result).toMatchObject({ path: join(repo.root, 'work', 'features'), files: 2, verified: true })
    await expectTree(result.path, { 'part-0.csv': 'x\n1\n', 'part-1.csv': 'x\n2\n' })
    const dep = await dataError(
      fetchDvcTracked({ repoRoot: repo.root, lockFile: 'dvc.lock', outPath: 'data/raw.csv' }),
    )
    expect(dep.message).toContain("'data/raw.csv' is a dependency of stage 'featurize', not an output")
    expect(dep.line).toBe(3)
  })

  it('reports a corrupted object by name with both md5s, and leaves nothing at the destination', async () => {
    const { repo, prefix } = await freshRepo()
    const pushed = await pushDirectory(s3, prefix, IMAGES)
    const bad = pushed.files['dogs/puppies/3.png']!
    const tampered = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 8])
    await s3.put(bad.key, tampered)
    await repo.write('data/images.dvc', dvcFileText({ ...pushed, path: 'images' }))

    const error = await dataError(fetchDvcTracked({ repoRoot: repo.root, dvcFile: 'data/images.dvc' }))

    expect(error.message).toContain('images/dogs/puppies/3.png')
    expect(error.message).toContain(`object ${bad.key} in s3://bucket/${prefix} is corrupt`)
    expect(error.message).toContain(`expected md5 ${bad.md5}, got ${md5Hex(tampered)}`)
    expect(error.file).toBe(join(repo.root, 'data', 'images.dvc'))
    expect(error.line).toBe(2)
    expect(await readdir(join(repo.root, 'data'))).toEqual(['images.dvc'])
  })

  it('reports a corrupted single file and leaves no file behind', async () => {
    const { repo, prefix } = await freshRepo()
    const object = await pushFile(s3, prefix, 'the real content')
    await s3.put(object.key, 'the evil content')
    await repo.write('model.bin.dvc', dvcFileText({ ...object, path: 'model.bin' }))

    const error = await dataError(fetchDvcTracked({ repoRoot: repo.root, dvcFile: 'model.bin.dvc' }))

    expect(error.message).toContain(`expected md5 ${object.md5}, got ${md5Hex('the evil content')}`)
    expect((await readdir(repo.root)).sort()).toEqual(['.dvc', 'model.bin.dvc'])
  })

  it('reports a missing object with the keys it tried and the remote', async () => {
    const { repo, prefix } = await freshRepo()
    const pushed = await pushDirectory(s3, prefix, { 'a.txt': 'a', 'b.txt': 'b' })
    await s3.remove(pushed.files['b.txt']!.key)
    await repo.write('data.dvc', dvcFileText({ ...pushed, path: 'data' }))

    const error = await dataError(fetchDvcTracked({ repoRoot: repo.root, dvcFile: 'data.dvc' }))

    const md5 = md5Hex('b')
    expect(error.message).toContain(
      `data/b.txt (md5 ${md5}) is missing from the DVC remote s3://bucket/${prefix}`,
    )
    expect(error.message).toContain(
      `tried ${objectKey(prefix, md5, 'dvc3')} and ${objectKey(prefix, md5, 'dvc2')}`,
    )
    expect((await readdir(repo.root)).sort()).toEqual(['.dvc', 'data.dvc'])
  })

  it('reads the DVC 2.x layout and verifies DVC 2 md5s of CRLF text files', async () => {
    const { repo, prefix } = await freshRepo()
    const windowsText = 'id,name\r\n1,ann\r\n2,bob\r\n'
    const files = { 'rows.csv': windowsText, 'blob.bin': new Uint8Array([0, 13, 10, 0, 255]) }
    // DVC 2 hashed text after CRLF -> LF but stored the original bytes under that md5.
    const dvc2Md5 = md5Hex(windowsText.replaceAll('\r\n', '\n'))
    const rows = await pushFile(s3, prefix, windowsText, 'dvc2', dvc2Md5)
    const blob = await pushFile(s3, prefix, files['blob.bin'], 'dvc2')
    const manifest = `[{"md5": "${blob.md5}", "relpath": "blob.bin"}, {"md5": "${rows.md5}", "relpath": "rows.csv"}]`
    const md5 = `${md5Hex(manifest)}.dir`
    await s3.put(objectKey(prefix, md5, 'dvc2'), manifest)
    await repo.write(
      'legacy.dvc',
      dvcFileText({ md5, size: rows.size + blob.size, nfiles: 2, path: 'legacy', layout: 'dvc2' }),
    )

    const result = await fetchDvcTracked({ repoRoot: repo.root, dvcFile: 'legacy.dvc' })

    expect(result).toMatchObject({ files: 2, verified: true, downloaded: 3 })
    await expectTree(result.path, files)
  })

  it('names the line of a malformed .dvc file', async () => {
    const { repo } = await freshRepo()
    await repo.write(
      'broken.dvc',
      'outs:\n- md5: 0123456789abcdef0123456789abcdef\n  size: 3\n  path: [oops\n',
    )
    const yamlError = await dataError(fetchDvcTracked({ repoRoot: repo.root, dvcFile: 'broken.dvc' }))
    expect(yamlError.message).toMatch(/broken\.dvc:\d+: invalid YAML/)
    expect(yamlError.file).toBe(join(repo.root, 'broken.dvc'))

    await repo.write('nohash.dvc', 'outs:\n- size: 3\n  hash: md5\n  path: data.csv\n')
    const noMd5 = await dataError(fetchDvcTracked({ repoRoot: repo.root, dvcFile: 'nohash.dvc' }))
    expect(noMd5.message).toContain("nohash.dvc:2: out 'data.csv' has no md5")
    expect(noMd5.line).toBe(2)
  })

  it('downloads nothing when the destination already holds the tracked version', async () => {
    const { repo, prefix } = await freshRepo()
    const pushed = await pushDirectory(s3, prefix, IMAGES)
    const object = await pushFile(s3, prefix, 'solo')
    await repo.write('images.dvc', dvcFileText({ ...pushed, path: 'images' }))
    await repo.write('solo.txt.dvc', dvcFileText({ ...object, path: 'solo.txt' }))
    await fetchDvcTracked({ repoRoot: repo.root, dvcFile: 'images.dvc' })
    await fetchDvcTracked({ repoRoot: repo.root, dvcFile: 'solo.txt.dvc' })
    const before = s3.requests()

    const directory = await fetchDvcTracked({ repoRoot: repo.root, dvcFile: 'images.dvc' })
    const file = await fetchDvcTracked({ repoRoot: repo.root, dvcFile: 'solo.txt.dvc' })

    expect(s3.requests()).toBe(before)
    expect(directory).toMatchObject({
      downloaded: 0,
      files: 5,
      bytes: pushed.size,
      verified: true,
      remote: undefined,
    })
    expect(file).toMatchObject({ downloaded: 0, files: 1, bytes: 4, verified: true, remote: undefined })
  })

  it('refuses to overwrite changed data unless forced, then re-downloads only what changed', async () => {
    const { repo, prefix } = await freshRepo()
    const pushed = await pushDirectory(s3, prefix, IMAGES)
    await repo.write('images.dvc', dvcFileText({ ...pushed, path: 'images' }))
    const first = await fetchDvcTracked({ repoRoot: repo.root, dvcFile: 'images.dvc' })
    await writeFile(join(first.path, 'labels.csv'), 'edited locally\n')
    await writeFile(join(first.path, 'stray.txt'), 'not tracked\n')

    const refused = await dataError(fetchDvcTracked({ repoRoot: repo.root, dvcFile: 'images.dvc' }))
    expect(refused.message).toContain('exists and differs')
    expect(refused.message).toContain('changed labels.csv, unexpected stray.txt')
    expect(await readFile(join(first.path, 'labels.csv'), 'utf8')).toBe('edited locally\n')

    const sources: string[] = []
    const forced = await fetchDvcTracked({
      repoRoot: repo.root,
      dvcFile: 'images.dvc',
      force: true,
      onProgress: (event) => sources.push(`${event.file}:${event.source}`),
    })
    expect(forced.downloaded).toBe(1)
    expect(sources).toContain('labels.csv:remote')
    expect(sources).toContain('cats/2.png:local')
    await expectTree(forced.path, IMAGES)
    await expect(stat(join(forced.path, 'stray.txt'))).rejects.toThrow()
    expect(await leftovers(repo.root)).toEqual([])
  })

  it('retries a 503 and lets inputs override the remote of .dvc/config', async () => {
    const { repo, prefix } = await freshRepo()
    const object = await pushFile(s3, prefix, 'flaky')
    await repo.write('.dvc/config', '[core]\n  remote = gone\n[\'remote "gone"\']\n  url = s3://nowhere/x\n')
    await repo.write('flaky.txt.dvc', dvcFileText({ ...object, path: 'flaky.txt' }))
    // The SDK's own retries are off, so a success proves that the fetch retried.
    const client = s3.client({ maxAttempts: 1 })
    let calls = 0
    client.middlewareStack.add(
      (next) => async (args) => {
        if (++calls === 1)
          throw Object.assign(new Error('Slow Down'), {
            name: 'SlowDown',
            $metadata: { httpStatusCode: 503 },
          })
        return next(args)
      },
      { step: 'finalizeRequest', name: 'failOnce' },
    )

    const result = await fetchDvcTracked({
      repoRoot: repo.root,
      dvcFile: 'flaky.txt.dvc',
      remote: { url: `s3://bucket/${prefix}` },
      s3: client,
      retry: { baseDelayMs: 1 },
    })

    expect(calls).toBe(2)
    expect(result).toMatchObject({ downloaded: 1, verified: true, remote: `s3://bucket/${prefix}` })
    client.destroy()
  })
})
