import { setTimeout as delay } from 'node:timers/promises'

export interface RetryPolicy {
  /** Total tries including the first; 1 disables retrying. */
  attempts: number
  baseDelayMs: number
  maxDelayMs: number
  sleep: (ms: number) => Promise<void>
  random: () => number
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 15_000,
  sleep: (ms) => delay(ms),
  random: Math.random,
}

export interface RetryDecision {
  retry: boolean
  /** The server asked us to wait at least this long (Retry-After). */
  notBeforeMs?: number | undefined
}

export interface RetryEvent {
  attempt: number
  delayMs: number
  error: unknown
}

/**
 * Full-jitter exponential backoff: random() * min(max, base * 2^(attempt-1)). The jitter matters because
 * a matrix of CI jobs tends to hit the same overloaded server at the same moment.
 */
export function backoffDelay(attempt: number, policy: RetryPolicy): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1))
  return Math.round(policy.random() * ceiling)
}

export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  classify: (error: unknown) => RetryDecision,
  policy: RetryPolicy,
  onRetry?: (event: RetryEvent) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt)
    } catch (error) {
      const decision = classify(error)
      if (!decision.retry || attempt >= policy.attempts) throw error
      const delayMs = Math.max(backoffDelay(attempt, policy), decision.notBeforeMs ?? 0)
      onRetry?.({ attempt, delayMs, error })
      await policy.sleep(delayMs)
    }
  }
}

/** 429 and 5xx are worth another try; 501 (not implemented) and every 4xx never change on retry. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501)
}
