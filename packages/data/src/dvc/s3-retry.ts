import { setTimeout as delay } from 'node:timers/promises'

export interface RetryPolicy {
  /** Total tries including the first; 1 disables retrying. */
  attempts: number
  baseDelayMs: number
  maxDelayMs: number
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 4, baseDelayMs: 300, maxDelayMs: 10_000 }

/** A body that ended before its Content-Length: the connection dropped, so another try can succeed. */
export class TruncatedBodyError extends Error {
  constructor(key: string, received: number, expected: number) {
    super(`download of ${key} ended after ${received} of ${expected} bytes`)
    this.name = 'TruncatedBodyError'
  }
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
])

/** Only server faults (5xx) and dropped connections are worth another try; a 4xx answer never changes. */
export function isTransientS3Error(error: unknown): boolean {
  if (error instanceof TruncatedBodyError) return true
  const e = error as {
    name?: string
    code?: string
    $metadata?: { httpStatusCode?: number }
    cause?: { code?: string }
  } | null
  if (!e || e.name === 'AbortError') return false
  const status = e.$metadata?.httpStatusCode
  if (status !== undefined) return status >= 500 && status !== 501
  return (
    NETWORK_CODES.has(e.code ?? '') || NETWORK_CODES.has(e.cause?.code ?? '') || e.name === 'TimeoutError'
  )
}

/**
 * Calls `fn` until it succeeds or fails with a non-transient error, waiting with exponential backoff and
 * full jitter, so parallel CI jobs that hit the same outage do not retry in lockstep.
 */
export async function withRetry<T>(
  fn: () => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (error) {
      if (attempt >= policy.attempts || signal?.aborted || !isTransientS3Error(error)) throw error
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1))
      await delay(Math.round(Math.random() * ceiling), undefined, signal ? { signal } : {})
    }
  }
}
