import { sleep } from '../core/backoff.ts'
import type { ConsumerConfig } from '../core/config.ts'
import type { Logger } from '../core/log.ts'
import type { Deaggregate } from './batch-plan.ts'
import type { ClickHouseHistoryWriter } from './clickhouse-history-writer.ts'
import type { ShardInfo, ShardSource } from './kinesis-shard-source.ts'
import type { RedisLeaseManager } from './lease-manager.ts'
import { LocalDayCalendar } from './local-day.ts'
import type { RedisCounterStore } from './redis-counter-store.ts'
import { planAssignment } from './shard-assignment.ts'
import { ShardProcessor, type BatchStats, type ShardProcessorDeps } from './shard-processor.ts'
import type { TenantDirectory } from './tenant-directory.ts'

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
 * handing back extras), runs a ShardProcessor per held shard, and on stop() lets each finish
 * its batch, then releases every lease.
 */
export class Consumer {
  private readonly processors = new Map<string, { processor: ShardProcessor; done: Promise<void> }>()
  private readonly calendar = new LocalDayCalendar()
  private readonly stopper = new AbortController()
  private shards: ShardInfo[] = []
  private shardsAtMs = -Infinity
  private loop: Promise<void> | undefined
  readonly stats: ConsumerStats = { userRecords: 0, events: 0, duplicates: 0, deadLetters: 0, lagMsByShard: new Map() }

  constructor(private readonly deps: ConsumerDeps, private readonly cfg: ConsumerConfig) {}

  /** Starts coordinating; resolves once the first round has run. */
  async start(): Promise<void> {
    await this.deps.tenants.refresh()
    await this.round()
    this.loop = this.runLoop()
  }

  /** Graceful stop: every processor finishes its batch and checkpoints, then leases are released. */
  async stop(): Promise<void> {
    this.stopper.abort()
    await this.loop
    for (const { processor } of this.processors.values()) processor.stop()
    await Promise.all([...this.processors.values()].map((p) => p.done))
    await this.deps.leases.leave().catch(() => undefined)
  }

  /** Shards this worker reads now. */
  heldShards(): string[] {
    return [...this.processors.keys()]
  }

  private async runLoop(): Promise<void> {
    while (!this.stopper.signal.aborted) {
      await sleep(this.cfg.leaseRenewMs, this.stopper.signal)
      if (this.stopper.signal.aborted) break
      try {
        await this.round()
      } catch (err) {
        this.deps.log.error({ err: (err as Error).message }, 'coordination round failed; retrying next round')
      }
    }
  }

  /** One coordination round: heartbeat, renew, list shards, rebalance. */
  private async round(): Promise<void> {
    const d = this.deps
    const now = d.now()
    const liveWorkers = await d.leases.heartbeat(now)
    for (const [shardId, { processor }] of this.processors) {
      if (!(await d.leases.renew(processor.lease))) {
        d.log.warn({ shard: shardId }, 'lease could not be renewed; stopping the shard')
        processor.loseLease()
      }
    }
    await d.tenants.refresh(TENANT_REFRESH_MS)
    if (now - this.shardsAtMs >= SHARD_LIST_REFRESH_MS) {
      this.shards = await d.source.listShards()
      this.shardsAtMs = now
    }
    const done = await d.leases.doneShards(this.shards.map((s) => s.shardId))
    const plan = planAssignment({ shards: this.shards, done, held: new Set(this.processors.keys()), liveWorkers })
    let held = [...this.processors.keys()].filter((s) => plan.readable.includes(s)).length
    for (const shardId of shuffle(plan.candidates)) {
      if (held >= plan.target || this.stopper.signal.aborted) break
      const lease = await d.leases.tryAcquire(shardId)
      if (lease === undefined) continue
      held++
      this.launch(lease)
    }
    if (plan.releaseCount > 0) {
      const extras = [...this.processors.values()].slice(0, plan.releaseCount)
      for (const { processor } of extras) {
        d.log.info({ shard: processor.shardId, target: plan.target }, 'handing a shard back to rebalance')
        processor.stop()
      }
    }
  }

  private launch(lease: NonNullable<Awaited<ReturnType<RedisLeaseManager['tryAcquire']>>>): void {
    const d = this.deps
    const deps: ShardProcessorDeps = {
      stream: d.stream,
      source: d.source,
      counters: d.counters,
      history: d.history,
      leases: d.leases,
      deaggregate: d.deaggregate,
      dayOf: (e) => this.calendar.dayOf(e.tsMs, d.tenants.timeZoneOf(e.tenant, e.account)),
      decodeContext: (nowMs) => ({
        nowMs,
        maxLatenessMs: this.cfg.maxLatenessSec * 1000,
        maxFutureMs: this.cfg.maxFutureSec * 1000,
        isKnownTenant: (t) => d.tenants.isKnown(t),
      }),
      refreshTenants: () => d.tenants.refresh(1_000),
      now: d.now,
      log: d.log,
      batchMaxRecords: this.cfg.batchMaxRecords,
      pollIdleMs: this.cfg.pollIdleMs,
      startPosition: this.cfg.startPosition,
      minLeaseForInsertMs: Math.min(2_000, this.cfg.leaseTtlMs / 4),
      onBatch: (shardId, s) => this.record(shardId, s),
    }
    const processor = new ShardProcessor(deps, lease)
    d.log.info({ shard: lease.shardId, token: lease.token }, 'shard lease acquired')
    const done = processor
      .run()
      .catch((err: unknown) => {
        d.log.error({ shard: lease.shardId, err: (err as Error).message }, 'shard processor failed; the shard will be taken again')
        return 'stopped' as const
      })
      .then(async (outcome) => {
        this.processors.delete(lease.shardId)
        this.stats.lagMsByShard.delete(lease.shardId)
        if (outcome !== 'lease-lost') await d.leases.release(lease).catch(() => undefined)
        d.log.info({ shard: lease.shardId, outcome }, 'shard released')
      })
    this.processors.set(lease.shardId, { processor, done })
  }

  private record(shardId: string, s: BatchStats): void {
    this.stats.userRecords += s.userRecords
    this.stats.events += s.events
    this.stats.duplicates += s.duplicates
    this.stats.deadLetters += s.deadLetters
    this.stats.lagMsByShard.set(shardId, s.millisBehindLatest)
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
