import type { Logger } from '../../core/log.ts'
import type { Notification, Notifier } from '../notifiers/notifier.ts'
import type { CircuitBreaker } from './circuit-breaker.ts'
import type { RateLimiters } from './token-bucket.ts'

/** Where one notification stands: still to send (or interrupted), delivered, or given up. */
export interface Delivery {
  readonly notification: Notification
  readonly outcome: 'pending' | 'delivered' | 'dead-letter'
  readonly attempts: number
  readonly error: { readonly code: string; readonly message: string } | undefined
  readonly finishedAtMs: number | undefined
}

/** Retries of one notification: exponential backoff with equal jitter, then the dead-letter list. */
export interface RetryPolicy {
  readonly baseMs: number
  readonly maxMs: number
  readonly maxAttempts: number
}

/** Writes a delivery's outcome: acknowledges or dead-letters the outbox entry and records history. */
export interface DeliveryRecorder {
  delivered(d: Delivery): Promise<void>
  deadLettered(d: Delivery): Promise<void>
}

/** What the delivery stages of one receiver share. */
export interface DeliveryContext {
  readonly now: () => number
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>
  readonly random: () => number
  /** Aborted on shutdown or lease loss: stages stop, the entry stays in the outbox. */
  readonly signal: AbortSignal
  /** Aborts a request in flight; aborted later than `signal` on shutdown, so a send can finish and be recorded. */
  readonly sendSignal: AbortSignal
  /** The receiver's current notifier (routing configs can change), undefined if it was removed. */
  readonly notifier: () => Notifier | undefined
  readonly breaker: CircuitBreaker
  /**
   * How long a send must wait for this process's lease on the tenant: 0 while the lease has
   * enough time left for a send to start (renewed recently), else a short while to look again.
   * A process that cannot renew (Redis unreachable, the process frozen) thus stops sending
   * before its lease can move to another process that would send the same notification.
   */
  readonly leaseWaitMs: (nowMs: number) => number
  readonly limiters: RateLimiters
  readonly retry: RetryPolicy
  readonly recorder: DeliveryRecorder
  readonly log: Logger
}

/** One step of delivering a notification to its receiver (rate limit, retry, record). */
export interface DeliveryStage {
  readonly name: string
  run(ctx: DeliveryContext, d: Delivery): Promise<Delivery>
}

/** A delivery that has not been tried yet. */
export function newDelivery(n: Notification): Delivery {
  return { notification: n, outcome: 'pending', attempts: 0, error: undefined, finishedAtMs: undefined }
}

/** Runs the stages in order; a delivery that ends up interrupted stays pending. */
export async function runDeliveryStages(stages: readonly DeliveryStage[], ctx: DeliveryContext, d: Delivery): Promise<Delivery> {
  let current = d
  for (const s of stages) {
    if (ctx.signal.aborted && current.outcome === 'pending') return current
    current = await s.run(ctx, current)
  }
  return current
}
