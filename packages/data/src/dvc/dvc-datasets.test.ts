import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { rejection } from '../__fixtures__/files.js'
import { DataError } from '../errors.js'
import {
  dvcFileText,
  makeDvcRepo,
  pushDirectory,
  pushFile,
  startLocalS3,
  type DvcRepo,
  type LocalS3,
} from './__fixtures__/dvc-remote.js'
import { fetchDvcDatasets, parseDvcDatasetRef } from './dvc-datasets.js'

let s3: LocalS3
let repo: DvcRepo
const PREFIX = 'datasets/dvcstore'

beforeAll(async () => {
  s3 = await startLocalS3()
  repo = await makeDvcRepo(s3, PREFIX)
})
afterAll(async () => {
  await repo.remove()
  await s3.stop()
})

describe('parseDvcDatasetRef', () => {
  test.each([
    ['data/train.csv.dvc', { dvcFile: 'data/train.csv.dvc' }],
    ['dvc.lock:data/features', { lockFile: 'dvc.lock', outPath: 'data/features' }],
    ['sub/dvc.lock:out.csv', { lockFile: 'sub/dvc.lock', outPath: 'out.csv' }],
    ['data/train.csv', undefined],
    ['data/*.dvc', undefined],
    ['C:data.csv', undefined],
  ])('%s', (entry, expected) => {
    expect(parseDvcDatasetRef(entry)).toEqual(expected)
  })
})

describe('fetchDvcDatasets', () => {
  test('fetches a tracked file and a tracked directory of parts; plain entries pass through in order', async () => {
    const train = 'age,label\n40,1\n51,0\n'
    const file = await pushFile(s3, PREFIX, train)
    await repo.write('data/train.csv.dvc', dvcFileText({ ...file, path: 'train.csv' }))
    const parts = await pushDirectory(s3, PREFIX, {
      'part-1.csv': 'age,label\n60,1\n',
      'part-0.csv': 'age,label\n33,0\n',
      'README.md': 'not a table',
      'nested/part-2.jsonl': '{"age": 70, "label": 1}\n',
    })
    await repo.write('data/parts.dvc', dvcFileText({ ...parts, path: 'parts' }))
    const fetched: string[] = []
    const paths = await fetchDvcDatasets(['data/train.csv.dvc', 'plain.csv', 'data/parts.dvc'], {
      repoRoot: repo.root,
      onFetched: (entry, result) => fetched.push(`${entry}:${result.files}:${result.verified}`),
    })
    expect(paths).toEqual([
      join(repo.root, 'data/train.csv'),
      'plain.csv',
      join(repo.root, 'data/parts/nested/part-2.jsonl'),
      join(repo.root, 'data/parts/part-0.csv'),
      join(repo.root, 'data/parts/part-1.csv'),
    ])
    expect(await readFile(paths[0]!, 'utf8')).toBe(train)
    expect(fetched).toEqual(['data/train.csv.dvc:1:true', 'data/parts.dvc:4:true'])
  })

  test('a dvc.lock out is fetched by its path', async () => {
    const csv = 'x\n1\n'
    const object = await pushFile(s3, PREFIX, csv)
    await repo.write(
      'dvc.lock',
      [
        'schema: "2.0"',
        'stages:',
        '  prepare:',
        '    cmd: python prepare.py',
        '    outs:',
        '    - path: data/prepared.csv',
        `      md5: ${object.md5}`,
        `      size: ${object.size}`,
        '      hash: md5',
        '',
      ].join('\n'),
    )
    const [path] = await fetchDvcDatasets(['dvc.lock:data/prepared.csv'], { repoRoot: repo.root })
    expect(await readFile(path!, 'utf8')).toBe(csv)
  })

  test('a tracked directory without tables is an error naming the .dvc file', async () => {
    const images = await pushDirectory(s3, PREFIX, { 'a.png': 'png', 'b.png': 'png2' })
    await repo.write('data/images.dvc', dvcFileText({ ...images, path: 'images' }))
    const error = await rejection(fetchDvcDatasets(['data/images.dvc'], { repoRoot: repo.root }))
    expect(error).toBeInstanceOf(DataError)
    expect(error.message).toMatch(/^data\/images\.dvc tracks the directory images\/ \(2 files\), but none/)
  })

  test('a missing .dvc file is named', async () => {
    const error = await rejection(fetchDvcDatasets(['data/missing.csv.dvc'], { repoRoot: repo.root }))
    expect(error).toBeInstanceOf(DataError)
    expect(error.message).toContain('missing.csv.dvc')
  })
})
