import { group } from './log.js'
import { captureStdout, type StdoutCapture } from './__fixtures__/workflow-commands.js'

let stdout: StdoutCapture
beforeEach(() => {
  stdout = captureStdout()
})
afterEach(() => stdout.restore())

describe('group', () => {
  it('wraps the output in a group and returns the result', async () => {
    const result = await group('Load data', async () => {
      process.stdout.write('inside\n')
      return 42
    })
    expect(result).toBe(42)
    expect(stdout.lines()).toEqual(['::group::Load data', 'inside', '::endgroup::'])
  })

  it('closes the group when fn throws', async () => {
    await expect(
      group('Train', async () => {
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect(stdout.lines()).toEqual(['::group::Train', '::endgroup::'])
  })
})
