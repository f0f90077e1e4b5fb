import type { FrameScheduler } from './frame-scheduler.ts'

/** Counters of a coalescer: how much came in and how much reached the screen. */
export interface CoalescerStats {
  received: number
  delivered: number
  frames: number
}

/**
 * Collects pushed messages and hands them over at most once per animation frame: keyed
 * messages are coalesced (the one `isNewer` prefers wins, so a busy entity costs one update
 * per frame however often it changes), and nothing is scheduled while nothing is pending.
 * A frame takes at most `maxPerFrame` of them, the longest waiting first; a burst (the
 * current windows of 5,000 subscribed campaigns, after a reconnect) is spread over frames.
 */
export class FrameCoalescer<T> {
  private pending = new Map<string, T>()
  private handle: number | undefined
  readonly stats: CoalescerStats = { received: 0, delivered: 0, frames: 0 }

  constructor(
    private readonly frames: FrameScheduler,
    private readonly keyOf: (message: T) => string,
    private readonly flush: (batch: readonly T[]) => void,
    private readonly isNewer: (candidate: T, current: T) => boolean = () => true,
    private readonly maxPerFrame = Number.POSITIVE_INFINITY,
  ) {}

  /** Queues a message; replaces a pending one of the same key unless that one is newer. */
  push(message: T): void {
    this.stats.received++
    const key = this.keyOf(message)
    const current = this.pending.get(key)
    if (current === undefined || this.isNewer(message, current)) this.pending.set(key, message)
    if (this.handle === undefined) this.handle = this.frames.request(() => this.deliver())
  }

  /** Messages waiting for the next frame. */
  get size(): number {
    return this.pending.size
  }

  /** Delivers what is pending now (e.g. before the tab is hidden). */
  flushNow(): void {
    if (this.handle !== undefined) this.frames.cancel(this.handle)
    this.deliver()
  }

  /** Drops what is pending and cancels the frame. */
  dispose(): void {
    if (this.handle !== undefined) this.frames.cancel(this.handle)
    this.handle = undefined
    this.pending.clear()
  }

  private deliver(): void {
    this.handle = undefined
    if (this.pending.size === 0) return
    let batch: T[]
    if (this.pending.size <= this.maxPerFrame) {
      batch = [...this.pending.values()]
      this.pending = new Map()
    } else {
      // Map order is insertion order, and a replaced message keeps its place: oldest first.
      batch = []
      for (const [key, message] of this.pending) {
        if (batch.length >= this.maxPerFrame) break
        batch.push(message)
        this.pending.delete(key)
      }
      this.handle = this.frames.request(() => this.deliver())
    }
    this.stats.frames++
    this.stats.delivered += batch.length
    this.flush(batch)
  }
}
