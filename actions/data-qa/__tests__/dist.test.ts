import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { runAction, type ActionRun } from '@mlops/cli'
import {
  dvcFileText,
  makeDvcRepo,
  md5Hex,
  pushDirectory,
  pushFile,
  startLocalS3,
  type LocalS3,
} from '../../../packages/data/src/dvc/__fixtures__/dvc-remote.js'
import {
  classFolders,
  maskOf,
  pngOf,
  segmentationPairs,
  writeFiles,
} from '../../../packages/data/src/images/__fixtures__/image-dataset.js'

/**
 * The action as users get it: action.yml and the committed dist/ copied to a folder with no node_modules,
 * run by a fresh node process with INPUT_* set, exactly as the runner does.
 */
const actionSource = resolve(import.meta.dirname, '..')
let actionDir: string
let workspace: string

beforeAll(async () => {
  const root = await mkdtemp(join(tmpdir(), 'data-qa-dist-'))
  actionDir = join(root, 'action')
  workspace = join(root, 'workspace')
  await mkdir(actionDir)
  await mkdir(workspace)
  await cp(join(actionSource, 'action.yml'), join(actionDir, 'action.yml'))
  await cp(join(actionSource, 'dist'), join(actionDir, 'dist'), { recursive: true })
})

afterAll(async () => {
  await rm(resolve(actionDir, '..'), { recursive: true, force: true })
})

const header = 'id,age,gender,readmitted'
const goodRows = Array.from(
  { length: 40 },
  (_, i) => `${i + 1},${20 + i},${i % 2 ? 'F' : 'M'},${i % 3 === 0 ? 1 : 0}`,
)
const expectations = [
  'expectations:',
  '  - expect_column_values_to_be_unique: { column: id }',
  '  - expect_column_values_to_be_between: { column: age, min_value: 18, max_value: 100 }',
  '  - expect_column_values_to_be_in_set: { column: gender, value_set: [F, M] }',
  '',
].join('\n')

async function scenario(
  name: string,
  files: Record<string, string>,
  inputs: Record<string, string>,
): Promise<ActionRun & { log: string }> {
  const dir = join(workspace, name)
  await mkdir(dir, { recursive: true })
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text)
  const lines: string[] = []
  const result = await runAction({ actionDir, inputs, workspace: dir, write: (line) => lines.push(line) })
  return { ...result, log: lines.join('\n') }
}

