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
