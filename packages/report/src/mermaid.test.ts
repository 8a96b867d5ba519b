import { mermaidLineChart } from './mermaid.js'

describe('mermaidLineChart', () => {
  test('thins long series to evenly spaced points, keeping the last, with a padded y range', () => {
    const x = Array.from({ length: 200 }, (_, i) => i + 1)
    const chart = mermaidLineChart('loss', x, [
      { name: 'train', values: x.map((i) => 1 / i) },
      { name: 'validation', values: x.map((i) => 1 / i + 0.1) },
    ])
    const lines = chart.split('\n')
    expect(lines[2]).toBe('  title "loss (train, validation)"')
    const axis = lines[3]!.match(/"(\d+)"/g)!.map((s) => Number(s.slice(1, -1)))
    // 200 points, step 4: 1, 5, ..., 197, then the last one, 200.
    expect(axis.length).toBe(51)
    expect(axis.slice(0, 3)).toEqual([1, 5, 9])
    expect(axis.at(-1)).toBe(200)
    expect(lines.filter((l) => l.startsWith('  line ['))).toHaveLength(2)
    // Values span 0.005 .. 1.1; 5% padding on each side.
    expect(lines[4]).toBe('  y-axis "" -0.04975 --> 1.155')
  })
})
