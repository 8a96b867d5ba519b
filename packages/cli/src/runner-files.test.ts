import { inputEnvironment, inputEnvName, parseInputPairs, UsageError } from './input-env.js'
import { parseOutputFile, parseWorkflowCommand } from './runner-files.js'

describe('runner file protocols', () => {
  it('parses GITHUB_OUTPUT lines and heredocs as @actions/core writes them', () => {
    const text = 'status=pass\nreport<<ghadelimiter_1\nline one\nline=two\nghadelimiter_1\nempty=\n'
    expect(parseOutputFile(text)).toEqual({ status: 'pass', report: 'line one\nline=two', empty: '' })
    expect(() => parseOutputFile('x<<EOF\nno end\n')).toThrow(/no closing delimiter/)
  })

  it('parses workflow commands with escaped properties and data', () => {
    expect(parseWorkflowCommand('::error file=a%2Cb.yml,line=3,title=t%3Ax::50%25 bad%0Anext')).toEqual({
      command: 'error',
      properties: { file: 'a,b.yml', line: '3', title: 't:x' },
      message: '50% bad\nnext',
    })
    expect(parseWorkflowCommand('::endgroup::')).toEqual({ command: 'endgroup', properties: {}, message: '' })
    expect(parseWorkflowCommand('plain text :: not a command')).toBeUndefined()
  })
})

describe('inputs', () => {
  const declared = [
    { name: 'dataset', required: true, default: undefined, description: '' },
    { name: 'fail-on', required: false, default: 'error', description: '' },
    { name: 'my input', required: false, default: undefined, description: '' },
  ]

  it('mangles names like the runner and fills action.yml defaults', () => {
    expect(inputEnvName('fail-on')).toBe('INPUT_FAIL-ON')
    expect(inputEnvName('my input')).toBe('INPUT_MY_INPUT')
    expect(inputEnvironment(declared, { dataset: 'a.csv' }, 'data-qa')).toEqual({
      INPUT_DATASET: 'a.csv',
      'INPUT_FAIL-ON': 'error',
    })
  })

  it('rejects an input the action does not declare, listing the real ones', () => {
    expect(() => inputEnvironment(declared, { datset: 'a.csv' }, 'data-qa')).toThrow(UsageError)
    expect(() => inputEnvironment(declared, { datset: 'a.csv' }, 'data-qa')).toThrow(
      "data-qa has no input 'datset'; its inputs are: dataset, fail-on, my input",
    )
  })

  it('splits name=value pairs on the first =', () => {
    expect(parseInputPairs(['a=b=c', 'd='])).toEqual({ a: 'b=c', d: '' })
    expect(() => parseInputPairs(['novalue'])).toThrow(/name=value/)
  })
})
