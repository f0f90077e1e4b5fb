import type { RateLimit } from '../notifiers/notifier.ts'

/**
 * A token bucket with reservations: `reserve` takes a token now or books the next one and
 * says how long to wait for it, so callers sharing a bucket are served in order. `pauseUntil`
 * holds every caller until a time (a receiver's Retry-After). Pure: the time is passed in.
 */
export class TokenBucket {
  private tokens: number
  private updatedMs: number
  private pausedUntilMs = 0

  constructor(readonly perSecond: number, readonly burst: number, nowMs: number) {
    this.tokens = burst
    this.updatedMs = nowMs
  }

  /** Books one token; returns the milliseconds until it may be used (0: now). */
  reserve(nowMs: number): number {
    this.refill(nowMs)
    this.tokens -= 1
    const tokenWaitMs = this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.perSecond)
    return Math.max(tokenWaitMs, this.pausedUntilMs - nowMs, 0)
  }

  /** No token is usable before `untilMs`. */
  pauseUntil(untilMs: number): void {
    this.pausedUntilMs = Math.max(this.pausedUntilMs, untilMs)
  }

  private refill(nowMs: number): void {
    if (nowMs > this.updatedMs) {
      this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.updatedMs) * this.perSecond) / 1000)
      this.updatedMs = nowMs
    }
  }
}

/** The token buckets of one process, one per receiver endpoint (`RateLimit.key`). */
export class RateLimiters {
  private readonly buckets = new Map<string, TokenBucket>()

  /** Milliseconds to wait before sending under `limit` (0 without a limit). */
  reserve(limit: RateLimit | undefined, nowMs: number): number {
    return limit === undefined ? 0 : this.bucket(limit, nowMs).reserve(nowMs)
  }

  /** Holds the endpoint until `untilMs` (after a 429 with Retry-After). */
  pauseUntil(limit: RateLimit | undefined, untilMs: number, nowMs: number): void {
    if (limit !== undefined) this.bucket(limit, nowMs).pauseUntil(untilMs)
  }

  private bucket(limit: RateLimit, nowMs: number): TokenBucket {
    let b = this.buckets.get(limit.key)
    if (b === undefined || b.perSecond !== limit.perSecond || b.burst !== limit.burst) {
      b = new TokenBucket(limit.perSecond, limit.burst, nowMs)
      this.buckets.set(limit.key, b)
    }
    return b
  }
}
