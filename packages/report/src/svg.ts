import { escapeHtml } from './html.js'

/** A small inline histogram, so the HTML report shows each numeric column's shape without a charting library. */
export function svgHistogram(
  counts: readonly number[],
  options: { width?: number; height?: number; title?: string } = {},
): string {
  const width = options.width ?? 160
  const height = options.height ?? 36
  const max = Math.max(1, ...counts)
  const barWidth = counts.length === 0 ? 0 : width / counts.length
  const bars = counts
    .map((count, i) => {
      const h = (count / max) * (height - 2)
      return `<rect x="${(i * barWidth).toFixed(2)}" y="${(height - h).toFixed(2)}" width="${Math.max(0.5, barWidth - 1).toFixed(2)}" height="${h.toFixed(2)}" fill="#0969da"/>`
    })
    .join('')
  const title = options.title ? `<title>${escapeHtml(options.title)}</title>` : ''
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">${title}${bars}</svg>`
}
