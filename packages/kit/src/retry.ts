import { setTimeout as delay } from 'node:timers/promises'

export interface RetryInfo {
  /** The attempt that just failed, counting from 1. */
  attempt: number
  /** How long we wait before the next attempt. */
  delayMs: number
  error: unknown
}

export interface RetryOptions {
  /** Total tries including the first; 1 means no retry. */
  attempts?: number
  baseDelayMs?: number
  maxDelayMs?: number
  isRetryable?: (error: unknown) => boolean
  sleep?: (ms: number) => Promise<void>
  random?: () => number
  onRetry?: (info: RetryInfo) => void
}

/**
 * Calls `fn` until it succeeds, waiting between tries with exponential backoff and full jitter:
 * delay = random() * min(maxDelayMs, baseDelayMs * 2^(attempt - 1)).
 * Full jitter spreads out the many matrix jobs that tend to hit the same API failure at once.
 * Throws the last error once attempts run out, and a non-retryable error immediately.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const {
    attempts = 3,
    baseDelayMs = 500,
    maxDelayMs = 10_000,
    isRetryable = () => true,
    sleep = (ms: number) => delay(ms),
    random = Math.random,
    onRetry,
  } = opts
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new RangeError(`retry: attempts must be a whole number of at least 1, got ${attempts}`)
  }
  if (!(baseDelayMs >= 0) || !Number.isFinite(baseDelayMs)) {
    throw new RangeError(`retry: baseDelayMs must be a finite number >= 0, got ${baseDelayMs}`)
  }
  if (!(maxDelayMs >= 0) || !Number.isFinite(maxDelayMs)) {
    throw new RangeError(`retry: maxDelayMs must be a finite number >= 0, got ${maxDelayMs}`)
  }

  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt)
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error)) throw error
      const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1))
      const delayMs = Math.round(random() * ceiling)
      onRetry?.({ attempt, delayMs, error })
      await sleep(delayMs)
    }
  }
}
