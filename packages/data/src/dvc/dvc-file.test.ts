import { join } from 'node:path'
import { DataError } from '../errors.js'
import { parseDvcFile } from './dvc-file.js'
import { parseDvcLock, selectLockOut } from './dvc-lock.js'
import { selectOut } from './tracked-out.js'

const MD5 = '0123456789abcdef0123456789abcdef'

function errorOf(fn: () => unknown): DataError {
  try {
    fn()
  } catch (error) {
    if (error instanceof DataError) return error
    throw error
  }
  throw new Error('expected a DataError')
}

describe('parseDvcFile', () => {
  it('reads the outs DVC 3 writes, relative to the file and its wdir', () => {
    const text = `outs:\n- md5: ${MD5}.dir\n  size: 120\n  nfiles: 3\n  hash: md5\n  path: images\n`
    const [out] = parseDvcFile(text, '/repo/data/images.dvc').outs
    expect(out).toEqual({
      path: 'images',
      baseDir: '/repo/data',
      md5: `${MD5}.dir`,
      isDirectory: true,
      size: 120,
      nfiles: 3,
      legacyHash: false,
      notPushed: undefined,
      file: '/repo/data/images.dvc',
      line: 2,
    })
    const old = parseDvcFile(`wdir: ..\nouts:\n- md5: ${MD5}\n  path: data/a.csv\n`, '/repo/x/a.dvc')
    expect(old.outs[0]).toMatchObject({ baseDir: '/repo', legacyHash: true, size: undefined })
  })

  it('keeps an md5 made only of digits a string', () => {
    const digits = '12345678901234567890123456789012'
    expect(parseDvcFile(`outs:\n- md5: ${digits}\n  path: a\n`, 'a.dvc').outs[0]?.md5).toBe(digits)
  })

  it.each([
    [`outs:\n- md5: ${MD5}\n  size: 3\n path: data.csv\n`, 4, 'invalid YAML'],
    [`outs:\n- md5: ${MD5}\n  path: a\n  path: b\n`, 4, 'Map keys must be unique'],
    [`outs:\n- md5: ${MD5}x\n  path: a\n`, 2, "out 'a' has an invalid md5"],
    [`outs:\n- md5: ${MD5}\n  size: -3\n  path: a\n`, 3, '`size` must be a whole number'],
    [`outs:\n- md5: ${MD5}\n  hash: sha256\n  path: a\n`, 2, "uses hash 'sha256'"],
    [`outs:\n- md5: ${MD5}\n  path: s3://bucket/a\n`, 2, 'outside the repository'],
    [`outs:\n- md5: ${MD5}\n  path: /etc/passwd\n`, 2, 'outside the repository'],
    [`md5: ${MD5}\ndeps: []\n`, 1, 'no `outs:` list'],
    ['outs: []\n', 1, 'at least one out'],
    ['', 1, 'must be a mapping'],
  ])('names the line of a mistake: %j', (text, line, message) => {
    const error = errorOf(() => parseDvcFile(text, 'bad.dvc'))
    expect(error.message).toMatch(new RegExp(`^bad\\.dvc:${line}: `))
    expect(error.message).toContain(message)
    expect(error).toMatchObject({ file: 'bad.dvc', line })
  })

  it('marks outs that dvc push never uploads', () => {
    const text = `outs:\n- md5: ${MD5}\n  path: a\n  cache: false\n- md5: ${MD5}\n  path: b\n  push: false\n`
    const [a, b] = parseDvcFile(text, 'x.dvc').outs
    expect(a?.notPushed).toContain('cache: false')
    expect(b?.notPushed).toContain('push: false')
  })

  it('selects an out by path, or the only one', () => {
    const text = `outs:\n- md5: ${MD5}\n  path: train.csv\n- md5: ${MD5}\n  path: test.csv\n`
    const { outs } = parseDvcFile(text, 'x.dvc')
    expect(selectOut(outs, './test.csv', 'x.dvc').path).toBe('test.csv')
    expect(errorOf(() => selectOut(outs, undefined, 'x.dvc')).message).toContain('records 2 outs')
    expect(errorOf(() => selectOut(outs, 'tset.csv', 'x.dvc')).message).toContain("did you mean 'test.csv'")
  })
})

describe('parseDvcLock', () => {
  const lock = [
    "schema: '2.0'",
    'stages:',
    '  prepare:',
    '    cmd: python prepare.py',
    '    deps:',
    '    - path: data/raw',
    `      md5: ${MD5}.dir`,
    '    outs:',
    '    - path: data/prepared',
    `      md5: ${MD5}.dir`,
    '      size: 10',
    '      nfiles: 2',
    '      hash: md5',
    '',
  ].join('\n')

  it('finds an out of any stage, relative to the lock file', () => {
    const parsed = parseDvcLock(lock, join('/repo', 'dvc.lock'))
    expect(parsed.stages.map((stage) => stage.name)).toEqual(['prepare'])
    expect(selectLockOut(parsed, 'data/prepared/')).toMatchObject({
      path: 'data/prepared',
      baseDir: '/repo',
      isDirectory: true,
      line: 9,
    })
  })

  it('says when the path is an input or unknown', () => {
    const parsed = parseDvcLock(lock, 'dvc.lock')
    expect(errorOf(() => selectLockOut(parsed, 'data/raw')).message).toContain('is a dependency of stage')
    expect(errorOf(() => selectLockOut(parsed, 'data/prepard')).message).toContain(
      "did you mean 'data/prepared'",
    )
  })

  it('reads the DVC 1.x form without a schema, and names the line of a bad stage', () => {
    const old = `train:\n  cmd: python train.py\n  outs:\n  - path: model.pkl\n    md5: ${MD5}\n`
    expect(selectLockOut(parseDvcLock(old, 'dvc.lock'), 'model.pkl').legacyHash).toBe(true)
    const error = errorOf(() =>
      parseDvcLock("schema: '2.0'\nstages:\n  train:\n    outs: model.pkl\n", 'dvc.lock'),
    )
    expect(error.message).toBe("dvc.lock:4: `outs` of stage 'train' must be a list")
  })
})
