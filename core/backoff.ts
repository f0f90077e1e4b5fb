/**
 * Exponential backoff with "equal jitter": the delay of attempt n (from 0) lies in
 * [cap/2, cap] with cap = min(maxMs, baseMs·2ⁿ), so retries spread out but never collapse to 0.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30))
  return Math.floor(cap / 2 + random() * (cap / 2))
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}

/**
 * Runs `fn` every `ms` (first after `ms`) until `signal` aborts; a failed run goes to
 * `onError` and the next one comes at its time. Resolves once stopped.
 */
export async function repeatEvery(ms: number, signal: AbortSignal, fn: () => Promise<void>, onError: (err: Error) => void): Promise<void> {
  while (!signal.aborted) {
    await sleep(ms, signal)
    if (signal.aborted) break
    try {
      await fn()
    } catch (err) {
      onError(err as Error)
    }
  }
}
