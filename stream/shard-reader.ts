import { backoffMs, sleep } from '../core/backoff.ts'
import { isRetryable } from '../core/errors.ts'
import type { Logger } from '../core/log.ts'
import { decodeRecords, hasUnknownTenant, type Deaggregate, type DecodedRecord } from './batch-plan.ts'
import { claimerHasherOf } from './claimer.ts'
import type { ClickHouseHistoryWriter } from './clickhouse-history-writer.ts'
import type { DecodeContext } from './decode.ts'
import { LeaseLostError } from './errors.ts'
import { isExpiredIterator, type RecordsPage, type ShardSource, type StartAt } from './kinesis-shard-source.ts'
import type { Lease, RedisLeaseManager } from './lease-manager.ts'
import { earlierOf, sequenceOf, type Position } from './positions.ts'
import type { RedisCounterStore } from './redis-counter-store.ts'
import { retrying, type RetryContext } from './retrying.ts'
import type { WorkerBatcher } from './worker-batcher.ts'

/** What a shard reader uses; adapters are passed in, the clock too. */
export interface ShardReaderDeps {
  readonly stream: string
  readonly source: ShardSource
  readonly counters: RedisCounterStore
  readonly history: ClickHouseHistoryWriter
  readonly leases: RedisLeaseManager
  readonly batcher: WorkerBatcher<ShardReader>
  readonly deaggregate: Deaggregate
  readonly decodeContext: (nowMs: number) => DecodeContext
  readonly refreshTenants: () => Promise<boolean>
  readonly now: () => number
  readonly log: Logger
  /** GetRecords limit per call. */
  readonly pageMaxRecords: number
  readonly pollIdleMs: number
  readonly startPosition: 'TRIM_HORIZON' | 'LATEST'
  readonly onLag: (shardId: string, millisBehindLatest: number) => void
}

/** How a reader ended: read a closed shard to its end (both sinks hold it), was stopped, or lost its lease. */
export type ShardOutcome = 'finished' | 'stopped' | 'lease-lost'

const GET_RECORDS_BASE_MS = 200
const GET_RECORDS_MAX_MS = 5_000

/**
 * Reads one leased shard into the worker's batcher: reads both sinks' checkpoints, resumes AT
 * the earlier one, decodes each page as it arrives (the next one already on its way) and queues
 * it, pausing while the shard has its read-ahead waiting. The sink loop writes the queued records; this object is also the
 * sink's view of the shard (lease, checkpoints, claimer names). A closed shard read to its
 * end is marked done once every record of it is written.
 */
export class ShardReader {
  /** Each sink's checkpoint; read here at start, moved by the sink after each write. */
  readonly checkpoints: { redis: Position | undefined; clickhouse: Position | undefined } = { redis: undefined, clickhouse: undefined }
  /** Claimer name of a record of this shard (claimer.ts). */
  readonly claimerOf: (pos: Position) => string
  private readonly stopper = new AbortController()
  private lost = false
  private failed = false
  private droppedRecords = false
  private inFlight = 0
  private idleWaiter: (() => void) | undefined

  constructor(private readonly deps: ShardReaderDeps, readonly lease: Lease) {
    this.claimerOf = claimerHasherOf(lease.shardId)
  }

  get shardId(): string {
    return this.lease.shardId
  }

  /** True once the lease is gone: nothing more of this shard may be written. */
  get isLost(): boolean {
    return this.lost
  }

  /** False once the lease is gone or a batch of this shard failed: the sink writes nothing more of it. */
  get isWritable(): boolean {
    return !this.lost && !this.failed
  }

  /** Stops reading; records already taken by a batch are still written, queued ones are dropped. */
  stop(): void {
    if (this.stopper.signal.aborted) return
    this.stopper.abort()
    if (this.deps.batcher.queuedOf(this) > 0) this.droppedRecords = true
    this.deps.batcher.drop(this)
    this.idleWaiter?.()
  }

  /** The lease is gone: stop at once; the sink writes nothing more of this shard. */
  loseLease(detail: string): void {
    if (this.lost) return
    this.lost = true
    this.deps.log.warn({ shard: this.shardId, detail }, 'lease lost; shard abandoned')
    this.stop()
  }

  /** A batch holding this shard failed for good: stop, so the consumer hands the shard back and it is read again from the checkpoints. */
  fail(): void {
    this.failed = true
    this.stop()
  }

  /** The sink took records of this shard into a batch. */
  batchTaken(): void {
    this.inFlight++
  }

  /** A batch holding records of this shard was written (or given up). */
  batchSettled(): void {
    this.inFlight--
    this.idleWaiter?.()
  }

