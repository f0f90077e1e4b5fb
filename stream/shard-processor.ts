import { backoffMs, sleep } from '../core/backoff.ts'
import { isRetryable } from '../core/errors.ts'
import type { Logger } from '../core/log.ts'
import { planBatch, type BatchPlan, type Deaggregate } from './batch-plan.ts'
import { claimerOf } from './claimer.ts'
import type { ClickHouseHistoryWriter, PositionedEvent } from './clickhouse-history-writer.ts'
import type { DecodeContext } from './decode.ts'
import type { AdEvent } from './event.ts'
import { FencedError, LeaseLostError } from './errors.ts'
import { foldEvents, type DayOf } from './fold.ts'
import { isExpiredIterator, type RecordsPage, type ShardSource, type StartAt } from './kinesis-shard-source.ts'
import type { Lease, RedisLeaseManager } from './lease-manager.ts'
import { earlierOf, sequenceOf, type Position } from './positions.ts'
import type { RedisCounterStore } from './redis-counter-store.ts'

/** Everything a shard processor uses; adapters are passed in, the clock too. */
export interface ShardProcessorDeps {
  readonly stream: string
  readonly source: ShardSource
  readonly counters: RedisCounterStore
  readonly history: ClickHouseHistoryWriter
  readonly leases: RedisLeaseManager
  readonly deaggregate: Deaggregate
  readonly dayOf: DayOf
  readonly decodeContext: (nowMs: number) => DecodeContext
  readonly refreshTenants: () => Promise<boolean>
  readonly now: () => number
  readonly log: Logger
  readonly batchMaxRecords: number
  readonly pollIdleMs: number
  readonly startPosition: 'TRIM_HORIZON' | 'LATEST'
  /** A ClickHouse insert starts only if the lease has at least this long left. */
  readonly minLeaseForInsertMs: number
  readonly onBatch: (shardId: string, stats: BatchStats) => void
}

/** Counts of one written batch, for the status line and metrics. */
export interface BatchStats {
  readonly userRecords: number
  readonly events: number
  readonly duplicates: number
  readonly deadLetters: number
  readonly millisBehindLatest: number
}

/** How a processor ended: read a closed shard to its end, was asked to stop, or lost its lease. */
export type ProcessorOutcome = 'finished' | 'stopped' | 'lease-lost'

const RETRY_BASE_MS = 200
const RETRY_MAX_MS = 5_000

/**
 * Reads one leased shard and writes each batch to both sinks before the next: resume after
 * the lower of the two checkpoints, fetch the next page while the current one is written,
 * back off on errors, and stop only between batches.
 */
export class ShardProcessor {
  private readonly stopper = new AbortController()
  private readonly checkpoints: { redis: Position | undefined; clickhouse: Position | undefined } = { redis: undefined, clickhouse: undefined }
  private leaseLost = false

  constructor(private readonly deps: ShardProcessorDeps, readonly lease: Lease) {}

  /** Asks the processor to stop after the batch in hand. */
  stop(): void {
    this.stopper.abort()
  }

  /** Stops at once without writing again: the lease is gone. */
  loseLease(): void {
    this.leaseLost = true
    this.stopper.abort()
  }

  get shardId(): string {
    return this.lease.shardId
  }

  /** Runs until the shard ends, stop() is called, or the lease is lost. */
  async run(): Promise<ProcessorOutcome> {
    const d = this.deps
    const signal = this.stopper.signal
    try {
      await this.retrying('read checkpoints', async () => {
        this.checkpoints.redis = await d.counters.readCheckpoint(d.stream, this.shardId)
        this.checkpoints.clickhouse = (await d.history.readCheckpoints(d.stream)).get(this.shardId)
      })
      if (signal.aborted) return this.outcome()
      let lastSeq: string | undefined
      const startAt = (): StartAt => {
        if (lastSeq !== undefined) return { kind: 'after', sequenceNumber: lastSeq }
        const from = earlierOf(this.checkpoints.redis, this.checkpoints.clickhouse)
        // AT the earlier checkpoint: its aggregated record may hold sub-records not yet written.
        return from === undefined ? { kind: this.startFor() } : { kind: 'at', sequenceNumber: sequenceOf(from) }
      }
      let iterator = await this.retrying('get iterator', () => d.source.iterator(this.shardId, startAt()))
      let pending: Promise<RecordsPage> | undefined
      while (!signal.aborted) {
        let page: RecordsPage
        try {
          page = await (pending ?? d.source.getRecords(iterator, d.batchMaxRecords))
        } catch (err) {
          pending = undefined
          iterator = await this.recoverIterator(err, startAt)
          continue
        }
        pending = undefined
        // Prefetch the next page while this one is written (not after an empty page: poll slower).
        if (page.nextIterator !== undefined && page.records.length > 0) {
          pending = d.source.getRecords(page.nextIterator, d.batchMaxRecords)
          pending.catch(() => undefined)
        }
        if (page.records.length > 0) {
          await this.writeBatch(page)
          lastSeq = page.records[page.records.length - 1]!.sequenceNumber
        } else {
          d.onBatch(this.shardId, { userRecords: 0, events: 0, duplicates: 0, deadLetters: 0, millisBehindLatest: page.millisBehindLatest })
        }
        if (page.nextIterator === undefined) {
          await d.leases.markDone(this.shardId)
          d.log.info({ shard: this.shardId }, 'closed shard read to its end')
          return 'finished'
        }
        iterator = page.nextIterator
        if (page.records.length === 0) await sleep(d.pollIdleMs, signal)
      }
      return this.outcome()
    } catch (err) {
      if (err instanceof LeaseLostError || err instanceof FencedError) {
        d.log.warn({ shard: this.shardId, err: err.message }, 'lease lost; shard abandoned')
        return 'lease-lost'
      }
      throw err
    }
  }

