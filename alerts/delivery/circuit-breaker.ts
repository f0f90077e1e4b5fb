/** Closed (sending), open (not sending after repeated failures) or half-open (one probe). */
export type BreakerState = 'closed' | 'open' | 'half-open'

/** How often lanes waiting on a half-open breaker look again for the probe's outcome. */
const PROBE_POLL_MS = 1_000

/**
 * A circuit breaker per receiver, shared by its lanes: `failureThreshold` consecutive failures
 * open it; after `openMs` one probe may go (half-open) while the other lanes wait, without
 * spending tries; its success closes the breaker, its failure opens it again. A probe with no
 * outcome within `openMs` (its lane stopped) makes room for another. Throttling (429) is not a
 * failure. Pure: the time is passed in.
 */
export class CircuitBreaker {
  private failures = 0
  private openedAtMs = 0
  private current: BreakerState = 'closed'
  private probeAtMs: number | undefined

  constructor(readonly failureThreshold: number, readonly openMs: number) {}

  get state(): BreakerState {
    return this.current
  }

  /** Milliseconds before a try is allowed; 0 means try now (as the probe, when half-open). */
  waitMs(nowMs: number): number {
    if (this.current === 'closed') return 0
    if (this.current === 'open') {
      const left = this.openedAtMs + this.openMs - nowMs
      if (left > 0) return left
      this.current = 'half-open'
    }
    if (this.probeAtMs !== undefined && nowMs - this.probeAtMs < this.openMs) return Math.min(PROBE_POLL_MS, this.probeAtMs + this.openMs - nowMs)
    this.probeAtMs = nowMs
    return 0
  }

  success(): void {
    this.failures = 0
    this.current = 'closed'
    this.probeAtMs = undefined
  }

  failure(nowMs: number): void {
    this.failures++
    if (this.current === 'half-open' || this.failures >= this.failureThreshold) {
      this.current = 'open'
      this.openedAtMs = nowMs
      this.probeAtMs = undefined
    }
  }
}
