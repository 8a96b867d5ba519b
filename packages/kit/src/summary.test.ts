import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { codeBlock, details, escapeMarkdown, heading, markdownTable, writeSummary } from './summary.js'
import { restoreEnvAfterEach } from './__fixtures__/env.js'
import { captureStdout } from './__fixtures__/workflow-commands.js'

describe('escapeMarkdown', () => {
  it('escapes characters that Markdown or a table would interpret', () => {
    expect(escapeMarkdown('a|b\\c*d_e`f<g>h[i]j')).toBe('a\\|b\\\\c\\*d\\_e\\`f\\<g\\>h\\[i\\]j')
  })

  it('turns every kind of newline into <br>, so a cell stays one cell', () => {
    expect(escapeMarkdown('one\ntwo\r\nthree\rfour')).toBe('one<br>two<br>three<br>four')
  })

  it('leaves plain text alone', () => {
    expect(escapeMarkdown('accuracy 0.93 (+1.2%)')).toBe('accuracy 0.93 (+1.2%)')
  })
})

describe('markdownTable', () => {
  it('right-aligns numeric columns by default and escapes cells', () => {
    expect(
      markdownTable(
        ['metric', 'value'],
        [
          ['f1|macro', 0.91],
          ['auc', 0.95],
        ],
      ),
    ).toBe(
      ['| metric | value |', '| :--- | ---: |', '| f1\\|macro | 0.91 |', '| auc | 0.95 |', ''].join('\n'),
    )
  })

  it('left-aligns a column that mixes text and numbers, and honours explicit alignment', () => {
    const table = markdownTable(
      ['name', 'n', 'note'],
      [
        ['a', 1, 'x'],
        ['b', 'n/a', 2],
      ],
      ['center', undefined, 'right'],
    )
    expect(table.split('\n')[1]).toBe('| :---: | :--- | ---: |')
  })

  it('keeps a multi-line cell in one row and pads short rows', () => {
    const table = markdownTable(['col', 'error'], [['age', 'line one\nline two'], ['zip']])
    expect(table.split('\n')).toEqual([
      '| col | error |',
      '| :--- | :--- |',
      '| age | line one<br>line two |',
      '| zip |  |',
      '',
    ])
  })

  it('rejects rows wider than the header and an empty header', () => {
    expect(() => markdownTable(['a'], [['1', '2']])).toThrow(/row 0 has 2 cells/)
    expect(() => markdownTable([], [])).toThrow(/header/)
  })
})

describe('details, heading, codeBlock', () => {
  it('details escapes the summary as HTML and leaves the body as Markdown', () => {
    expect(details('Rows <dropped> & kept', '**12** rows\n')).toBe(
      '<details>\n<summary>Rows &lt;dropped&gt; &amp; kept</summary>\n\n**12** rows\n\n</details>\n',
    )
  })

  it('heading uses the level and escapes the text', () => {
    expect(heading('Data *quality*', 3)).toBe('### Data \\*quality\\*\n')
    expect(heading('Report')).toBe('## Report\n')
    expect(() => heading('x', 7)).toThrow(/level/)
  })

  it('codeBlock fences with more backticks than any run inside', () => {
    expect(codeBlock('x = 1\n', 'python')).toBe('```python\nx = 1\n```\n')
    expect(codeBlock('a ``` b `````` c', 'md')).toBe('```````md\na ``` b `````` c\n```````\n')
    expect(codeBlock('use `x`')).toBe('```\nuse `x`\n```\n')
  })
})

describe('writeSummary', () => {
  restoreEnvAfterEach()
  // @actions/core remembers the summary file path, so all tests here share one file.
  const file = join(mkdtempSync(join(tmpdir(), 'kit-summary-')), 'summary.md')

  beforeEach(() => writeFileSync(file, ''))

  it('appends to the file named by GITHUB_STEP_SUMMARY', async () => {
    process.env['GITHUB_STEP_SUMMARY'] = file
    await writeSummary('## One')
    await writeSummary('| a |\n| --- |\n')
    expect(readFileSync(file, 'utf8')).toBe('## One\n| a |\n| --- |\n')
  })

  it('only logs a debug line when GITHUB_STEP_SUMMARY is unset', async () => {
    const stdout = captureStdout()
    try {
      await writeSummary('## Lost')
    } finally {
      stdout.restore()
    }
    expect(stdout.commands('debug').map((command) => command.message)).toEqual([
      'GITHUB_STEP_SUMMARY is not set; skipping the job summary',
    ])
    expect(readFileSync(file, 'utf8')).toBe('')
  })
})
