import { retry, type RetryInfo } from './retry.js'

function recorder() {
  const sleeps: number[] = []
  return { sleeps, sleep: async (ms: number) => void sleeps.push(ms) }
}

// Fails the first `failures` calls, then returns the attempt number.
function flaky(failures: number, makeError = (attempt: number) => new Error(`fail ${attempt}`)) {
  const calls: number[] = []
  const fn = async (attempt: number) => {
    calls.push(attempt)
    if (calls.length <= failures) throw makeError(attempt)
    return `ok on ${attempt}`
  }
  return { calls, fn }
}

describe('retry', () => {
  it('returns at once when the first attempt succeeds', async () => {
    const { sleeps, sleep } = recorder()
    const { calls, fn } = flaky(0)
    await expect(retry(fn, { sleep })).resolves.toBe('ok on 1')
    expect(calls).toEqual([1])
    expect(sleeps).toEqual([])
  })

  it('backs off exponentially with full jitter', async () => {
    const { sleeps, sleep } = recorder()
    const { calls, fn } = flaky(4)
    const result = await retry(fn, {
      attempts: 5,
      baseDelayMs: 100,
      maxDelayMs: 100_000,
      sleep,
      random: () => 0.5,
    })
    expect(result).toBe('ok on 5')
    expect(calls).toEqual([1, 2, 3, 4, 5])
    expect(sleeps).toEqual([50, 100, 200, 400])
  })

  it('caps the delay at maxDelayMs before applying jitter', async () => {
    const { sleeps, sleep } = recorder()
    const { fn } = flaky(5)
    await retry(fn, { attempts: 6, baseDelayMs: 1000, maxDelayMs: 3000, sleep, random: () => 1 })
    expect(sleeps).toEqual([1000, 2000, 3000, 3000, 3000])
  })

  it('uses the defaults: 3 attempts, 500 ms base', async () => {
    const { sleeps, sleep } = recorder()
    const { calls, fn } = flaky(10)
    await expect(retry(fn, { sleep, random: () => 1 })).rejects.toThrow('fail 3')
    expect(calls).toEqual([1, 2, 3])
    expect(sleeps).toEqual([500, 1000])
  })

  it('throws the last error when attempts run out, without sleeping after it', async () => {
    const { sleeps, sleep } = recorder()
    const { fn } = flaky(10)
    await expect(retry(fn, { attempts: 2, sleep, random: () => 0 })).rejects.toThrow('fail 2')
    expect(sleeps).toEqual([0])
  })

  it('throws a non-retryable error at once', async () => {
    const { sleeps, sleep } = recorder()
    const { calls, fn } = flaky(10, (attempt) =>
      Object.assign(new Error(`status ${attempt === 1 ? 503 : 404}`), { status: attempt === 1 ? 503 : 404 }),
    )
    const isRetryable = (error: unknown) => (error as { status: number }).status >= 500
    await expect(retry(fn, { attempts: 5, sleep, isRetryable, random: () => 1 })).rejects.toThrow(
      'status 404',
    )
    expect(calls).toEqual([1, 2])
    expect(sleeps).toEqual([500])
  })

  it('reports each retry with the failed attempt, the delay and the error', async () => {
    const { sleep } = recorder()
    const { fn } = flaky(2)
    const seen: RetryInfo[] = []
    await retry(fn, { sleep, random: () => 0.25, baseDelayMs: 400, onRetry: (info) => seen.push(info) })
    expect(seen.map(({ attempt, delayMs }) => ({ attempt, delayMs }))).toEqual([
      { attempt: 1, delayMs: 100 },
      { attempt: 2, delayMs: 200 },
    ])
    expect((seen[1]?.error as Error).message).toBe('fail 2')
  })

  it('with attempts: 1 never retries', async () => {
    const { sleeps, sleep } = recorder()
    const { calls, fn } = flaky(1)
    await expect(retry(fn, { attempts: 1, sleep })).rejects.toThrow('fail 1')
    expect(calls).toEqual([1])
    expect(sleeps).toEqual([])
  })

  it.each([0, -1, 1.5, Number.NaN])('rejects attempts = %p', async (attempts) => {
    const { calls, fn } = flaky(0)
    await expect(retry(fn, { attempts })).rejects.toThrow(RangeError)
    expect(calls).toEqual([])
  })

  it('rejects negative delays', async () => {
    const { fn } = flaky(0)
    await expect(retry(fn, { baseDelayMs: -1 })).rejects.toThrow(/baseDelayMs/)
    await expect(retry(fn, { maxDelayMs: Number.POSITIVE_INFINITY })).rejects.toThrow(/maxDelayMs/)
  })

  it('really waits with the default sleep', async () => {
    const { fn } = flaky(1)
    const started = Date.now()
    await retry(fn, { baseDelayMs: 40, random: () => 1 })
    expect(Date.now() - started).toBeGreaterThanOrEqual(35)
  })
})
