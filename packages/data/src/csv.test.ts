import { CsvParser, openCsv, sniffDelimiter } from './csv.js'
import { DataError } from './errors.js'
import type { Cell, TableRecord } from './types.js'
import { dataError, fixture, makeTempDir, readAll, seededRandom, type TempDir } from './__fixtures__/files.js'

let temp: TempDir
beforeAll(async () => {
  temp = await makeTempDir()
})
afterAll(() => temp.remove())

async function parse(content: string, options: Parameters<typeof openCsv>[1] = {}): Promise<TableRecord[]> {
  const file = await temp.write(`case-${Math.random().toString(36).slice(2)}.csv`, content)
  return readAll(await openCsv(file, options))
}

async function parseError(content: string, options: Parameters<typeof openCsv>[1] = {}): Promise<DataError> {
  const file = await temp.write('error.csv', content)
  const error = await dataError(openCsv(file, options).then(readAll))
  expect(error.file).toBe(file)
  expect(error.message.startsWith(file)).toBe(true)
  return error
}

describe('openCsv', () => {
  it('reads quotes, doubled quotes, embedded newlines, CRLF, a BOM and null tokens with correct line numbers', async () => {
    const reader = await openCsv(fixture('tricky.csv'))
    expect(reader.columns).toEqual(['id', 'name', 'comment', 'score'])
    expect(reader.format).toBe('csv')
    expect(await readAll(reader)).toEqual([
      { line: 2, values: ['1', 'Smith, Ann', 'said "hi"', '3.5'] },
      { line: 3, values: ['2', 'Bob', 'two\r\nlines', null] },
      // A quoted "NA" and a quoted "" are values the writer meant: only unquoted tokens are null.
      { line: 5, values: ['3', '', 'NA', null] },
      { line: 7, values: ['4', 'Zoë', 'a\nb\nc', '-1e3'] },
    ])
  })

  it('gives the same records however the file is cut into chunks', async () => {
    const expected = await readAll(await openCsv(fixture('tricky.csv'), { chunkSize: 1 << 20 }))
    for (const chunkSize of [1, 2, 3, 7, 13]) {
      expect(await readAll(await openCsv(fixture('tricky.csv'), { chunkSize }))).toEqual(expected)
    }
  })

  it('round-trips random awkward records at tiny and large chunk sizes', async () => {
    const random = seededRandom(7)
    const pieces = ['a', 'Zoë', '日本', '🙂', ',', '"', '\n', '\r\n', ' ', '1.5', 'NA', '']
    const columns = ['c1', 'c2', 'c3', 'c4']
    const expected: TableRecord[] = []
    let text = columns.join(',') + '\r\n'
    let line = 2
    for (let row = 0; row < 300; row++) {
      const values: Cell[] = []
      const fields: string[] = []
      for (let c = 0; c < columns.length; c++) {
        let value = ''
        const length = Math.floor(random() * 4)
        for (let i = 0; i < length; i++) value += pieces[Math.floor(random() * pieces.length)]
        const mustQuote = /[",\r\n]/.test(value) || value === 'NA' || value === '' || random() < 0.2
        if (value === '' && random() < 0.5) {
          fields.push('')
          values.push(null)
        } else {
          fields.push(mustQuote ? `"${value.replaceAll('"', '""')}"` : value)
          values.push(value)
        }
      }
      expected.push({ line, values })
      const record = fields.join(',')
      line += record.split('\n').length
      text += record + (random() < 0.5 ? '\n' : '\r\n')
    }
    for (const chunkSize of [1, 7, 64, 1 << 20]) {
      expect(await parse(text, { chunkSize })).toEqual(expected)
    }
  })

  it('reads a last record without a trailing newline, and skips blank lines', async () => {
    expect(await parse('a,b\n\n1,2\n\r\n3,4')).toEqual([
      { line: 3, values: ['1', '2'] },
      { line: 5, values: ['3', '4'] },
    ])
  })

  it('reads a header-only file as zero records', async () => {
    const file = await temp.write('header-only.csv', 'x,y\n')
    const reader = await openCsv(file)
    expect(reader.columns).toEqual(['x', 'y'])
    expect(await readAll(reader)).toEqual([])
  })

  it('maps every default null token to null and keeps other strings', async () => {
    const records = await parse('a,b,c,d,e,f,g,h,i\n,NA,N/A,null,NULL,NaN,nan,None,na\n')
    expect(records[0]!.values).toEqual([null, null, null, null, null, null, null, null, 'na'])
  })

  it('uses custom null tokens instead of the defaults', async () => {
    const records = await parse('a,b,c\n-,,NA\n', { nullValues: ['-'] })
    expect(records[0]!.values).toEqual([null, '', 'NA'])
  })

  it('reads a custom delimiter and sniffs one from the header', async () => {
    const semicolon = await openCsv(fixture('semicolon.csv'), { delimiter: 'auto' })
    expect(semicolon.columns).toEqual(['city', 'price', 'note'])
    expect(await readAll(semicolon)).toEqual([
      { line: 2, values: ['Lyon', '2,5', 'a;b'] },
      { line: 3, values: ['Nantes', '3', null] },
    ])
    expect(await parse('a\tb\n1\t2\n', { delimiter: '\t' })).toEqual([{ line: 2, values: ['1', '2'] }])
    expect(await parse('a|b\n1|2\n', { delimiter: 'auto', chunkSize: 2 })).toEqual([
      { line: 2, values: ['1', '2'] },
    ])
  })

  it('sniffs the most frequent candidate outside quotes', () => {
    expect(sniffDelimiter('a;b;c')).toBe(';')
    expect(sniffDelimiter('a\tb,c\td')).toBe('\t')
    expect(sniffDelimiter('"a;b;c",d')).toBe(',')
    expect(sniffDelimiter('single')).toBe(',')
  })

  it('can stream the records again from the start', async () => {
    const reader = await openCsv(fixture('tricky.csv'))
    const first = await readAll(reader)
    expect(await readAll(reader)).toEqual(first)
    expect(reader.bytesRead()).toBe(reader.totalBytes)
  })

  it('opens a file whose bad record comes later, and fails when the records get there', async () => {
    const file = await temp.write('late-error.csv', 'a,b\n1,2\n3\n')
    const reader = await openCsv(file)
    expect(reader.columns).toEqual(['a', 'b'])
    const error = await dataError(readAll(reader))
    expect(error.message).toBe(`${file}:3: expected 2 fields, found 1`)
  })

  describe('errors', () => {
    it('names the line of a record with the wrong field count, counting lines inside quoted fields', async () => {
      const error = await parseError('a,b\n"x\ny",1\n1,2,3\n')
      expect(error.message).toMatch(/:4: expected 2 fields, found 3$/)
      expect(error.line).toBe(4)
      const chunked = await parseError('a,b\n"x\ny",1\n1,2,3\n', { chunkSize: 3 })
      expect(chunked.message).toBe(error.message)
    })

    it('names the line where an unterminated quote opened', async () => {
      const error = await parseError('a,b\n1,2\n3,"open\nmore\nstill open\n')
      expect(error.message).toMatch(/:3: quoted field 2 opened here is never closed/)
      expect(error.line).toBe(3)
      expect((await parseError('a,b\n1,2\n3,"open\nmore\n', { chunkSize: 4 })).line).toBe(3)
    })

    it('names the line of a stray quote inside an unquoted field', async () => {
      const error = await parseError('a,b\n"multi\nline",x\n1,ab"c\n')
      expect(error.message).toMatch(/:4: stray quote in unquoted field 2/)
      expect(error.line).toBe(4)
    })

    it('names the line of text after a closing quote', async () => {
      const error = await parseError('a,b\n1,2\n"x"y,1\n')
      expect(error.message).toMatch(/:3: unexpected character after the closing quote of field 1/)
    })

    it('rejects duplicate header names with both positions', async () => {
      const error = await parseError('id,a,id\n1,2,3\n')
      expect(error.message).toMatch(/:1: column name 'id' appears twice in the header \(columns 1 and 3\)/)
      expect(error.column).toBe('id')
    })

    it('rejects an empty header name with its position', async () => {
      const error = await parseError('a,,c\n1,2,3\n')
      expect(error.message).toMatch(/:1: column 2 of the header has no name/)
    })

    it('rejects an empty file', async () => {
      const error = await parseError('')
      expect(error.message).toMatch(/the file is empty; a header row is required/)
    })

    it('rejects a delimiter that is not one character', async () => {
      const file = await temp.write('delimiter.csv', 'a,b\n')
      await expect(openCsv(file, { delimiter: '::' })).rejects.toThrow(/one character/)
      await expect(openCsv(file, { delimiter: '"' })).rejects.toThrow(/one character/)
    })
  })
})

describe('CsvParser', () => {
  it('parses text fed directly, keeping a header named like a null token', () => {
    const parser = new CsvParser('inline.csv', ',', ['NA'])
    const out: TableRecord[] = []
    parser.feed('NA,b\nNA,', out)
    parser.feed('"NA"\n', out)
    parser.end(out)
    expect(parser.columns).toEqual(['NA', 'b'])
    expect(out).toEqual([{ line: 2, values: [null, 'NA'] }])
  })
})
