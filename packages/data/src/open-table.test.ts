import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { expandDatasetPaths, openTable } from './open-table.js'
import { dataError, makeTempDir, readAll, type TempDir } from './__fixtures__/files.js'

let temp: TempDir
beforeAll(async () => {
  temp = await makeTempDir()
})
afterAll(() => temp.remove())

describe('openTable', () => {
  it('picks the reader from the extension', async () => {
    const csv = await temp.write('t.CSV', 'a,b\n1,2\n')
    const tsv = await temp.write('t.tsv', 'a\tb\n1\t2,5\n')
    const txt = await temp.write('t.txt', 'a;b\n1;2\n')
    const jsonl = await temp.write('t.ndjson', '{"a": 1}\n')
    const parquet = await temp.write(
      't.parquet',
      new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'a', data: [1], type: 'INT32' }] })),
    )
    expect((await openTable(csv)).format).toBe('csv')
    expect(await readAll(await openTable(tsv))).toEqual([{ line: 2, values: ['1', '2,5'] }])
    expect((await openTable(txt, { delimiter: 'auto' })).columns).toEqual(['a', 'b'])
    expect((await openTable(jsonl)).format).toBe('jsonl')
    expect(await readAll(await openTable(parquet))).toEqual([{ line: 1, values: [1] }])
  })

  it('passes CSV options through and lets the format override the extension', async () => {
    const file = await temp.write('data.log', 'a|b\n-|NA\n')
    const reader = await openTable(file, { format: 'csv', delimiter: '|', nullValues: ['-'] })
    expect(await readAll(reader)).toEqual([{ line: 2, values: [null, 'NA'] }])
  })

  it('lists the accepted extensions for an unknown one', async () => {
    const file = await temp.write('data.xlsx', '')
    const error = await dataError(openTable(file))
    expect(error.message).toMatch(
      /extension '\.xlsx'; use one of \.csv, \.tsv, \.txt, \.jsonl, \.ndjson, \.parquet/,
    )
  })

  it('says which file is missing', async () => {
    const missing = join(temp.dir, 'nope.csv')
    const error = await dataError(openTable(missing))
    expect(error.message).toBe(`file not found: ${missing}`)
    expect(error.file).toBe(missing)
  })

  it('rejects a directory', async () => {
    await mkdir(join(temp.dir, 'folder.csv'))
    await expect(openTable(join(temp.dir, 'folder.csv'))).rejects.toThrow(/not a regular file/)
  })
})

describe('expandDatasetPaths', () => {
  let root: string
  beforeAll(async () => {
    root = join(temp.dir, 'tree')
    await mkdir(join(root, 'sub', 'deep'), { recursive: true })
    await mkdir(join(root, 'dir.csv'))
    for (const name of ['b.csv', 'a.csv', 'ab.csv', 'sub/c.csv', 'sub/deep/d.csv', 'sub/deep/e.jsonl']) {
      await temp.write(join('tree', name), 'x\n1\n')
    }
  })

  it('expands *, ** and ? sorted, files only', async () => {
    expect(await expandDatasetPaths(['*.csv'], root)).toEqual(
      ['a.csv', 'ab.csv', 'b.csv'].map((f) => join(root, f)),
    )
    expect(await expandDatasetPaths(['?.csv'], root)).toEqual(['a.csv', 'b.csv'].map((f) => join(root, f)))
    expect(await expandDatasetPaths(['sub/**/*.csv'], root)).toEqual(
      ['sub/c.csv', 'sub/deep/d.csv'].map((f) => join(root, f)),
    )
  })

  it('keeps the pattern order, resolves plain paths and drops duplicates', async () => {
    expect(
      await expandDatasetPaths(['sub/deep/e.jsonl', 'b.csv', '*.csv', join(root, 'a.csv')], root),
    ).toEqual(['sub/deep/e.jsonl', 'b.csv', 'a.csv', 'ab.csv'].map((f) => join(root, f)))
  })

  it('fails on a pattern that matches nothing', async () => {
    const error = await dataError(expandDatasetPaths(['*.csv', 'missing/*.parquet'], root))
    expect(error.message).toBe(`no files match 'missing/*.parquet' (relative to ${root})`)
    await expect(expandDatasetPaths(['nope.csv'], root)).rejects.toThrow(/no files match 'nope.csv'/)
  })
})