  private outcome(): ProcessorOutcome {
    return this.leaseLost ? 'lease-lost' : 'stopped'
  }

  private startFor(): 'TRIM_HORIZON' | 'LATEST' {
    return this.deps.startPosition
  }

  private async recoverIterator(err: unknown, startAt: () => StartAt): Promise<string> {
    const d = this.deps
    if (isExpiredIterator(err)) {
      d.log.info({ shard: this.shardId }, 'iterator expired; getting a new one from the last position')
    } else if (isRetryable(err)) {
      d.log.warn({ shard: this.shardId, err: (err as Error).message }, 'GetRecords failed; backing off')
      await sleep(backoffMs(this.getRecordsFailures++, RETRY_BASE_MS, RETRY_MAX_MS), this.stopper.signal)
    } else {
      throw err
    }
    return this.retrying('get iterator', () => d.source.iterator(this.shardId, startAt()))
  }
  private getRecordsFailures = 0

  /** Writes one page: dedupe claims, then Redis (atomic with its checkpoint), then ClickHouse. */
  private async writeBatch(page: RecordsPage): Promise<void> {
    const d = this.deps
    this.getRecordsFailures = 0
    let plan = planBatch(page.records, this.checkpoints, d.decodeContext(d.now()), d.deaggregate)
    if (plan.deadLetters.some((x) => x.letter.code === 'unknown_tenant') && (await d.refreshTenants())) {
      // A tenant registered a moment ago: decode again with the fresh list before dead-lettering.
      plan = planBatch(page.records, this.checkpoints, d.decodeContext(d.now()), d.deaggregate)
    }
    const dups = await this.retrying('dedupe claims', () =>
      d.counters.claimIds(plan.events.map(({ event, pos }) => ({ tenant: event.tenant, tsMs: event.tsMs, id: event.id, claimer: claimerOf(this.shardId, pos) }))),
    )
    const unique = plan.events.filter((_, i) => !dups.has(i))
    const redisEvents = unique.filter((x) => x.needs.redis).map((x) => x.event)
    if (plan.redisFirstPos !== undefined && plan.lastPos !== undefined) {
      await this.writeRedis(plan, redisEvents, plan.events.filter((x, i) => dups.has(i) && x.needs.redis).length)
    }
    await this.writeClickHouse(plan, unique)
    d.onBatch(this.shardId, {
      userRecords: plan.userRecords,
      events: unique.length,
      duplicates: dups.size,
      deadLetters: plan.deadLetters.length,
      millisBehindLatest: page.millisBehindLatest,
    })
  }

  private async writeRedis(plan: BatchPlan, events: AdEvent[], duplicates: number): Promise<void> {
    const d = this.deps
    const folded = foldEvents(events, d.dayOf)
    await this.retrying('Redis batch', () =>
      d.counters.applyBatch({
        stream: d.stream,
        shard: this.shardId,
        leaseValue: this.lease.value,
        firstPos: plan.redisFirstPos!,
        lastPos: plan.lastPos!,
        folded,
        duplicates,
        deadLetters: plan.deadLetters.filter((x) => x.needs.redis).length,
        nowMs: d.now(),
      }),
    )
    this.checkpoints.redis = plan.lastPos
  }

  /**
   * Dead letters first (idempotent), then events, whose block carries the checkpoint. After a
   * failure the checkpoint is read again: an insert that timed out may have landed.
   */
  private async writeClickHouse(plan: BatchPlan, unique: BatchPlan['events']): Promise<void> {
    const d = this.deps
    let letters = plan.deadLetters.filter((x) => x.needs.clickhouse).map((x) => x.letter)
    let events: PositionedEvent[] = unique.filter((x) => x.needs.clickhouse).map(({ event, pos }) => ({ event, pos }))
    if (letters.length === 0 && events.length === 0) return
    let failures = 0
    for (;;) {
      try {
        if ((await d.leases.remainingMs(this.lease)) < d.minLeaseForInsertMs) {
          throw new LeaseLostError(this.shardId, 'too little lease time left to insert into ClickHouse safely')
        }
        await d.history.insertDeadLetters(d.stream, this.shardId, letters, d.now())
        letters = []
        await d.history.insertEvents(d.stream, this.shardId, events, d.now())
        if (events.length > 0) this.checkpoints.clickhouse = events[events.length - 1]!.pos
        return
      } catch (err) {
        if (!isRetryable(err) || this.leaseLost) throw err
        d.log.warn({ shard: this.shardId, err: (err as Error).message, attempt: failures + 1 }, 'ClickHouse write failed; holding the checkpoint and backing off')
        await sleep(backoffMs(failures++, RETRY_BASE_MS * 2, RETRY_MAX_MS * 2))
        const landed = await this.retrying('re-read ClickHouse checkpoint', () => d.history.readCheckpoints(d.stream))
        const ckpt = landed.get(this.shardId)
        if (ckpt !== undefined) {
          this.checkpoints.clickhouse = ckpt
          events = events.filter((e) => e.pos > ckpt)
        }
      }
    }
  }

  /** Retries a retryable operation with backoff until it succeeds or the lease is lost. */
  private async retrying<T>(what: string, op: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.leaseLost) throw new LeaseLostError(this.shardId, `while trying to ${what}`)
      try {
        return await op()
      } catch (err) {
        if (!isRetryable(err)) throw err
        this.deps.log.warn({ shard: this.shardId, err: (err as Error).message, attempt: attempt + 1 }, `${what} failed; backing off`)
        await sleep(backoffMs(attempt, RETRY_BASE_MS, RETRY_MAX_MS))
      }
    }
  }
}
