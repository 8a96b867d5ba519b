import { readFile } from 'node:fs/promises'
import { gzipSync } from 'node:zlib'
import { parquetMetadata } from 'hyparquet'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { openParquet, toCell } from './parquet.js'
import { dataError, makeTempDir, readAll, type TempDir } from './__fixtures__/files.js'

let temp: TempDir
beforeAll(async () => {
  temp = await makeTempDir()
})
afterAll(() => temp.remove())

describe('openParquet', () => {
  it('round-trips a file written with hyparquet-writer, one row group at a time', async () => {
    const rows = 10
    const ids = Array.from({ length: rows }, (_, i) => i + 1)
    const file = await temp.write(
      'round-trip.parquet',
      new Uint8Array(
        parquetWriteBuffer({
          rowGroupSize: 4,
          columnData: [
            { name: 'id', data: ids, type: 'INT32' },
            { name: 'big', data: ids.map((i) => BigInt(i) * 1_000_000_000n), type: 'INT64' },
            { name: 'score', data: ids.map((i) => (i === 3 ? null : i === 4 ? NaN : i / 4)), type: 'DOUBLE' },
            { name: 'name', data: ids.map((i) => (i % 5 === 0 ? null : `n${i}`)), type: 'STRING' },
            { name: 'flag', data: ids.map((i) => i % 2 === 0), type: 'BOOLEAN' },
            { name: 'at', data: ids.map((i) => new Date(Date.UTC(2024, 0, i, 12))), type: 'TIMESTAMP' },
          ],
        }),
      ),
    )
    expect(parquetMetadata(await readFile(file)).row_groups.map((group) => Number(group.num_rows))).toEqual([
      4, 4, 2,
    ])
    const reader = await openParquet(file)
    expect(reader.format).toBe('parquet')
    expect(reader.columns).toEqual(['id', 'big', 'score', 'name', 'flag', 'at'])
    const records = await readAll(reader)
    expect(records.map((record) => record.line)).toEqual(ids)
    expect(records[0]).toEqual({
      line: 1,
      values: [1, 1_000_000_000, 0.25, 'n1', false, '2024-01-01T12:00:00.000Z'],
    })
    expect(records[2]!.values[2]).toBeNull()
    expect(records[3]!.values[2]).toBeNull()
    expect(records[4]!.values[3]).toBeNull()
    expect(records[9]!.values).toEqual([10, 10_000_000_000, 2.5, null, true, '2024-01-10T12:00:00.000Z'])
    expect(reader.bytesRead()).toBe(reader.totalBytes)
    // A second pass reads the same rows.
    expect(await readAll(reader)).toEqual(records)
  })

  it('reads gzip-compressed pages (Spark, polars and pyarrow write compressed Parquet)', async () => {
    const values = Array.from({ length: 50 }, (_, i) => i * 1.5)
    const file = await temp.write(
      'gzip.parquet',
      new Uint8Array(
        parquetWriteBuffer({
          codec: 'GZIP',
          compressors: { GZIP: (bytes: Uint8Array) => new Uint8Array(gzipSync(bytes)) },
          columnData: [{ name: 'x', data: values, type: 'DOUBLE' }],
        }),
      ),
    )
    expect(parquetMetadata(await readFile(file)).row_groups[0]!.columns[0]!.meta_data!.codec).toBe('GZIP')
    const records = await readAll(await openParquet(file))
    expect(records.map((r) => r.values[0])).toEqual(values)
  })

  it('rejects a file that is not Parquet', async () => {
    const file = await temp.write('fake.parquet', 'id,name\n1,a\n')
    const error = await dataError(openParquet(file))
    expect(error.message).toMatch(/fake\.parquet: not a readable Parquet file/)
  })
})

describe('toCell', () => {
  it('turns Parquet values into cells', () => {
    expect(toCell(12n)).toBe(12)
    expect(toCell(undefined)).toBeNull()
    expect(toCell(NaN)).toBeNull()
    expect(toCell(new Date(Number.NaN))).toBeNull()
    expect(toCell(new Uint8Array([1, 2, 3]))).toBe('AQID')
    expect(toCell({ a: 1n, b: [1, 2] })).toBe('{"a":1,"b":[1,2]}')
  })
})
