/**
 * Fixed-window counts of Socket.IO handshakes, per bucket, in this gateway process. Handshakes
 * do not pass Fastify's hooks, so the HTTP rate limiter never sees them; this applies the same
 * limits to them: per client IP for handshakes that fail authentication (credential guessing,
 * or a flood that would make every attempt cost a JWT check or an API-key lookup), per
 * credential for the ones that succeed. Counts are per gateway, not shared through Redis.
 * Pure: the clock is passed in.
 */
export class HandshakeLimiter {
  private windowStart = Number.NEGATIVE_INFINITY
  private readonly counts = new Map<string, number>()

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number,
    /** Most buckets counted in one window; past it new buckets pass uncounted (memory stays bounded). */
    private readonly maxBuckets = 100_000,
  ) {
    if (!(windowMs > 0)) throw new RangeError(`windowMs must be positive, got ${windowMs}`)
  }

  /** True when `bucket` has reached `max` in the current window (nothing is counted). */
  exhausted(bucket: string, max: number): boolean {
    this.roll()
    return (this.counts.get(bucket) ?? 0) >= max
  }

  /** Counts one handshake of `bucket`; false when that passes `max` in the current window. */
  take(bucket: string, max: number): boolean {
    this.roll()
    const n = (this.counts.get(bucket) ?? 0) + 1
    if (n === 1 && this.counts.size >= this.maxBuckets) return true
    this.counts.set(bucket, n)
    return n <= max
  }

  /** Whole seconds until the current window ends (at least 1). */
  retryAfterSec(): number {
    this.roll()
    return Math.max(1, Math.ceil((this.windowStart + this.windowMs - this.now()) / 1000))
  }

  private roll(): void {
    const now = this.now()
    if (now < this.windowStart + this.windowMs) return
    this.windowStart = now - (now % this.windowMs)
    this.counts.clear()
  }
}
