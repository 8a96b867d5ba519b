import { readColumns } from './columns.js'
import { DataError } from './errors.js'
import { makeTempDir, rejection, type TempDir } from './__fixtures__/files.js'

let temp: TempDir
beforeAll(async () => {
  temp = await makeTempDir()
})
afterAll(() => temp.remove())

describe('readColumns', () => {
  test('numbers become numeric columns, anything else categorical, empties null, across files', async () => {
    const a = await temp.write('a.csv', 'age,city,flag,code\n40,Lyon,true,7\n,Paris,false,\n')
    const b = await temp.write('b.csv', 'age,city,flag,code\n51.5,,true,8\n')
    const table = await readColumns([a, b], { kinds: { code: 'categorical' } })
    expect(table.rows).toBe(3)
    expect(table.columns).toEqual([
      { name: 'age', kind: 'numeric', values: [40, null, 51.5] },
      { name: 'city', kind: 'categorical', values: ['Lyon', 'Paris', null] },
      { name: 'flag', kind: 'categorical', values: ['true', 'false', 'true'] },
      { name: 'code', kind: 'categorical', values: ['7', null, '8'] },
    ])
  })

  test('a subset of columns, in the order asked', async () => {
    const file = await temp.write('subset.csv', 'a,b,c\n1,x,3\n')
    const table = await readColumns([file], { columns: ['c', 'a'] })
    expect(table.columns.map((c) => [c.name, c.values])).toEqual([
      ['c', [3]],
      ['a', [1]],
    ])
  })

  test('a word in a mostly numeric column is an error naming file, line and column', async () => {
    const lines = ['id,glucose', ...Array.from({ length: 300 }, (_, i) => `${i},${100 + i}`)]
    lines[201] = '200,12O' // letter O for zero, on file line 202
    const file = await temp.write('typo.csv', lines.join('\n') + '\n')
    const error = await rejection(readColumns([file]))
    expect(error).toBeInstanceOf(DataError)
    expect(error.message).toBe(
      `${file}:202: column 'glucose' looks numeric (299 of 300 values are numbers) but holds "12O"; fix the value, or declare the column categorical`,
    )
    expect((error as DataError).column).toBe('glucose')
  })

  test('a column declared numeric must hold only numbers', async () => {
    const file = await temp.write('declared.csv', 'zip\n69001\nA1B\n')
    const error = await rejection(readColumns([file], { kinds: { zip: 'numeric' } }))
    expect(error.message).toBe(`${file}:3: column 'zip' is declared numeric but holds "A1B"`)
  })

  test('an unknown column is named with a suggestion', async () => {
    const file = await temp.write('names.csv', 'glucose,age\n1,2\n')
    const error = await rejection(readColumns([file], { columns: ['glucos'] }))
    expect(error.message).toMatch(/^column 'glucos' is not in .*names\.csv \(did you mean 'glucose'\?\)$/)
  })

  test('files with different columns are refused', async () => {
    const a = await temp.write('one.csv', 'a,b\n1,2\n')
    const b = await temp.write('two.csv', 'a,c\n1,2\n')
    expect((await rejection(readColumns([a, b]))).message).toContain('two.csv does not have the same columns')
  })
})
