/**
 * Fixed-window counts per bucket, in this gateway process, for Socket.IO handshakes: they do not
 * pass Fastify's hooks, so the HTTP rate limiter never sees them (socket-server.ts applies the
 * same limits with two of these, one for client IPs and one for credentials). Counts are per
 * gateway, not shared through Redis. Pure: the clock is passed in.
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

  /** Takes back one count of `bucket` (a handshake counted before it was checked, which passed). */
  giveBack(bucket: string): void {
    this.roll()
    const n = this.counts.get(bucket)
    if (n !== undefined) this.counts.set(bucket, Math.max(0, n - 1))
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
