import { DataError } from './errors.js'
import { openJsonl } from './jsonl.js'
import { dataError, fixture, makeTempDir, readAll, type TempDir } from './__fixtures__/files.js'

let temp: TempDir
beforeAll(async () => {
  temp = await makeTempDir()
})
afterAll(() => temp.remove())

async function jsonlError(
  content: string,
  options: Parameters<typeof openJsonl>[1] = {},
): Promise<DataError> {
  const file = await temp.write('error.jsonl', content)
  const error = await dataError(openJsonl(file, options).then(readAll))
  expect(error.file).toBe(file)
  return error
}

describe('openJsonl', () => {
  it('takes the union of keys in order of first appearance, with nulls for missing keys', async () => {
    const reader = await openJsonl(fixture('events.jsonl'))
    expect(reader.format).toBe('jsonl')
    expect(reader.columns).toEqual(['id', 'kind', 'meta', 'tags', 'ok'])
    expect(await readAll(reader)).toEqual([
      { line: 1, values: [1, 'click', '{"x":1}', null, null] },
      { line: 3, values: [2, null, null, '["a","b"]', null] },
      { line: 4, values: [3, 'view', null, null, true] },
    ])
  })

  it('gives the same records at any chunk size, across multi-byte characters', async () => {
    const lines = Array.from({ length: 50 }, (_, i) =>
      JSON.stringify({ i, text: `Zoë 日本 🙂 ${'x'.repeat(i)}` }),
    )
    const file = await temp.write('chunks.jsonl', '\uFEFF' + lines.join('\n') + '\n')
    const expected = await readAll(await openJsonl(file))
    expect(expected).toHaveLength(50)
    expect(expected[49]).toEqual({ line: 50, values: [49, `Zoë 日本 🙂 ${'x'.repeat(49)}`] })
    for (const chunkSize of [1, 7, 100])
      expect(await readAll(await openJsonl(file, { chunkSize }))).toEqual(expected)
  })

  it('names the line of invalid JSON', async () => {
    const error = await jsonlError('{"a": 1}\n\n{"a": 2,}\n')
    expect(error.message).toMatch(/:3: invalid JSON: /)
    expect(error.line).toBe(3)
  })

  it('rejects a line that is not an object', async () => {
    expect((await jsonlError('{"a": 1}\n[1, 2]\n')).message).toMatch(
      /:2: expected one JSON object per line, found an array/,
    )
    expect((await jsonlError('{"a": 1}\n{"a": 2}\n"text"\n')).message).toMatch(/:3: .* found a string/)
    expect((await jsonlError('null\n')).message).toMatch(/:1: .* found null/)
  })

  it('rejects a key first seen after the sampled lines instead of dropping it', async () => {
    const error = await jsonlError('{"a": 1}\n{"a": 2}\n{"a": 3, "late": true}\n', { sampleLines: 2 })
    expect(error.message).toMatch(/:3: key 'late' does not appear in the first 2 lines/)
    expect(error.column).toBe('late')
  })

  it('samples the first 1000 lines by default', async () => {
    const lines = Array.from({ length: 1001 }, (_, i) => JSON.stringify({ id: i }))
    lines[999] = JSON.stringify({ id: 999, seen: 1 })
    lines[1000] = JSON.stringify({ id: 1000, unseen: 1 })
    const file = await temp.write('late.jsonl', lines.join('\n'))
    const reader = await openJsonl(file)
    expect(reader.columns).toEqual(['id', 'seen'])
    await expect(readAll(reader)).rejects.toThrow(/:1001: key 'unseen'/)
  })

  it('reads an empty file as no columns and no records', async () => {
    const file = await temp.write('empty.jsonl', '\n \n')
    const reader = await openJsonl(file)
    expect(reader.columns).toEqual([])
    expect(await readAll(reader)).toEqual([])
  })
})