describe('data-qa from its committed dist', () => {
  it('passes clean data: exit 0, outputs, summary and the three reports', async () => {
    const run = await scenario(
      'clean',
      { 'data.csv': [header, ...goodRows].join('\n') + '\n', 'exp.yml': expectations },
      { dataset: 'data.csv', expectations: 'exp.yml', 'label-column': 'readmitted' },
    )
    expect(run.exitCode).toBe(0)
    expect(run.outputs).toMatchObject({ status: 'pass', failed: '0', rows: '40' })
    expect(run.summary).toContain('Data QA: pass')
    const report = JSON.parse(await readFile(run.outputs.report!, 'utf8'))
    expect(report.schema).toBe('mlops-actions/data-qa-report@1')
    expect(report.checks.map((c: { check: string }) => c.check)).toEqual(
      expect.arrayContaining(['expect_column_values_to_be_unique', 'duplicate_rows', 'label_balance']),
    )
    expect(await readFile(run.outputs['html-report']!, 'utf8')).toMatch(/^<!doctype html>/)
  })

  it('fails on a failed expectation, annotating the expectations file at its line', async () => {
    const rows = [...goodRows, '41,140,M,0', '42,17,X,1']
    const run = await scenario(
      'failing',
      { 'data.csv': [header, ...rows].join('\n') + '\n', 'exp.yml': expectations },
      { dataset: 'data.csv', expectations: 'exp.yml' },
    )
    expect(run.exitCode).toBe(1)
    expect(run.outputs).toMatchObject({ status: 'fail', failed: '2' })
    expect(run.annotations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          level: 'error',
          file: 'exp.yml',
          line: 3,
          message: expect.stringContaining('2 of 42 values unexpected'),
        }),
        expect.objectContaining({ level: 'error', file: 'exp.yml', line: 4 }),
      ]),
    )
    // The failing values are reported with the data line they sit on (header is line 1).
    expect(run.summary).toMatch(/data\.csv:42: 140/)
  })

  it('turns warnings into a failure only with fail-on: warning', async () => {
    const files = {
      'data.csv': [header, ...goodRows, '41,140,M,0'].join('\n') + '\n',
      'exp.yml':
        'expectations:\n  - expect_column_values_to_be_between: { column: age, max_value: 100, severity: warning }\n',
    }
    const lenient = await scenario('warn-error', files, { dataset: 'data.csv', expectations: 'exp.yml' })
    expect(lenient.exitCode).toBe(0)
    expect(lenient.outputs).toMatchObject({ status: 'warn', warned: '1' })
    expect(lenient.annotations).toEqual([expect.objectContaining({ level: 'warning', line: 2 })])
    const strict = await scenario('warn-warning', files, {
      dataset: 'data.csv',
      expectations: 'exp.yml',
      'fail-on': 'warning',
    })
    expect(strict.exitCode).toBe(1)
  })

  it('finds rows of the test split that leak from the training data', async () => {
    const run = await scenario(
      'leak',
      {
        'train.csv': [header, ...goodRows].join('\n') + '\n',
        'test.csv': [header, '99,30,F,0', goodRows[4]!].join('\n') + '\n',
      },
      { dataset: 'train.csv', 'test-dataset': 'test.csv', 'label-column': 'readmitted' },
    )
    expect(run.exitCode).toBe(1)
    const report = JSON.parse(await readFile(run.outputs.report!, 'utf8'))
    const leakage = report.checks.find((c: { check: string }) => c.check === 'leakage')
    expect(leakage).toMatchObject({
      success: false,
      unexpectedCount: 1,
      examples: [expect.objectContaining({ line: 3 })],
    })
  })
})

