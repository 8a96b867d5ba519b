import { isTransientS3Error, TruncatedBodyError, withRetry } from './s3-retry.js'

const s3Error = (name: string, httpStatusCode: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode } })

describe('isTransientS3Error', () => {
  it.each([
    [s3Error('InternalError', 500), true],
    [s3Error('SlowDown', 503), true],
    [s3Error('NotImplemented', 501), false],
    [s3Error('NoSuchKey', 404), false],
    [s3Error('AccessDenied', 403), false],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true],
    [new TruncatedBodyError('k', 1, 2), true],
    [Object.assign(new Error('aborted'), { name: 'AbortError' }), false],
    [new Error('a bug'), false],
  ])('%s -> %s', (error, transient) => {
    expect(isTransientS3Error(error)).toBe(transient)
  })
})

describe('withRetry', () => {
  const policy = { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 }

  it('retries transient failures up to the attempt limit, and nothing else', async () => {
    let calls = 0
    const flaky = () => (++calls < 3 ? Promise.reject(s3Error('SlowDown', 503)) : Promise.resolve('ok'))
    await expect(withRetry(flaky, policy)).resolves.toBe('ok')
    expect(calls).toBe(3)

    calls = 0
    await expect(
      withRetry(() => (calls++, Promise.reject(s3Error('SlowDown', 503))), policy),
    ).rejects.toThrow()
    expect(calls).toBe(3)

    calls = 0
    await expect(
      withRetry(() => (calls++, Promise.reject(s3Error('NoSuchKey', 404))), policy),
    ).rejects.toThrow()
    expect(calls).toBe(1)
  })
})
