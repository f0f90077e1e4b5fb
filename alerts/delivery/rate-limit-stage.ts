import type { Delivery, DeliveryContext, DeliveryStage } from './delivery-stage.ts'

/**
 * Waits for a token of the receiver's endpoint (Slack ~1 message/s per channel, PagerDuty
 * ~2 events/s per routing key, or the receiver's own `rate_limit`), and for any Retry-After
 * pause a 429 put on it.
 */
export class RateLimitStage implements DeliveryStage {
  readonly name = 'rate-limit'

  async run(ctx: DeliveryContext, d: Delivery): Promise<Delivery> {
    const waitMs = ctx.limiters.reserve(ctx.notifier()?.rateLimit, ctx.now())
    if (waitMs > 0) await ctx.sleep(waitMs, ctx.signal)
    return d
  }
}
