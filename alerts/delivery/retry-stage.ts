import { backoffMs } from '../../core/backoff.ts'
import { NotifyError } from '../errors.ts'
import type { Delivery, DeliveryContext, DeliveryStage } from './delivery-stage.ts'

/**
 * Sends the notification, retrying what a retry can fix: exponential backoff with equal
 * jitter (at least the receiver's Retry-After, which also pauses its rate limiter), through
 * the receiver's circuit breaker (an open breaker holds the notification without spending a
 * try), and only while this process's lease on the tenant has time left (see
 * DeliveryContext.leaseWaitMs). A rejection, a missing receiver, or `maxAttempts` failed tries
 * end in `dead-letter`.
 * Aborting (shutdown, lease loss) leaves the delivery pending.
 */
export class RetryStage implements DeliveryStage {
  readonly name = 'retry'

  async run(ctx: DeliveryContext, d: Delivery): Promise<Delivery> {
    let attempts = d.attempts
    for (;;) {
      if (ctx.signal.aborted) return { ...d, attempts }
      const notifier = ctx.notifier()
      if (notifier === undefined) {
        const err = new NotifyError('ADW_NOTIFY_RECEIVER_UNKNOWN', `receiver "${d.notification.receiver}" is no longer in the routing config of tenant "${d.notification.tenant}"`, { retryable: false })
        return { ...d, attempts, outcome: 'dead-letter', error: { code: err.code, message: err.message }, finishedAtMs: ctx.now() }
      }
      // The lease first: waiting for it after the breaker granted a probe, or after a rate-limit
      // token was reserved, would hold the probe (and the receiver's other lanes) or waste the token.
      const leaseWaitMs = ctx.leaseWaitMs(ctx.now())
      if (leaseWaitMs > 0) {
        // Not a try: the lease is looked at again (renewed, or lost and the lane stopped).
        await ctx.sleep(leaseWaitMs, ctx.signal)
        continue
      }
      const breakerWaitMs = ctx.breaker.waitMs(ctx.now())
      if (breakerWaitMs > 0) {
        await ctx.sleep(breakerWaitMs, ctx.signal)
        continue
      }
      if (attempts > d.attempts) {
        const limitWaitMs = ctx.limiters.reserve(notifier.rateLimit, ctx.now())
        if (limitWaitMs > 0) await ctx.sleep(limitWaitMs, ctx.signal)
        if (ctx.signal.aborted) return { ...d, attempts }
      }
      attempts++
      try {
        await notifier.send(d.notification, ctx.sendSignal)
        ctx.breaker.success()
        return { ...d, attempts, outcome: 'delivered', error: undefined, finishedAtMs: ctx.now() }
      } catch (err) {
        if (ctx.signal.aborted) return { ...d, attempts }
        const e = asNotifyError(err)
        if (e.code !== 'ADW_NOTIFY_RATE_LIMITED') ctx.breaker.failure(ctx.now())
        const error = { code: e.code, message: e.message }
        if (!e.retryable || attempts >= ctx.retry.maxAttempts) return { ...d, attempts, outcome: 'dead-letter', error, finishedAtMs: ctx.now() }
        let delayMs = backoffMs(attempts - 1, ctx.retry.baseMs, ctx.retry.maxMs, ctx.random)
        if (e.retryAfterMs !== undefined) {
          delayMs = Math.max(delayMs, e.retryAfterMs)
          ctx.limiters.pauseUntil(notifier.rateLimit, ctx.now() + e.retryAfterMs, ctx.now())
        }
        ctx.log.warn({ tenant: d.notification.tenant, receiver: d.notification.receiver, notification: d.notification.id, attempt: attempts, retryInMs: delayMs, code: e.code, err: e.message, breaker: ctx.breaker.state }, 'notification failed; retrying')
        await ctx.sleep(delayMs, ctx.signal)
      }
    }
  }
}

/** Any error as a NotifyError; an unexpected one (a bug) is not retried. */
function asNotifyError(err: unknown): NotifyError {
  if (err instanceof NotifyError) return err
  return new NotifyError('ADW_NOTIFY_REJECTED', `notifier failed unexpectedly: ${(err as Error)?.message ?? String(err)}`, { retryable: false, cause: err })
}
