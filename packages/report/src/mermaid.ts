/**
 * Mermaid blocks that GitHub renders in job summaries and PR comments. Labels are quoted and stripped of the
 * characters Mermaid's parser chokes on, so a column named `a"b` cannot break the chart.
 */
const label = (text: string): string => `"${text.replace(/["\n\r[\]]/g, ' ').slice(0, 40)}"`

export function mermaidBarChart(
  title: string,
  labels: readonly string[],
  values: readonly number[],
  yLabel = '',
): string {
  const max = Math.max(0, ...values)
  return [
    '```mermaid',
    'xychart-beta',
    `  title ${label(title)}`,
    `  x-axis [${labels.map(label).join(', ')}]`,
    `  y-axis ${label(yLabel)} 0 --> ${max === 0 ? 1 : Number((max * 1.1).toPrecision(3))}`,
    `  bar [${values.map((v) => Number(v.toPrecision(4))).join(', ')}]`,
    '```',
  ].join('\n')
}

export function mermaidPie(title: string, slices: ReadonlyArray<{ label: string; value: number }>): string {
  return [
    '```mermaid',
    `pie title ${title.replace(/\n/g, ' ')}`,
    ...slices.filter((s) => s.value > 0).map((s) => `  ${label(s.label)} : ${s.value}`),
    '```',
  ].join('\n')
}

/**
 * Lines over a shared x axis (a learning curve, a metric across model versions). Long series are thinned to
 * at most `maxPoints` evenly spaced points, always keeping the last, because GitHub renders a few hundred
 * points slowly and unreadably. Series of unequal length are cut to the shortest.
 */
export function mermaidLineChart(
  title: string,
  x: readonly (string | number)[],
  series: ReadonlyArray<{ name: string; values: readonly number[] }>,
  yLabel = '',
  maxPoints = 60,
): string {
  const length = Math.min(x.length, ...series.map((s) => s.values.length))
  const step = Math.max(1, Math.ceil(length / maxPoints))
  const keep = Array.from({ length }, (_, i) => i).filter((i) => i % step === 0 || i === length - 1)
  const all = series.flatMap((s) => keep.map((i) => s.values[i]!)).filter(Number.isFinite)
  const low = all.length > 0 ? Math.min(...all) : 0
  const high = all.length > 0 ? Math.max(...all) : 1
  const pad = (high - low) * 0.05 || Math.abs(high) * 0.05 || 1
  const round = (v: number) => Number(v.toPrecision(4))
  return [
    '```mermaid',
    'xychart-beta',
    `  title ${label(title + (series.length > 1 ? ` (${series.map((s) => s.name).join(', ')})` : ''))}`,
    `  x-axis [${keep.map((i) => label(String(x[i]))).join(', ')}]`,
    `  y-axis ${label(yLabel)} ${round(low - pad)} --> ${round(high + pad)}`,
    ...series.map((s) => `  line [${keep.map((i) => round(s.values[i]!)).join(', ')}]`),
    '```',
  ].join('\n')
}
