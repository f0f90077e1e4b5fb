import type { DecodedRecord } from './batch-plan.ts'

/** How a worker's batcher sizes batches and bounds read-ahead. */
export interface BatcherOptions {
  /** Most records one batch takes. */
  readonly maxRecords: number
  /** Longest a ready record waits for more to join its batch. */
  readonly maxWaitMs: number
  /** Records a shard may have fetched and not yet handed to a batch; its reader pauses there. */
  readonly readAheadRecords: number
  readonly now: () => number
}

/** However many shards a worker reads, it holds at most this many batches' worth of records waiting. */
export const QUEUED_BATCHES_MAX = 2

/** Records taken for one batch, per shard (keyed by the shard's lane object), in position order. */
export interface TakenBatch<L> {
  readonly lanes: Map<L, DecodedRecord[]>
  readonly records: number
}

/** A decoded page waiting in the queue; `from` is how much of it earlier batches took. */
interface QueuedPage<L> {
  readonly lane: L
  readonly records: readonly DecodedRecord[]
  readonly readyAtMs: number
  from: number
}

/** Per-lane bookkeeping: records waiting, whether more can come now, who waits for room. */
interface LaneState {
  queued: number
  open: boolean
  /** Its last fetch found nothing new: it adds nothing until its next poll. */
  caughtUp: boolean
  roomWaiter: (() => void) | undefined
}

/**
 * The worker-level queue between shard readers and the one sink loop. Readers push decoded
 * pages (each pauses once it has `readAheadRecords` waiting, or the worker holds two batches'
 * worth, so memory stays bounded however many shards it reads); the sink takes everything ready
 * across shards and pages, up to `maxRecords`, once that many are ready, or no reader can add
 * more now (each is paused on a full queue, caught up with its shard, or closed), or the oldest
 * ready record has waited `maxWaitMs`. Pages leave in arrival order, so each shard's records
 * stay in position order. Pure coordination: no I/O.
 */
export class WorkerBatcher<L> {
  private readonly queue: QueuedPage<L>[] = []
  private head = 0
  private ready = 0
  private readonly lanes = new Map<L, LaneState>()
  private takeWaiter: (() => void) | undefined

  private readonly maxQueued: number

  constructor(private readonly o: BatcherOptions) {
    this.maxQueued = QUEUED_BATCHES_MAX * o.maxRecords
  }

  /** Starts accepting pages from a lane. */
  open(lane: L): void {
    this.lanes.set(lane, { queued: 0, open: true, caughtUp: false, roomWaiter: undefined })
  }

  /** The lane's last fetch was empty (it has caught up with its shard): nothing to wait for from it now. */
  caughtUp(lane: L): void {
    const s = this.lanes.get(lane)
    if (s === undefined) return
    s.caughtUp = true
    this.wakeTaker()
  }

  /** The lane adds no more pages (its shard ended); what it queued stays. */
  close(lane: L): void {
    const s = this.lanes.get(lane)
    if (s !== undefined) s.open = false
    this.wakeTaker()
  }

  /** Removes a lane and its queued records (its shard stopped or its lease was lost). */
  drop(lane: L): void {
    const s = this.lanes.get(lane)
    if (s === undefined) return
    this.lanes.delete(lane)
    s.roomWaiter?.()
    if (s.queued > 0) {
      const kept = this.queue.slice(this.head).filter((p) => p.lane !== lane)
      this.queue.length = 0
      this.queue.push(...kept)
      this.head = 0
      this.ready -= s.queued
      for (const other of this.lanes.values()) other.roomWaiter?.()
    }
    this.wakeTaker()
  }

  /** True when the lane could queue `records` more without passing its read-ahead (or the worker's bound). */
  hasRoom(lane: L, records: number): boolean {
    const s = this.lanes.get(lane)
    return s !== undefined && s.queued + records <= this.o.readAheadRecords && this.ready + records <= this.maxQueued
  }

  /** Records of a lane not yet taken. */
  queuedOf(lane: L): number {
    return this.lanes.get(lane)?.queued ?? 0
  }

  /** Resolves once the lane may fetch another page (its queue is under the read-ahead, the worker's under its bound), or on abort. */
  async waitForRoom(lane: L, signal: AbortSignal): Promise<void> {
    for (;;) {
      const s = this.lanes.get(lane)
      if (s === undefined || signal.aborted || (s.queued < this.o.readAheadRecords && this.ready < this.maxQueued)) return
      this.wakeTaker() // a full lane may be what the taker waits for
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done)
          if (s.roomWaiter === done) s.roomWaiter = undefined
          resolve()
        }
        s.roomWaiter = done
        signal.addEventListener('abort', done, { once: true })
      })
    }
  }

  /** Appends a decoded page of a lane. */
  push(lane: L, records: readonly DecodedRecord[]): void {
    const s = this.lanes.get(lane)
    if (s === undefined || records.length === 0) return
    this.queue.push({ lane, records, readyAtMs: this.o.now(), from: 0 })
    s.caughtUp = false
    s.queued += records.length
    this.ready += records.length
    this.wakeTaker()
  }

  /**
   * Waits for a batch and takes it; resolves undefined when `signal` aborts first. One taker
   * at a time (the sink loop).
   */
  async take(signal: AbortSignal): Promise<TakenBatch<L> | undefined> {
    for (;;) {
      if (signal.aborted) return undefined
      const waitMs = this.readyInMs()
      if (waitMs === 0) return this.takeNow()
      await new Promise<void>((resolve) => {
        const timer = waitMs === Infinity ? undefined : setTimeout(done, waitMs)
        const self = this
        function done(): void {
          if (timer !== undefined) clearTimeout(timer)
          signal.removeEventListener('abort', done)
          if (self.takeWaiter === done) self.takeWaiter = undefined
          resolve()
        }
        this.takeWaiter = done
        signal.addEventListener('abort', done, { once: true })
      })
    }
  }

  /** 0 when a batch should be taken now, else how long until the oldest ready record's wait ends. */
  private readyInMs(): number {
    if (this.ready === 0) return Infinity
    if (this.ready >= this.o.maxRecords || this.ready >= this.maxQueued) return 0
    let anyOpenWithRoom = false
    for (const s of this.lanes.values()) {
      if (s.open && !s.caughtUp && s.queued < this.o.readAheadRecords) {
        anyOpenWithRoom = true
        break
      }
    }
    if (!anyOpenWithRoom) return 0
    const oldest = this.queue[this.head]!.readyAtMs
    return Math.max(0, oldest + this.o.maxWaitMs - this.o.now())
  }

  private takeNow(): TakenBatch<L> {
    const lanes = new Map<L, DecodedRecord[]>()
    let taken = 0
    while (this.head < this.queue.length && taken < this.o.maxRecords) {
      const page = this.queue[this.head]!
      const n = Math.min(page.records.length - page.from, this.o.maxRecords - taken)
      let out = lanes.get(page.lane)
      if (out === undefined) lanes.set(page.lane, (out = []))
      for (let i = page.from; i < page.from + n; i++) out.push(page.records[i]!)
      page.from += n
      taken += n
      const s = this.lanes.get(page.lane)
      if (s !== undefined) s.queued -= n
      if (page.from === page.records.length) this.queue[this.head++] = undefined as unknown as QueuedPage<L>
    }
    this.ready -= taken
    // Wake every paused reader: each checks its own queue and the worker's bound again.
    for (const s of this.lanes.values()) s.roomWaiter?.()
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head)
      this.head = 0
    }
    return { lanes, records: taken }
  }

  private wakeTaker(): void {
    this.takeWaiter?.()
  }
}
