/** Closed (sending), open (not sending after repeated failures) or half-open (one probe). */
export type BreakerState = 'closed' | 'open' | 'half-open'

/**
 * A circuit breaker per receiver: `failureThreshold` consecutive failures open it; after
 * `openMs` one probe may go (half-open); its success closes the breaker, its failure opens it
 * again. Throttling (429) is not a failure. Pure: the time is passed in.
 */
export class CircuitBreaker {
  private failures = 0
  private openedAtMs = 0
  private current: BreakerState = 'closed'

  constructor(readonly failureThreshold: number, readonly openMs: number) {}

  get state(): BreakerState {
    return this.current
  }

  /** Milliseconds before a try is allowed; 0 means try now (moving open → half-open when due). */
  waitMs(nowMs: number): number {
    if (this.current !== 'open') return 0
    const left = this.openedAtMs + this.openMs - nowMs
    if (left > 0) return left
    this.current = 'half-open'
    return 0
  }

  success(): void {
    this.failures = 0
    this.current = 'closed'
  }

  failure(nowMs: number): void {
    this.failures++
    if (this.current === 'half-open' || this.failures >= this.failureThreshold) {
      this.current = 'open'
      this.openedAtMs = nowMs
    }
  }
}
