import { repeatEvery } from '../core/backoff.ts'
import type { ConsumerConfig } from '../core/config.ts'
import type { Logger } from '../core/log.ts'
import type { Deaggregate } from './batch-plan.ts'
import { BatchSink, type BatchStats } from './batch-sink.ts'
import type { ClickHouseHistoryWriter } from './clickhouse-history-writer.ts'
import type { ShardInfo, ShardSource } from './kinesis-shard-source.ts'
import type { Lease, RedisLeaseManager } from './lease-manager.ts'
import { LocalDayCalendar } from './local-day.ts'
import type { RedisCounterStore } from './redis-counter-store.ts'
import { planAssignment } from './shard-assignment.ts'
import { ShardReader, type ShardOutcome } from './shard-reader.ts'
import type { TenantDirectory } from './tenant-directory.ts'
import { WorkerBatcher } from './worker-batcher.ts'

/** Adapters and clock a consumer worker runs on. */
export interface ConsumerDeps {
  readonly stream: string
  readonly source: ShardSource
  readonly counters: RedisCounterStore
  readonly history: ClickHouseHistoryWriter
  readonly leases: RedisLeaseManager
  readonly tenants: TenantDirectory
  readonly deaggregate: Deaggregate
  readonly now: () => number
  readonly log: Logger
  /** Told when a shard's reader ends (benchmarks wait for every closed shard to finish). */
  readonly onShardEnded?: (shardId: string, outcome: ShardOutcome) => void
}

/** Running totals of one worker, for its status line and /metrics. */
export interface ConsumerStats {
  userRecords: number
  events: number
  duplicates: number
  deadLetters: number
  readonly lagMsByShard: Map<string, number>
}

const SHARD_LIST_REFRESH_MS = 5_000
const TENANT_REFRESH_MS = 30_000

/**
 * One consumer worker: keeps its fair share of shard leases (renewing, taking free ones,
 * handing back extras), runs a ShardReader per held shard into one WorkerBatcher, and one
 * BatchSink loop that writes batches across all its shards. stop() lets the sink write the
 * batches it has taken, then releases every lease.
 */
export class Consumer {
  private readonly readers = new Map<string, { reader: ShardReader; done: Promise<void> }>()
  private readonly calendar = new LocalDayCalendar()
  private readonly stopper = new AbortController()
  private readonly sinkStopper = new AbortController()
  private readonly renewStopper = new AbortController()
  private readonly batcher: WorkerBatcher<ShardReader>
  private readonly sink: BatchSink
  private shards: ShardInfo[] = []
  private shardsAtMs = -Infinity
  private loop: Promise<void> | undefined
  private renewals: Promise<void> | undefined
  private sinkLoop: Promise<void> | undefined
  readonly stats: ConsumerStats = { userRecords: 0, events: 0, duplicates: 0, deadLetters: 0, lagMsByShard: new Map() }

  constructor(private readonly deps: ConsumerDeps, private readonly cfg: ConsumerConfig) {
    this.batcher = new WorkerBatcher<ShardReader>({
      maxRecords: cfg.sinkBatchMaxRecords,
      maxWaitMs: cfg.sinkBatchMaxWaitMs,
      readAheadRecords: cfg.shardReadAheadRecords,
      now: deps.now,
    })
    this.sink = new BatchSink({
      stream: deps.stream,
      counters: deps.counters,
      history: deps.history,
      leases: deps.leases,
      dayOf: (e) => this.calendar.dayOf(e.tsMs, deps.tenants.timeZoneOf(e.tenant, e.account)),
      now: deps.now,
      log: deps.log,
      minLeaseForInsertMs: Math.min(2_000, cfg.leaseTtlMs / 4),
      historyMaxRecords: cfg.clickhouseMaxPendingRecords,
      historyInsertIntervalMs: cfg.clickhouseInsertIntervalMs,
      onBatch: (s) => this.record(s),
    })
  }

  /** Starts coordinating and the sink loop; resolves once the first round has run. */
  async start(): Promise<void> {
    await this.deps.tenants.refresh()
    this.sinkLoop = this.sink.run(this.batcher, this.sinkStopper.signal).catch((err: unknown) => {
      this.deps.log.error({ err: (err as Error).message }, 'sink loop failed')
    })
    await this.round()
    this.loop = this.runLoop()
    this.renewals = this.runRenewals()
  }

  /** Graceful stop: batches already taken are written and checkpointed, then leases are released. */
  async stop(): Promise<void> {
    this.stopper.abort()
    await this.loop
    for (const { reader } of this.readers.values()) reader.stop()
    // Leases are renewed until the sink has written what it took and they are released.
    this.sinkStopper.abort()
    await Promise.all([...this.readers.values()].map((p) => p.done))
    await this.sinkLoop
    this.renewStopper.abort()
    await this.renewals
    await this.deps.leases.leave().catch(() => undefined)
  }

