import { sleep } from '../../core/backoff.ts'
import type { Notification } from '../notifiers/notifier.ts'
import { newDelivery, type Delivery, type DeliveryContext, type DeliveryStage } from './delivery-stage.ts'

/** How long a lane waits before running a stage again that threw (Redis down while recording). */
const STAGE_ERROR_RETRY_MS = 1_000

/**
 * The notifications of one receiver, delivered one at a time in outbox order, so one
 * alert's notifications (trigger, then resolve) reach the receiver in order and a failing
 * receiver holds only its own queue. A stage that throws (e.g. the outbox write after a
 * successful send) is run again on the same delivery, never the send before it.
 */
export class ReceiverLane {
  private readonly queue: Notification[] = []
  private wake: (() => void) | undefined
  private readonly done: Promise<void>
  private busy = false

  constructor(private readonly stages: readonly DeliveryStage[], private readonly ctx: DeliveryContext) {
    this.done = this.loop()
  }

  push(n: Notification): void {
    this.queue.push(n)
    this.wake?.()
  }

  /** Notifications waiting or being delivered. */
  get size(): number {
    return this.queue.length
  }

  get isIdle(): boolean {
    return this.queue.length === 0 && !this.busy
  }

  /** Resolves when the lane stopped (after its signal aborted). */
  stopped(): Promise<void> {
    this.wake?.()
    return this.done
  }

  private async loop(): Promise<void> {
    const { signal } = this.ctx
    while (!signal.aborted) {
      const head = this.queue[0]
      if (head === undefined) {
        await new Promise<void>((resolve) => {
          const done = () => {
            signal.removeEventListener('abort', done)
            this.wake = undefined
            resolve()
          }
          this.wake = done
          signal.addEventListener('abort', done, { once: true })
        })
        continue
      }
      this.busy = true
      const d = await this.deliver(head)
      this.busy = false
      if (d.outcome === 'pending') continue // interrupted: the loop ends if aborted, else tries again
      this.queue.shift()
    }
  }

  private async deliver(n: Notification): Promise<Delivery> {
    let d = newDelivery(n)
    for (const stage of this.stages) {
      for (;;) {
        if (this.ctx.signal.aborted && d.outcome === 'pending') return d
        try {
          d = await stage.run(this.ctx, d)
          break
        } catch (err) {
          this.ctx.log.warn({ tenant: n.tenant, receiver: n.receiver, notification: n.id, stage: stage.name, err: (err as Error).message }, 'delivery stage failed; running it again')
          if (this.ctx.signal.aborted) return d
          await sleep(STAGE_ERROR_RETRY_MS, this.ctx.signal)
        }
      }
    }
    return d
  }
}