  /** Runs until the shard ends and is written, stop() is called, or the lease is lost. */
  async run(): Promise<ShardOutcome> {
    const d = this.deps
    const signal = this.stopper.signal
    // Stopped or lost while retrying: give up without writing anything.
    const retry: RetryContext = { log: d.log, fields: { shard: this.shardId }, giveUp: () => (signal.aborted ? new LeaseLostError(this.shardId, 'the reader was stopped') : undefined), signal }
    d.batcher.open(this)
    let ended = false
    try {
      await retrying('read checkpoints', async () => {
        this.checkpoints.redis = await d.counters.readCheckpoint(d.stream, this.shardId)
        this.checkpoints.clickhouse = (await d.history.readCheckpoints(d.stream)).get(this.shardId)
      }, retry)
      let lastSeq: string | undefined
      const startAt = (): StartAt => {
        if (lastSeq !== undefined) return { kind: 'after', sequenceNumber: lastSeq }
        const from = earlierOf(this.checkpoints.redis, this.checkpoints.clickhouse)
        // AT the earlier checkpoint: its aggregated record may hold sub-records not yet written.
        return from === undefined ? { kind: d.startPosition } : { kind: 'at', sequenceNumber: sequenceOf(from) }
      }
      let iterator = signal.aborted ? '' : await retrying('get iterator', () => d.source.iterator(this.shardId, startAt()), retry)
      let failures = 0
      let pending: Promise<RecordsPage> | undefined
      while (!signal.aborted) {
        if (pending === undefined) {
          await d.batcher.waitForRoom(this, signal)
          if (signal.aborted) break
        }
        let page: RecordsPage
        try {
          page = await (pending ?? d.source.getRecords(iterator, d.pageMaxRecords))
        } catch (err) {
          pending = undefined
          if (isExpiredIterator(err)) {
            d.log.info({ shard: this.shardId }, 'iterator expired; getting a new one from the last position')
          } else if (isRetryable(err)) {
            d.log.warn({ shard: this.shardId, err: (err as Error).message }, 'GetRecords failed; backing off')
            await sleep(backoffMs(failures++, GET_RECORDS_BASE_MS, GET_RECORDS_MAX_MS), signal)
          } else {
            throw err
          }
          if (!signal.aborted) iterator = await retrying('get iterator', () => d.source.iterator(this.shardId, startAt()), retry)
          continue
        }
        pending = undefined
        failures = 0
        d.onLag(this.shardId, page.millisBehindLatest)
        if (signal.aborted) break
        // Ask for the next page while this one is decoded (not after an empty page: poll slower),
        // when the read-ahead has room for both.
        if (page.nextIterator !== undefined && page.records.length > 0 && d.batcher.hasRoom(this, page.records.length)) {
          pending = d.source.getRecords(page.nextIterator, d.pageMaxRecords)
          pending.catch(() => undefined)
        }
        if (page.records.length > 0) {
          const decoded = await this.decode(page.records)
          if (signal.aborted) break
          d.batcher.push(this, decoded)
          lastSeq = page.records[page.records.length - 1]!.sequenceNumber
        }
        if (page.nextIterator === undefined) {
          ended = true
          break
        }
        iterator = page.nextIterator
        // An empty page: caught up, so what is queued need not wait for more; poll slower.
        // Otherwise let I/O callbacks run before the next page is decoded.
        if (page.records.length === 0) {
          d.batcher.caughtUp(this)
          await sleep(d.pollIdleMs, signal)
        } else {
          await new Promise<void>((resolve) => setImmediate(resolve))
        }
      }
    } catch (err) {
      if (!signal.aborted) {
        d.log.error({ shard: this.shardId, err: (err as Error).message }, 'shard reader failed; the shard will be taken again')
        this.failed = true
        this.stop()
      }
    }
    if (this.lost) return 'lease-lost'
    if (ended) d.batcher.close(this)
    await this.idle()
    d.batcher.drop(this)
    if (this.lost) return 'lease-lost'
    if (!ended || this.droppedRecords || this.failed) return 'stopped'
    await retrying('mark the shard done', () => d.leases.markDone(this.shardId), { log: d.log, fields: { shard: this.shardId } })
    d.log.info({ shard: this.shardId }, 'closed shard read to its end')
    return 'finished'
  }

  /** Decodes a page; an unknown tenant triggers one tenant reload (at most one a second) and a second decode. */
  private async decode(records: Parameters<typeof decodeRecords>[0]): Promise<DecodedRecord[]> {
    const d = this.deps
    const decoded = decodeRecords(records, d.decodeContext(d.now()), d.deaggregate)
    if (!hasUnknownTenant(decoded)) return decoded
    let reloaded = false
    try {
      reloaded = await d.refreshTenants()
    } catch (err) {
      d.log.warn({ shard: this.shardId, err: (err as Error).message }, 'reloading tenants failed; unknown tenants are dead-lettered')
    }
    return reloaded ? decodeRecords(records, d.decodeContext(d.now()), d.deaggregate) : decoded
  }

  /** Resolves when no batch holds records of this shard and none wait in the batcher (or were dropped). */
  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.inFlight === 0 && this.deps.batcher.queuedOf(this) === 0) {
          this.idleWaiter = undefined
          resolve()
        }
      }
      this.idleWaiter = check
      check()
    })
  }
}
