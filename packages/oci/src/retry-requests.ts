import { setTimeout as delay } from 'node:timers/promises'

export interface RequestRetryOptions {
  /** Total tries including the first. */
  attempts?: number
  baseDelayMs?: number
  maxDelayMs?: number
  sleep?: (ms: number) => Promise<void>
  random?: () => number
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void
}

/**
 * Exponential backoff with full jitter, kept local because packages/oci does not depend on the action runtime
 * (packages/kit has the same policy). Only errors `isRetryable` accepts are retried.
 */
export async function retryRequest<T>(
  fn: () => Promise<T>,
  isRetryable: (error: unknown) => boolean,
  options: RequestRetryOptions = {},
): Promise<T> {
  const {
    attempts = 4,
    baseDelayMs = 300,
    maxDelayMs = 5_000,
    sleep = (ms: number) => delay(ms),
    random = Math.random,
  } = options
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error)) throw error
      const delayMs = Math.round(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)))
      options.onRetry?.({ attempt, delayMs, error })
      await sleep(delayMs)
    }
  }
}
