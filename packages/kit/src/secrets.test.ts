import { maskSecret } from './secrets.js'
import { captureStdout } from './__fixtures__/workflow-commands.js'

function masksFor(value: string): string[] {
  const stdout = captureStdout()
  try {
    maskSecret(value)
  } finally {
    stdout.restore()
  }
  return stdout.commands('add-mask').map((command) => command.message)
}

describe('maskSecret', () => {
  it('masks a single-line value once', () => {
    expect(masksFor('hunter2-secret')).toEqual(['hunter2-secret'])
  })

  it('masks a multi-line value whole, line by line, and in its JSON-escaped form', () => {
    const key = '-----BEGIN KEY-----\nabc123\n\n  \n-----END KEY-----'
    expect(masksFor(key)).toEqual([
      key,
      '-----BEGIN KEY-----',
      'abc123',
      '-----END KEY-----',
      '-----BEGIN KEY-----\\nabc123\\n\\n  \\n-----END KEY-----',
    ])
  })

  it('masks the JSON-escaped form of a value with quotes or backslashes', () => {
    expect(masksFor('pa"ss\\word')).toEqual(['pa"ss\\word', 'pa\\"ss\\\\word'])
  })

  it('handles CRLF line endings', () => {
    expect(masksFor('one\r\ntwo')).toEqual(['one\r\ntwo', 'one', 'two', 'one\\r\\ntwo'])
  })

  it.each(['', '   ', '\n\t'])('ignores an empty or whitespace-only value %j', (value) => {
    expect(masksFor(value)).toEqual([])
  })
})