describe('data-qa bad input: a clear error naming the place, no stack trace', () => {
  const expectCleanFailure = (run: ActionRun & { log: string }, message: RegExp | string) => {
    expect(run.exitCode).toBe(1)
    const errors = run.annotations.filter((a) => a.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toMatch(message)
    expect(run.log).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/)
    expect(run.log).not.toMatch(/This is a bug/)
    return errors[0]!
  }

  it('a missing dataset file', async () => {
    const run = await scenario('missing', {}, { dataset: 'nope.csv' })
    expectCleanFailure(run, /nope\.csv/)
  })

  it('an unparseable CSV line, by line number', async () => {
    const run = await scenario(
      'bad-csv',
      { 'data.csv': `${header}\n1,20,F,0\n2,21,"F,0\n` },
      { dataset: 'data.csv' },
    )
    expectCleanFailure(run, /data\.csv.*line 3|data\.csv:3/)
  })

  it('a record with the wrong number of fields', async () => {
    const run = await scenario(
      'short-row',
      { 'data.csv': `${header}\n1,20,F,0\n2,21\n` },
      { dataset: 'data.csv' },
    )
    expectCleanFailure(run, /data\.csv:3.*expected 4 fields, found 2/)
  })

  it('an unknown expectation, at its line in the expectations file', async () => {
    const run = await scenario(
      'unknown-exp',
      {
        'data.csv': `${header}\n1,20,F,0\n`,
        'exp.yml': 'expectations:\n  - expect_column_values_to_be_postive: { column: age }\n',
      },
      { dataset: 'data.csv', expectations: 'exp.yml' },
    )
    const error = expectCleanFailure(run, /unknown expectation 'expect_column_values_to_be_postive'/)
    expect(error).toMatchObject({ file: expect.stringContaining('exp.yml'), line: 2 })
  })

  it('malformed expectations YAML, at its line', async () => {
    const run = await scenario(
      'bad-yaml',
      {
        'data.csv': `${header}\n1,20,F,0\n`,
        'exp.yml': 'expectations:\n  - expect_column_to_exist: { column: age\n  - x: 1\n',
      },
      { dataset: 'data.csv', expectations: 'exp.yml' },
    )
    const error = expectCleanFailure(run, /invalid YAML/)
    expect(error.line).toBeGreaterThanOrEqual(2)
  })

  it('a column named in an expectation that the data does not have', async () => {
    const run = await scenario(
      'no-column',
      {
        'data.csv': `${header}\n1,20,F,0\n`,
        'exp.yml': 'expectations:\n  - expect_column_values_to_not_be_null: { column: agee }\n',
      },
      { dataset: 'data.csv', expectations: 'exp.yml' },
    )
    const error = expectCleanFailure(run, /column 'agee'.*does not have \(did you mean 'age'\?\)/)
    expect(error.line).toBe(2)
  })

  it('an invalid input value names the input', async () => {
    const run = await scenario(
      'bad-input',
      { 'data.csv': `${header}\n1,20,F,0\n` },
      { dataset: 'data.csv', 'fail-on': 'sometimes' },
    )
    expectCleanFailure(run, /fail-on/)
  })

  describe('DVC-tracked data', () => {
    let s3: LocalS3
    beforeAll(async () => {
      s3 = await startLocalS3()
    })
    afterAll(() => s3.stop())

    async function dvcRun(name: string, objectBody: string, trackedBody: string) {
      const repo = await makeDvcRepo(s3, `${name}/dvcstore`)
      // The remote holds `objectBody` under the md5 the .dvc file records for `trackedBody`.
      const tracked = await pushFile(s3, `${name}/dvcstore`, trackedBody)
      if (objectBody !== trackedBody) await s3.put(tracked.key, objectBody)
      await repo.write('data/train.csv.dvc', dvcFileText({ ...tracked, path: 'train.csv' }))
      await repo.write('exp.yml', expectations)
      const lines: string[] = []
      const result = await runAction({
        actionDir,
        inputs: { dataset: 'data/train.csv.dvc', expectations: 'exp.yml' },
        workspace: repo.root,
        write: (line) => lines.push(line),
      })
      return { ...result, log: lines.join('\n'), repo, tracked }
    }

    it('fetches a .dvc-tracked dataset from the S3 remote, verifies it, and checks it', async () => {
      const csv = [header, ...goodRows].join('\n') + '\n'
      const run = await dvcRun('clean', csv, csv)
      expect(run.exitCode).toBe(0)
      expect(run.outputs).toMatchObject({ status: 'pass', rows: '40' })
      expect(run.log).toContain('data/train.csv.dvc: ')
      expect(run.log).toContain('md5 verified (1 objects from s3://bucket/clean/dvcstore)')
      expect(await readFile(join(run.repo.root, 'data/train.csv'), 'utf8')).toBe(csv)
      await run.repo.remove()
    })

    it('a corrupted remote object fails with both md5s and leaves no data behind', async () => {
      const csv = [header, ...goodRows].join('\n') + '\n'
      const corrupt = csv.replace('20', '99')
      const run = await dvcRun('corrupt', corrupt, csv)
      expect(run.exitCode).toBe(1)
      expect(run.log).toContain(run.tracked.md5)
      expect(run.log).toContain(md5Hex(corrupt))
      expect(run.log).not.toMatch(/\n\s+at /)
      await expect(readFile(join(run.repo.root, 'data/train.csv'))).rejects.toThrow(/ENOENT/)
      await run.repo.remove()
    })
  })
})

