import { Redis } from 'ioredis'
import { createClickHouse } from '../core/clickhouse.ts'
import type { AdwatchConfig } from '../core/config.ts'
import { planBatch } from '../stream/batch-plan.ts'
import { claimerOf } from '../stream/claimer.ts'
import { ClickHouseHistoryWriter } from '../stream/clickhouse-history-writer.ts'
import { foldEvents } from '../stream/fold.ts'
import { deaggregateRecord } from '../stream/kpl.ts'
import { RedisLeaseManager } from '../stream/lease-manager.ts'
import { LocalDayCalendar } from '../stream/local-day.ts'
import type { Position } from '../stream/positions.ts'
import { RedisCounterStore } from '../stream/redis-counter-store.ts'
import { TenantDirectory } from '../stream/tenant-directory.ts'
import { clearRepetition, migrateDatabase, registerEventSet, type EventSet } from './bench-env.ts'
import { redisCpuSec, verifySinks } from './fold-run.ts'
import type { MemoryShardSource } from './memory-shard-source.ts'

/** The stages of one shard batch, in the order ShardProcessor.writeBatch runs them. */
export const STAGES = ['decode', 'claims Lua', 'fold', 'Redis apply Lua', 'ClickHouse insert'] as const
export type Stage = (typeof STAGES)[number]

/** Wall time of each stage over all batches, and Redis server CPU spent in the Redis stages. */
export interface StageTimes {
  readonly events: number
  readonly wallMs: Record<Stage, number>
  readonly redisCpuMs: Partial<Record<Stage, number>>
}

/**
 * Runs the stages of ShardProcessor.writeBatch one after the other, batch by batch and shard
 * by shard, with nothing overlapping, and times each with performance.now(): what each stage
 * would cost if it were alone. The sinks are checked afterwards like a fold repetition.
 */
export async function measureStages(cfg: AdwatchConfig, source: MemoryShardSource, set: EventSet, expected: number): Promise<StageTimes> {
  await migrateDatabase(cfg)
  const redis = new Redis(cfg.redis.url, { maxRetriesPerRequest: 5 })
  const clickhouse = createClickHouse(cfg.clickhouse)
  const wallMs: Record<Stage, number> = { decode: 0, 'claims Lua': 0, fold: 0, 'Redis apply Lua': 0, 'ClickHouse insert': 0 }
  const redisCpuMs: Partial<Record<Stage, number>> = { 'claims Lua': 0, 'Redis apply Lua': 0 }
  try {
    await registerEventSet(redis, cfg, set)
    const stream = cfg.kinesis.streamName
    const tenants = new TenantDirectory(redis, cfg.redis.keyPrefix, cfg.consumer.defaultTimeZone, Date.now)
    await tenants.refresh()
    const counters = new RedisCounterStore(redis, cfg.redis.keyPrefix, cfg.consumer.dedupeWindowSec)
    const history = new ClickHouseHistoryWriter(clickhouse, cfg.clickhouse.database)
    const leases = new RedisLeaseManager(redis, cfg.redis.keyPrefix, stream, cfg.consumer.workerId, cfg.consumer.leaseTtlMs)
    const calendar = new LocalDayCalendar()
    const dayOf = (e: { tsMs: number; tenant: string; account: string }) => calendar.dayOf(e.tsMs, tenants.timeZoneOf(e.tenant, e.account))
    const timed = async <T>(stage: Stage, op: () => T | Promise<T>): Promise<T> => {
      const cpu0 = stage in redisCpuMs ? await redisCpuSec(redis) : 0
      const t0 = performance.now()
      const result = await op()
      wallMs[stage] += performance.now() - t0
      if (stage in redisCpuMs) redisCpuMs[stage] = (redisCpuMs[stage] ?? 0) + ((await redisCpuSec(redis)) - cpu0) * 1000
      return result
    }

    for (const { shardId } of await source.listShards()) {
      const lease = await leases.tryAcquire(shardId)
      if (lease === undefined) throw new Error(`could not take the lease of ${shardId}`)
      let checkpoint: Position | undefined
      let iterator: string | undefined = await source.iterator(shardId, { kind: 'TRIM_HORIZON' })
      while (iterator !== undefined) {
        // Untimed, as the consumer renews on its own schedule: a serial pass outlives one lease TTL.
        if (!(await leases.renew(lease))) throw new Error(`lost the lease of ${shardId}`)
        const page = await source.getRecords(iterator, cfg.consumer.batchMaxRecords)
        iterator = page.nextIterator
        const checkpoints = { redis: checkpoint, clickhouse: checkpoint }
        const ctx = {
          nowMs: Date.now(),
          maxLatenessMs: cfg.consumer.maxLatenessSec * 1000,
          maxFutureMs: cfg.consumer.maxFutureSec * 1000,
          isKnownTenant: (t: string) => tenants.isKnown(t),
        }
        const plan = await timed('decode', () => planBatch(page.records, checkpoints, ctx, deaggregateRecord))
        if (plan.deadLetters.length > 0 || plan.redisFirstPos === undefined || plan.lastPos === undefined) {
          throw new Error(`stages: ${plan.deadLetters.length} dead letters in a batch of valid events`)
        }
        const dups = await timed('claims Lua', () =>
          counters.claimIds(plan.events.map(({ event, pos }) => ({ tenant: event.tenant, tsMs: event.tsMs, id: event.id, claimer: claimerOf(shardId, pos) }))),
        )
        if (dups.size > 0) throw new Error(`stages: ${dups.size} duplicates among unique events`)
        const folded = await timed('fold', () => foldEvents(plan.events.map((x) => x.event), dayOf))
        await timed('Redis apply Lua', () =>
          counters.applyBatch({
            stream,
            shard: shardId,
            leaseValue: lease.value,
            firstPos: plan.redisFirstPos!,
            lastPos: plan.lastPos!,
            folded,
            duplicates: 0,
            deadLetters: 0,
            nowMs: Date.now(),
          }),
        )
        await timed('ClickHouse insert', () => history.insertEvents(stream, shardId, plan.events.map(({ event, pos }) => ({ event, pos })), Date.now()))
        checkpoint = plan.lastPos
      }
      await leases.release(lease)
    }
    await verifySinks(redis, cfg, expected)
    await clearRepetition(redis, cfg)
    return { events: expected, wallMs, redisCpuMs }
  } finally {
    await clickhouse.close()
    redis.disconnect()
  }
}
