import { createHash } from 'node:crypto'
import { parseDirManifest } from './dir-manifest.js'
import { ObjectDigest } from './object-digest.js'

const md5 = (bytes: string | Buffer): string => createHash('md5').update(bytes).digest('hex')

function digestInChunks(bytes: Buffer, chunk: number, legacy: boolean): ReturnType<ObjectDigest['finish']> {
  const digest = new ObjectDigest(legacy)
  for (let at = 0; at < bytes.length; at += chunk) digest.update(bytes.subarray(at, at + chunk))
  return digest.finish()
}

describe('ObjectDigest', () => {
  it('gives DVC 3 the md5 of the bytes, and DVC 2 also the md5 after CRLF -> LF for text', () => {
    const text = Buffer.from('a,b\r\n1,2\r\n')
    expect(digestInChunks(text, 3, false)).toEqual({ md5: md5(text), legacyMd5: undefined })
    expect(digestInChunks(text, 3, true)).toEqual({ md5: md5(text), legacyMd5: md5('a,b\n1,2\n') })
    const binary = Buffer.from([0, 13, 10, 1])
    expect(digestInChunks(binary, 1, true).legacyMd5).toBeUndefined()
  })

  it('normalises each 1 MiB block on its own, as DVC 2 did, whatever the network chunks are', () => {
    const block = 1024 * 1024
    // A CRLF split across the block boundary stayed as it was in DVC 2.
    const bytes = Buffer.from('x'.repeat(block - 1) + '\r\n' + 'y\r\n'.repeat(1000))
    const expected = md5(
      Buffer.concat([Buffer.from('x'.repeat(block - 1) + '\r\n'), Buffer.from('y\n'.repeat(1000))]),
    )
    for (const chunk of [1000, 65536, bytes.length])
      expect(digestInChunks(bytes, chunk, true).legacyMd5).toBe(expected)
  })
})

describe('parseDirManifest', () => {
  const where = { file: 'data.dvc', line: 2 }
  const hash = 'a'.repeat(32)

  it('reads entries, with optional size and executable bit', () => {
    const manifest = `[{"md5": "${hash}", "relpath": "a/b.txt"}, {"md5": "${hash}", "relpath": "run.sh", "size": 3, "isexec": true}]`
    expect(parseDirManifest(Buffer.from(manifest), 'data', where)).toEqual([
      { relpath: 'a/b.txt', md5: hash, size: undefined, executable: false },
      { relpath: 'run.sh', md5: hash, size: 3, executable: true },
    ])
  })

  it.each([
    ['../escape.txt', 'points outside the directory'],
    ['/etc/passwd', 'points outside the directory'],
    ['a/../../b', 'points outside the directory'],
  ])('refuses the relpath %s', (relpath, message) => {
    const manifest = JSON.stringify([{ md5: hash, relpath }])
    expect(() => parseDirManifest(Buffer.from(manifest), 'data', where)).toThrow(message)
  })

  it('refuses duplicates, a file that is also a folder, and what is not a list', () => {
    const twice = JSON.stringify([
      { md5: hash, relpath: 'a' },
      { md5: hash, relpath: './a' },
    ])
    expect(() => parseDirManifest(Buffer.from(twice), 'data', where)).toThrow("entry './a' appears twice")
    const clash = JSON.stringify([
      { md5: hash, relpath: 'a' },
      { md5: hash, relpath: 'a/b' },
    ])
    expect(() => parseDirManifest(Buffer.from(clash), 'data', where)).toThrow(
      "'a' is listed as a file and as a folder",
    )
    expect(() => parseDirManifest(Buffer.from('{}'), 'data', where)).toThrow(
      'data.dvc:2: directory manifest of data',
    )
  })
})
