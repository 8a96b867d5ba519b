import { cellKind, scanNumber, toNumber, widenType, type NumberScan } from './infer.js'
import type { ColumnType } from './types.js'
import { seededRandom } from './__fixtures__/files.js'

describe('cellKind', () => {
  it.each([
    [null, 'null'],
    [3, 'integer'],
    [-0, 'integer'],
    [2.5, 'number'],
    [NaN, 'null'],
    [true, 'boolean'],
    ['42', 'integer'],
    ['-7', 'integer'],
    ['+7', 'integer'],
    ['007', 'integer'],
    ['3.14', 'number'],
    ['-.5', 'number'],
    ['1.', 'number'],
    ['1e5', 'number'],
    ['-2.5E-3', 'number'],
    ['true', 'boolean'],
    ['FALSE', 'boolean'],
    ['True', 'boolean'],
    ['2024-02-29', 'datetime'],
    ['2024-05-01T10:00', 'datetime'],
    ['2024-05-01T10:00:59.123Z', 'datetime'],
    ['2024-05-01 10:00:00+02:00', 'datetime'],
    ['2024-05-01T23:59:60-05:30', 'datetime'],
    ['2023-02-29', 'string'],
    ['2024-13-01', 'string'],
    ['2024-05-01T24:00', 'string'],
    ['2024-05-01T10', 'string'],
    ['2024-5-1', 'string'],
    ['inf', 'string'],
    ['Infinity', 'string'],
    ['-inf', 'string'],
    ['NaN', 'string'],
    ['0x1F', 'string'],
    ['1_000', 'string'],
    [' 42', 'string'],
    ['42 ', 'string'],
    ['', 'string'],
    ['-', 'string'],
    ['.', 'string'],
    ['1e', 'string'],
    ['1e+', 'string'],
    ['1.2.3', 'string'],
    ['yes', 'string'],
    ['truex', 'string'],
  ] as const)('%j is %s', (cell, kind) => {
    expect(cellKind(cell)).toBe(kind)
  })
})

describe('toNumber', () => {
  it('parses numeric cells and nothing else', () => {
    expect(toNumber('42')).toBe(42)
    expect(toNumber('-2.5e-3')).toBe(-0.0025)
    expect(toNumber(7.5)).toBe(7.5)
    expect(toNumber('abc')).toBeUndefined()
    expect(toNumber('Infinity')).toBeUndefined()
    expect(toNumber('1e999')).toBeUndefined()
    expect(toNumber(Infinity)).toBeUndefined()
    expect(toNumber(true)).toBeUndefined()
    expect(toNumber(null)).toBeUndefined()
    expect(toNumber('')).toBeUndefined()
  })

  it('matches Number() bit for bit on random decimals of every length', () => {
    const random = seededRandom(11)
    const scan: NumberScan = { kind: 0 }
    for (let i = 0; i < 20_000; i++) {
      const digits = 1 + Math.floor(random() * 19)
      let text = random() < 0.3 ? '-' : ''
      for (let d = 0; d < digits; d++) text += String(Math.floor(random() * 10))
      const point = Math.floor(random() * (digits + 1))
      if (point < digits) text = `${text.slice(0, text.length - point)}.${text.slice(text.length - point)}`
      const parsed = scanNumber(text, scan)
      expect(Object.is(parsed, Number(text))).toBe(true)
    }
  })
})

describe('widenType', () => {
  const cases: Array<[ColumnType, ColumnType, ColumnType]> = [
    ['empty', 'integer', 'integer'],
    ['boolean', 'empty', 'boolean'],
    ['integer', 'integer', 'integer'],
    ['integer', 'number', 'number'],
    ['number', 'integer', 'number'],
    ['integer', 'boolean', 'string'],
    ['datetime', 'integer', 'string'],
    ['datetime', 'datetime', 'datetime'],
    ['string', 'number', 'string'],
    ['number', 'string', 'string'],
    ['empty', 'empty', 'empty'],
  ]
  it.each(cases)('%s + %s = %s', (a, b, widened) => {
    expect(widenType(a, b)).toBe(widened)
  })
})
