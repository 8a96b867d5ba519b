/**
 * Runs `task` over `items` with at most `limit` running at once. After the first failure it starts no
 * new item, aborts the running ones through the signal, waits for them to settle (so the caller can
 * remove their temporary files safely) and rethrows that first failure.
 */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const controller = new AbortController()
  let next = 0
  let failure: { error: unknown } | undefined
  const worker = async (): Promise<void> => {
    while (!failure && next < items.length) {
      const item = items[next++]!
      try {
        await task(item, controller.signal)
      } catch (error) {
        failure ??= { error }
        controller.abort()
      }
    }
  }
  const workers = Math.max(1, Math.min(limit, items.length))
  await Promise.all(Array.from({ length: workers }, worker))
  if (failure) throw failure.error
}
