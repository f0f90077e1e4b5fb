/**
 * A bounded, ordered hand-off from one async loop to another. `push` waits while the queued
 * weight plus the new item's would pass `maxWeight` (an item heavier than the bound still goes
 * into an empty queue); `takeAll` takes every queued item up to `maxWeight` (at least one), in
 * order, waiting while the queue is empty, and returns undefined once it is closed and empty.
 * Made for one pushing and one taking loop.
 */
export class HandoffQueue<T> {
  private readonly items: Array<{ readonly item: T; readonly weight: number }> = []
  private weight = 0
  private closed = false
  private wakeTaker: (() => void) | undefined
  private wakePushers: Array<() => void> = []

  constructor(private readonly maxWeight: number) {
    if (!(maxWeight > 0)) throw new RangeError(`maxWeight must be positive, got ${maxWeight}`)
  }

  /** The weight of the items queued and not yet taken. */
  get queuedWeight(): number {
    return this.weight
  }

  /** Queues an item once there is room for it. */
  async push(item: T, weight: number): Promise<void> {
    while (!this.closed && this.items.length > 0 && this.weight + weight > this.maxWeight) {
      const waiting = new Promise<void>((resolve) => this.wakePushers.push(resolve))
      this.wakeTaker?.() // a taker waiting for more to join takes now: no more fits
      await waiting
    }
    if (this.closed) throw new Error('HandoffQueue: push after close')
    this.items.push({ item, weight })
    this.weight += weight
    this.wakeTaker?.()
  }

  /**
   * Every queued item up to the bound, once there is one; undefined when closed and drained.
   * With `fillUntilMs` (a Date.now() time), it also waits until then for more items to join,
   * unless the queue is full (or a push waits for room) or closed first.
   */
  async takeAll(fillUntilMs?: number): Promise<T[] | undefined> {
    for (;;) {
      if (this.items.length === 0 && this.closed) return undefined
      const full = this.weight >= this.maxWeight || this.wakePushers.length > 0
      const ready = this.items.length > 0 && (this.closed || full || fillUntilMs === undefined || Date.now() >= fillUntilMs)
      if (ready) break
      let timer: NodeJS.Timeout | undefined
      await new Promise<void>((resolve) => {
        this.wakeTaker = resolve
        if (this.items.length > 0 && fillUntilMs !== undefined) timer = setTimeout(resolve, fillUntilMs - Date.now())
      })
      clearTimeout(timer)
      this.wakeTaker = undefined
    }
    const out: T[] = []
    let taken = 0
    while (this.items.length > 0 && (out.length === 0 || taken + this.items[0]!.weight <= this.maxWeight)) {
      const next = this.items.shift()!
      out.push(next.item)
      taken += next.weight
    }
    this.weight -= taken
    for (const wake of this.wakePushers.splice(0)) wake()
    return out
  }

  /** No more pushes: the taker drains what is queued, then gets undefined; waiting pushers fail. */
  close(): void {
    this.closed = true
    this.wakeTaker?.()
    for (const wake of this.wakePushers.splice(0)) wake()
  }
}
