/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  )
}

/** A cell is text (escaped) or trusted markup the caller built from escaped parts. */
export type HtmlCell = string | number | { html: string }

const cell = (value: HtmlCell): string =>
  typeof value === 'object'
    ? value.html
    : typeof value === 'number'
      ? value.toLocaleString('en-US')
      : escapeHtml(value)

export function htmlTable(
  headers: readonly string[],
  rows: ReadonlyArray<readonly HtmlCell[]>,
  className = '',
): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')
  const body = rows
    .map(
      (row) =>
        `<tr>${row.map((c) => `<td${typeof c === 'number' ? ' class="num"' : ''}>${cell(c)}</td>`).join('')}</tr>`,
    )
    .join('\n')
  return `<table${className ? ` class="${escapeHtml(className)}"` : ''}><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#1f2328}
h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f6f8fa;white-space:nowrap}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.pass{color:#1a7f37}.warn{color:#9a6700}.fail{color:#cf222e}.badge{font-weight:600}
.tag{display:inline-block;font-size:12px;font-weight:600;padding:1px 6px;border-radius:10px;color:#fff;white-space:nowrap}
.tag.pass{background:#1a7f37;color:#fff}.tag.warn{background:#9a6700;color:#fff}.tag.fail{background:#cf222e;color:#fff}
code{background:#f6f8fa;padding:0 3px;border-radius:3px}svg{display:block}.muted{color:#59636e}
`

/** A self-contained page (no scripts, no external assets) that opens from an artifact download. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
${body}
</body></html>
`
}

/** A coloured status label that needs no emoji font (headless browsers and some desktops have none). */
export function statusTag(status: 'pass' | 'warn' | 'fail'): { html: string } {
  return { html: `<span class="tag ${status}">${status.toUpperCase()}</span>` }
}