  /** Shards this worker reads now. */
  heldShards(): string[] {
    return [...this.readers.keys()]
  }

  private runLoop(): Promise<void> {
    return repeatEvery(this.cfg.leaseRenewMs, this.stopper.signal, () => this.round(), (err) => this.deps.log.error({ err: err.message }, 'coordination round failed; retrying next round'))
  }

  /**
   * Renews every held lease in one call each ADW_LEASE_RENEW_MS, on a timer of its own: a slow
   * call of the coordination round (ListShards can take up to its 30 s timeout) must not hold a
   * renewal back past the lease's TTL. Runs until stop() has released the leases.
   */
  private runRenewals(): Promise<void> {
    return repeatEvery(this.cfg.leaseRenewMs, this.renewStopper.signal, () => this.renew(), (err) => this.deps.log.error({ err: err.message }, 'lease renewal failed; retrying next time'))
  }

  /** Renews every held lease in one call; a shard whose lease is gone stops. */
  private async renew(): Promise<void> {
    const current = [...this.readers.values()].map((r) => r.reader)
    if (current.length === 0) return
    const renewed = await this.deps.leases.renewAll(current.map((r) => r.lease))
    current.forEach((reader, i) => {
      // A reader that ended meanwhile released its lease: not lost.
      if (renewed[i] === true || this.readers.get(reader.shardId)?.reader !== reader) return
      this.deps.log.warn({ shard: reader.shardId }, 'lease could not be renewed; stopping the shard')
      reader.loseLease('the lease could not be renewed')
    })
  }

  /** One coordination round: heartbeat, list shards, take free shards, hand extras back. */
  private async round(): Promise<void> {
    const d = this.deps
    const now = d.now()
    const liveWorkers = await d.leases.heartbeat(now)
    await d.tenants.refresh(TENANT_REFRESH_MS)
    if (now - this.shardsAtMs >= SHARD_LIST_REFRESH_MS) {
      this.shards = await d.source.listShards()
      this.shardsAtMs = now
    }
    const done = await d.leases.doneShards(this.shards.map((s) => s.shardId))
    const plan = planAssignment({ shards: this.shards, done, held: new Set(this.readers.keys()), liveWorkers })
    let held = [...this.readers.keys()].filter((s) => plan.readable.includes(s)).length
    for (const shardId of shuffle(plan.candidates)) {
      if (held >= plan.target || this.stopper.signal.aborted) break
      const lease = await d.leases.tryAcquire(shardId)
      if (lease === undefined) continue
      held++
      this.launch(lease)
    }
    if (plan.releaseCount > 0) {
      const extras = [...this.readers.values()].slice(0, plan.releaseCount)
      for (const { reader } of extras) {
        d.log.info({ shard: reader.shardId, target: plan.target }, 'handing a shard back to rebalance')
        reader.stop()
      }
    }
  }

  private launch(lease: Lease): void {
    const d = this.deps
    const reader = new ShardReader(
      {
        stream: d.stream,
        source: d.source,
        counters: d.counters,
        history: d.history,
        leases: d.leases,
        batcher: this.batcher,
        deaggregate: d.deaggregate,
        decodeContext: (nowMs) => ({
          nowMs,
          maxLatenessMs: this.cfg.maxLatenessSec * 1000,
          maxFutureMs: this.cfg.maxFutureSec * 1000,
          isKnownTenant: (t) => d.tenants.isKnown(t),
        }),
        refreshTenants: () => d.tenants.refresh(1_000),
        now: d.now,
        log: d.log,
        pageMaxRecords: this.cfg.batchMaxRecords,
        pollIdleMs: this.cfg.pollIdleMs,
        startPosition: this.cfg.startPosition,
        onLag: (shardId, lagMs) => this.stats.lagMsByShard.set(shardId, lagMs),
      },
      lease,
    )
    d.log.info({ shard: lease.shardId, token: lease.token }, 'shard lease acquired')
    const done = reader
      .run()
      .catch((err: unknown) => {
        d.log.error({ shard: lease.shardId, err: (err as Error).message }, 'shard reader failed; the shard will be taken again')
        return 'stopped' as const
      })
      .then(async (outcome) => {
        this.readers.delete(lease.shardId)
        this.stats.lagMsByShard.delete(lease.shardId)
        if (outcome !== 'lease-lost') await d.leases.release(lease).catch(() => undefined)
        d.log.info({ shard: lease.shardId, outcome }, 'shard released')
        d.onShardEnded?.(lease.shardId, outcome)
      })
    this.readers.set(lease.shardId, { reader, done })
  }

  private record(s: BatchStats): void {
    this.stats.userRecords += s.userRecords
    this.stats.events += s.events
    this.stats.duplicates += s.duplicates
    this.stats.deadLetters += s.deadLetters
  }
}

function shuffle<T>(items: readonly T[]): T[] {
  const a = [...items]
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[a[i], a[j]] = [a[j]!, a[i]!]
  }
  return a
}
