import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setOutputs } from './outputs.js'
import { restoreEnvAfterEach } from './__fixtures__/env.js'

restoreEnvAfterEach()

// Reads the GITHUB_OUTPUT file the way the runner does: `name<<DELIM`, value lines, `DELIM`.
function readOutputs(file: string): Record<string, string> {
  const lines = readFileSync(file, 'utf8').split('\n')
  const outputs: Record<string, string> = {}
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[i] ?? '')
    if (match === null) continue
    const [, name = '', delimiter] = match
    const value: string[] = []
    while (lines[++i] !== delimiter) value.push(lines[i] ?? '')
    outputs[name] = value.join('\n')
  }
  return outputs
}

describe('setOutputs', () => {
  it('writes every value as a plain string to GITHUB_OUTPUT', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kit-outputs-')), 'output')
    writeFileSync(file, '')
    process.env['GITHUB_OUTPUT'] = file
    setOutputs({ passed: true, accuracy: 0.93, rows: 1200, 'report-path': 'out/report.md', note: 'a\nb' })
    expect(readOutputs(file)).toEqual({
      passed: 'true',
      accuracy: '0.93',
      rows: '1200',
      'report-path': 'out/report.md',
      note: 'a\nb',
    })
  })

  it('rejects a name that steps.<id>.outputs could not reach', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kit-outputs-')), 'output')
    writeFileSync(file, '')
    process.env['GITHUB_OUTPUT'] = file
    expect(() => setOutputs({ 'bad name': 1 })).toThrow(/Invalid output name 'bad name'/)
  })
})
