import { backoffMs, sleep } from '../core/backoff.ts'
import { isRetryable } from '../core/errors.ts'
import type { Logger } from '../core/log.ts'

/** Where a retried operation logs and when it must give up. */
export interface RetryContext {
  readonly log: Logger
  /** Logged with every failure (the shard, or the shards of a batch). */
  readonly fields: Record<string, unknown>
  /** Checked before every attempt: an error to throw instead of trying again (e.g. the lease is gone). */
  readonly giveUp?: () => Error | undefined
  readonly signal?: AbortSignal
}

const RETRY_BASE_MS = 200
const RETRY_MAX_MS = 5_000

/** Runs `op` until it succeeds, backing off (200 ms doubling to 5 s) after each retryable error. */
export async function retrying<T>(what: string, op: () => Promise<T>, c: RetryContext): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const stop = c.giveUp?.()
    if (stop !== undefined) throw stop
    try {
      return await op()
    } catch (err) {
      if (!isRetryable(err)) throw err
      c.log.warn({ ...c.fields, err: (err as Error).message, attempt: attempt + 1 }, `${what} failed; backing off`)
      await sleep(backoffMs(attempt, RETRY_BASE_MS, RETRY_MAX_MS), c.signal)
    }
  }
}