describe('data-qa on image datasets', () => {
  async function imageRun(
    name: string,
    files: Record<string, Buffer | string>,
    inputs: Record<string, string>,
  ) {
    const dir = join(workspace, name)
    await mkdir(dir, { recursive: true })
    await writeFiles(dir, files)
    const lines: string[] = []
    const result = await runAction({ actionDir, inputs, workspace: dir, write: (line) => lines.push(line) })
    return { ...result, log: lines.join('\n') }
  }

  it('a folder given as dataset is checked as images: class folders, summary and reports', async () => {
    const files = Object.fromEntries(
      Object.entries(classFolders(['0', '1', '2'], 5)).map(([path, body]) => [`digits/${path}`, body]),
    )
    const run = await imageRun('images-clean', files, { dataset: 'digits' })
    expect(run.exitCode).toBe(0)
    expect(run.outputs).toMatchObject({ status: 'pass', failed: '0', images: '15' })
    expect(run.summary).toContain('Data QA: pass — digits (images)')
    expect(run.summary).toContain('15 images · 3 classes · 8x8 png')
    expect(run.summary).toContain('xychart-beta')
    const report = JSON.parse(await readFile(run.outputs.report!, 'utf8'))
    expect(report.schema).toBe('mlops-actions/image-qa-report@1')
    expect(report.profile.classes).toHaveLength(3)
    expect(await readFile(run.outputs['html-report']!, 'utf8')).toMatch(/^<!doctype html>/)
  })

  it('segmentation faults fail the step and are named: orphan mask, out-of-set value, corrupt file', async () => {
    const files: Record<string, Buffer | string> = segmentationPairs(4)
    files['masks/lost.png'] = maskOf([0])
    files['masks/img1.png'] = maskOf([0, 9])
    files['images/img2.png'] = pngOf(3).subarray(0, 30)
    files['images/img3.png'] = files['images/img0.png']!
    const run = await imageRun('images-seg', files, { images: '.', 'mask-classes': '0-2' })
    expect(run.exitCode).toBe(1)
    expect(run.outputs).toMatchObject({ status: 'fail', images: '4' })
    const messages = run.annotations.map((a) => `${a.level} ${a.file ?? ''} ${a.message}`)
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^error images\/img2\.png unreadable_images: .*images\/img2\.png \(corrupt PNG/,
        ),
        expect.stringMatching(/^error masks\/img1\.png mask_values: .*masks\/img1\.png \(value 9\)/),
        expect.stringMatching(/^warning masks\/lost\.png orphan_masks: /),
        expect.stringMatching(
          /^warning images\/img3\.png duplicate_images: .*same content as images\/img0\.png/,
        ),
      ]),
    )
    expect(run.summary).toContain('Mask pixels per class')
    expect(run.log).not.toMatch(/\n\s+at /)
  })

  it('a bad mask-classes value names the input', async () => {
    const run = await imageRun('images-bad-input', segmentationPairs(1), {
      images: '.',
      'mask-classes': '0, x',
    })
    expect(run.exitCode).toBe(1)
    const errors = run.annotations.filter((a) => a.level === 'error')
    expect(errors).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/mask-classes.*got 'x'/) }),
    ])
  })

  it('a DVC-tracked image folder is fetched from S3, md5-verified, then checked', async () => {
    const s3 = await startLocalS3()
    try {
      const repo = await makeDvcRepo(s3, 'images/dvcstore')
      const pushed = await pushDirectory(s3, 'images/dvcstore', classFolders(['a', 'b'], 3))
      await repo.write('data/digits.dvc', dvcFileText({ ...pushed, path: 'digits' }))
      const lines: string[] = []
      const run = await runAction({
        actionDir,
        inputs: { images: 'data/digits.dvc' },
        workspace: repo.root,
        write: (line) => lines.push(line),
      })
      expect(run.exitCode).toBe(0)
      expect(run.outputs).toMatchObject({ status: 'pass', images: '6' })
      expect(lines.join('\n')).toContain('data/digits.dvc: 6 files')
      await repo.remove()
    } finally {
      await s3.stop()
    }
  })

  it('neither dataset nor images is a clear error', async () => {
    const run = await imageRun('images-none', {}, {})
    expect(run.exitCode).toBe(1)
    expect(run.annotations[0]!.message).toMatch(/Set input 'dataset' .* or 'images'/)
  })
})
