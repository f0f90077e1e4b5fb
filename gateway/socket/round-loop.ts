import type { Logger } from '../../core/log.ts'

export interface RoundLoopOptions {
  /** One round; `startMs` is `now()` when it began. */
  readonly round: (startMs: number) => Promise<void>
  readonly intervalMs: number
  readonly now: () => number
  readonly log: Logger
  /** Logged (at most every 10 s) when a round throws; the loop retries next round. */
  readonly failure: string
  /** Called after each round with its duration (ms). */
  readonly afterRound?: (durationMs: number) => void
}

/**
 * Runs `round` every `intervalMs` (measured from each round's start) until stopped: the loop
 * behind the gateway's window pusher and alert forwarder. A failed round is logged, not fatal.
 */
export class RoundLoop {
  private running: Promise<void> | undefined
  private stopped = false
  private wake: (() => void) | undefined
  private lastErrorLogMs = -Infinity

  constructor(private readonly o: RoundLoopOptions) {}

  /** Starts the loop (again, after stop()). */
  start(): void {
    if (this.running !== undefined && !this.stopped) return
    this.stopped = false
    this.running = this.loop()
  }

  /** Stops after the round in progress. */
  async stop(): Promise<void> {
    this.stopped = true
    this.wake?.()
    await this.running
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const t0 = this.o.now()
      try {
        await this.o.round(t0)
      } catch (err) {
        if (t0 - this.lastErrorLogMs > 10_000) {
          this.lastErrorLogMs = t0
          this.o.log.error({ err: (err as Error).message }, this.o.failure)
        }
      }
      const took = this.o.now() - t0
      this.o.afterRound?.(took)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, this.o.intervalMs - took))
        this.wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
  }
}
