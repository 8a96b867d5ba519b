import { createProgress, formatAmount } from './progress.js'

function fakeClock(start = 1_000_000) {
  let time = start
  return { now: () => time, advance: (ms: number) => void (time += ms) }
}

describe('createProgress', () => {
  it('writes at most one line per interval, with percent and rate', () => {
    const clock = fakeClock()
    const lines: string[] = []
    const progress = createProgress({
      label: 'scoring',
      total: 1000,
      unit: 'rows',
      now: clock.now,
      write: (line) => lines.push(line),
    })

    clock.advance(1000)
    progress.update(100)
    expect(lines).toEqual([])

    clock.advance(1000)
    progress.update(250)
    progress.update(260)
    expect(lines).toEqual(['scoring: 250 rows, 25.0% of 1,000 rows, 125 rows/s'])

    clock.advance(1999)
    progress.update(400)
    expect(lines).toHaveLength(1)
    clock.advance(1)
    progress.update(500)
    expect(lines[1]).toBe('scoring: 500 rows, 50.0% of 1,000 rows, 125 rows/s')
  })

  it('prints rows read from a file of known size, as in the docs', () => {
    const clock = fakeClock()
    const lines: string[] = []
    const progress = createProgress({
      label: 'reading data.csv',
      unit: 'rows',
      total: 180.3 * 1024 * 1024,
      totalUnit: 'bytes',
      intervalMs: 1000,
      now: clock.now,
      write: (line) => lines.push(line),
    })
    clock.advance(4027)
    progress.update(1_250_000, 0.412 * 180.3 * 1024 * 1024)
    expect(lines).toEqual(['reading data.csv: 1,250,000 rows, 41.2% of 180.3 MB, 310,405 rows/s'])
  })

  it('omits the percentage without a total', () => {
    const clock = fakeClock()
    const lines: string[] = []
    const progress = createProgress({
      label: 'hashing',
      unit: 'bytes',
      intervalMs: 500,
      now: clock.now,
      write: (line) => lines.push(line),
    })
    clock.advance(2000)
    progress.update(5 * 1024 * 1024)
    expect(lines).toEqual(['hashing: 5.0 MB, 2.5 MB/s'])
  })

  it('always writes a final line, once, and nothing after it', () => {
    const clock = fakeClock()
    const lines: string[] = []
    const progress = createProgress({
      label: 'scoring',
      unit: 'rows',
      now: clock.now,
      write: (line) => lines.push(line),
    })
    clock.advance(500)
    progress.update(10)
    clock.advance(500)
    progress.done(2000)
    progress.done(2000)
    clock.advance(10_000)
    progress.update(3000)
    expect(lines).toEqual(['scoring: done, 2,000 rows in 1.0 s, 2,000 rows/s'])
  })

  it('leaves out the rate when no time has passed', () => {
    const clock = fakeClock()
    const lines: string[] = []
    const progress = createProgress({ label: 'x', now: clock.now, write: (line) => lines.push(line) })
    progress.done(3)
    expect(lines).toEqual(['x: done, 3 items in 0.0 s'])
  })
})

describe('formatAmount', () => {
  it.each([
    [0, 'bytes', '0 B'],
    [1023, 'bytes', '1,023 B'],
    [1024, 'bytes', '1.0 KB'],
    [1536, 'bytes', '1.5 KB'],
    [1024 * 1024 - 1, 'bytes', '1.0 MB'],
    [180.3 * 1024 * 1024, 'bytes', '180.3 MB'],
    [3.25 * 1024 ** 3, 'bytes', '3.3 GB'],
    [5 * 1024 ** 5, 'bytes', '5120.0 TB'],
    [1_250_000, 'rows', '1,250,000 rows'],
    [310_421.6, 'rows', '310,422 rows'],
  ])('%p %s -> %s', (value, unit, expected) => {
    expect(formatAmount(value, unit)).toBe(expected)
  })
})
