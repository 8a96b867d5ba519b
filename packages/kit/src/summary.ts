import * as core from '@actions/core'

/**
 * Makes arbitrary text (a column name, an error message) render literally in Markdown, including
 * inside a table cell: pipes would split the cell and newlines would end the row.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\|*_`<>[\]]/g, (char) => `\\${char}`).replace(/\r\n|\r|\n/g, '<br>')
}

// For text inside HTML tags, where Markdown backslash escapes are not processed and would show.
function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

export type Alignment = 'left' | 'right' | 'center'

const ALIGNMENT_RULE: Record<Alignment, string> = { left: ':---', right: '---:', center: ':---:' }

/**
 * A GitHub-flavoured Markdown table. Cells are escaped. Columns holding only numbers are
 * right-aligned unless `align` says otherwise, so digits line up.
 */
export function markdownTable(
  headers: string[],
  rows: Array<Array<string | number>>,
  align?: Array<Alignment | undefined>,
): string {
  if (headers.length === 0) throw new Error('markdownTable: at least one header is required')
  rows.forEach((row, index) => {
    if (row.length > headers.length) {
      throw new Error(
        `markdownTable: row ${index} has ${row.length} cells but there are ${headers.length} headers`,
      )
    }
  })
  const alignments = headers.map((_, column): Alignment => {
    const given = align?.[column]
    if (given !== undefined) return given
    const numeric = rows.length > 0 && rows.every((row) => typeof row[column] === 'number')
    return numeric ? 'right' : 'left'
  })
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`
  return [
    line(headers.map(escapeMarkdown)),
    line(alignments.map((alignment) => ALIGNMENT_RULE[alignment])),
    ...rows.map((row) => line(headers.map((_, column) => escapeMarkdown(String(row[column] ?? ''))))),
    '',
  ].join('\n')
}

/** A collapsed section; `body` is Markdown and is inserted as is. */
export function details(summary: string, body: string): string {
  // The blank lines make GitHub render the body as Markdown rather than as part of the HTML block.
  return `<details>\n<summary>${escapeHtml(summary)}</summary>\n\n${body.trim()}\n\n</details>\n`
}

export function heading(text: string, level = 2): string {
  if (!Number.isInteger(level) || level < 1 || level > 6) {
    throw new Error(`heading: level must be 1 to 6, got ${level}`)
  }
  return `${'#'.repeat(level)} ${escapeMarkdown(text)}\n`
}

/** A fenced code block whose fence is longer than any backtick run in `text`, so it cannot end early. */
export function codeBlock(text: string, lang = ''): string {
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length))
  const fence = '`'.repeat(Math.max(3, longestRun + 1))
  // The info string ends at whitespace and may not contain backticks.
  const info = lang.replace(/[`\s]/g, '')
  return `${fence}${info}\n${text.replace(/\r?\n$/, '')}\n${fence}\n`
}

/** Appends to the job summary; outside Actions (local runs, tests) there is none, so it only logs. */
export async function writeSummary(markdown: string): Promise<void> {
  if (!process.env['GITHUB_STEP_SUMMARY']) {
    core.debug('GITHUB_STEP_SUMMARY is not set; skipping the job summary')
    return
  }
  await core.summary.addRaw(markdown.endsWith('\n') ? markdown : `${markdown}\n`).write()
}
