import { readBatches } from './batch.js'
import { openCsv } from './csv.js'
import { openJsonl } from './jsonl.js'
import { ProfileBuilder } from './profile.js'
import { rowHash, batchRowHash } from './row-hash.js'
import type { Cell, TableReader } from './types.js'
import { makeTempDir, readAll, seededRandom, type TempDir } from './__fixtures__/files.js'

/**
 * The batch path (CSV cells read where they lie in the parse buffer) is an optimisation of the record path:
 * everything it produces must equal what `records()` + `add` produce on the same file.
 */
let temp: TempDir
beforeAll(async () => {
  temp = await makeTempDir()
})
afterAll(() => temp.remove())

/** A CSV that crosses several batch boundaries and has every kind of cell the parser special-cases. */
function trickyCsv(rows: number): string {
  const random = seededRandom(7)
  const lines = ['id,amount,flag,city,note,when,mixed']
  for (let i = 0; i < rows; i++) {
    const amount =
      random() < 0.05
        ? ''
        : random() < 0.1
          ? 'NA'
          : random() < 0.2
            ? '1e3'
            : (random() * 1000 - 500).toFixed(2)
    const flag = random() < 0.1 ? '' : random() < 0.5 ? 'true' : 'false'
    const city = ['Lyon', '"Saint-Étienne, Loire"', 'Paris', '"Le ""Havre"""', ''][Math.floor(random() * 5)]!
    const note = random() < 0.02 ? '"two\nlines"' : random() < 0.5 ? 'plain' : ' spaced '
    const when = random() < 0.5 ? '2024-01-0' + (1 + Math.floor(random() * 9)) : ''
    const mixed = random() < 0.5 ? String(Math.floor(random() * 100)) : 'x' + Math.floor(random() * 5)
    lines.push([i, amount, flag, city, note, when, mixed].join(','))
  }
  return lines.join('\n') + '\n'
}

async function batchRows(
  reader: TableReader,
): Promise<Array<{ line: number; values: Cell[]; hash: number }>> {
  const rows: Array<{ line: number; values: Cell[]; hash: number }> = []
  for await (const batch of readBatches(reader)) {
    for (let row = 0; row < batch.length; row++) {
      const values = batch.values(row)
      for (let column = 0; column < batch.width; column++) {
        expect(batch.cell(row, column)).toEqual(values[column])
      }
      rows.push({ line: batch.line(row), values, hash: batchRowHash(batch, row) })
    }
  }
  return rows
}

describe('record batches', () => {
  test('CSV batches hold the same cells and lines as records(), across batch boundaries', async () => {
    const file = await temp.write('tricky.csv', trickyCsv(3000))
    const records = await readAll(await openCsv(file))
    const batched = await batchRows(await openCsv(file))
    expect(batched.map((r) => r.line)).toEqual(records.map((r) => r.line))
    expect(batched.map((r) => r.values)).toEqual(records.map((r) => r.values))
    expect(records.length).toBe(3000)
  })

  test('a batch row hash finds the same duplicate rows as rowHash on the records', async () => {
    const body = trickyCsv(1200).split('\n')
    // Two text lines repeated at the end: the hashes must collide exactly for those copies and nothing else.
    const file = await temp.write('dups.csv', [...body.slice(0, -1), body[5], body[900], ''].join('\n'))
    const records = await readAll(await openCsv(file))
    const batched = await batchRows(await openCsv(file))
    const groups = (hashes: number[]) => {
      const seen = new Map<number, number[]>()
      hashes.forEach((h, i) => seen.set(h, [...(seen.get(h) ?? []), i]))
      return [...seen.values()].filter((g) => g.length > 1)
    }
    const expected = groups(records.map((r) => rowHash(r.values)))
    expect(groups(batched.map((r) => r.hash))).toEqual(expected)
    // Text line 900 is not record 899 (some notes span two lines), so find the copies by value.
    expect(expected.map((g) => g.at(-1))).toEqual([1200, 1201])
    for (const group of expected) {
      expect(records[group[0]!]!.values).toEqual(records[group[1]!]!.values)
    }
  })

  test('a profile built from batches equals one built record by record', async () => {
    const file = await temp.write('profile.csv', trickyCsv(5000))
    const reader = await openCsv(file)
    const byRecord = new ProfileBuilder(reader.columns)
    for (const record of await readAll(reader)) byRecord.add(record.values)
    const byBatch = new ProfileBuilder(reader.columns)
    for await (const batch of readBatches(await openCsv(file))) byBatch.addBatch(batch)
    expect(byBatch.finish()).toEqual(byRecord.finish())
  })

  test('readers without batches() are grouped from records()', async () => {
    const lines = Array.from({ length: 1100 }, (_, i) => JSON.stringify({ a: i, b: i % 3 ? 'x' : null }))
    const file = await temp.write('rows.jsonl', lines.join('\n') + '\n')
    const records = await readAll(await openJsonl(file))
    const batched = await batchRows(await openJsonl(file))
    expect(batched.map((r) => r.values)).toEqual(records.map((r) => r.values))
    expect(batched.map((r) => r.line)).toEqual(records.map((r) => r.line))
  })
})
