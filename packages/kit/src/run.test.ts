import { ConfigurationError } from './errors.js'
import { run } from './run.js'
import { captureStdout, type StdoutCapture } from './__fixtures__/workflow-commands.js'

class DataError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(message)
  }
}

let stdout: StdoutCapture
beforeEach(() => {
  stdout = captureStdout()
  process.exitCode = undefined
})
afterEach(() => {
  stdout.restore()
  process.exitCode = undefined
})

describe('run', () => {
  it('does nothing visible when main succeeds', async () => {
    await run(async () => {})
    expect(process.exitCode).toBeUndefined()
    expect(stdout.commands('error')).toEqual([])
  })

  it('reports a ConfigurationError as an annotation at its file and line, without the stack', async () => {
    await run(async () => {
      throw new ConfigurationError('Set threshold to a number', { file: 'config/eval.yml', line: 12 })
    })
    expect(process.exitCode).toBe(1)
    expect(stdout.commands('error')).toEqual([
      {
        name: 'error',
        properties: { file: 'config/eval.yml', line: '12' },
        message: 'Set threshold to a number',
      },
    ])
    const debug = stdout.commands('debug').map((command) => command.message)
    expect(debug.join('\n')).toContain('run.test.ts')
    expect(stdout.commands('error')[0]?.message).not.toContain('at ')
  })

  it('emits no location when the error has none', async () => {
    await run(async () => {
      throw new ConfigurationError('Input x is wrong')
    })
    expect(stdout.commands('error')).toEqual([{ name: 'error', properties: {}, message: 'Input x is wrong' }])
  })

  it('treats classes listed in userErrors as user errors and reads their file/line duck-typed', async () => {
    await run(
      async () => {
        throw new DataError('Column age has text in row 7', 'data/train.csv', 7)
      },
      { userErrors: [DataError] },
    )
    expect(process.exitCode).toBe(1)
    expect(stdout.commands('error')).toEqual([
      {
        name: 'error',
        properties: { file: 'data/train.csv', line: '7' },
        message: 'Column age has text in row 7',
      },
    ])
  })

  it('ignores a location that is not a usable file and line', async () => {
    await run(
      async () => {
        throw new DataError('bad', '', Number.NaN)
      },
      { userErrors: [DataError] },
    )
    expect(stdout.commands('error')[0]?.properties).toEqual({})
  })

  it('reports anything else as a bug, with the stack and causes only in debug', async () => {
    await run(async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'x')", {
        cause: new Error('root cause'),
      })
    })
    expect(process.exitCode).toBe(1)
    const [error] = stdout.commands('error')
    expect(error?.message).toBe(
      "Unexpected error: Cannot read properties of undefined (reading 'x'). This is a bug in mlops-actions; " +
        're-run with ACTIONS_STEP_DEBUG=true and report it with the log',
    )
    const debug = stdout
      .commands('debug')
      .map((command) => command.message)
      .join('\n')
    expect(debug).toContain('TypeError')
    expect(debug).toContain('Caused by: Error: root cause')
  })

  it('does not treat a DataError as a user error unless it is listed', async () => {
    await run(async () => {
      throw new DataError('Column age has text', 'data.csv', 3)
    })
    expect(stdout.commands('error')[0]?.message).toMatch(
      /^Unexpected error: Column age has text\. This is a bug/,
    )
  })

  it('survives a thrown non-Error value', async () => {
    await expect(
      run(async () => {
        throw { code: 42 }
      }),
    ).resolves.toBeUndefined()
    expect(process.exitCode).toBe(1)
    expect(stdout.commands('error')[0]?.message).toContain('Unexpected error: { code: 42 }')
  })
})
