import type { ClickHouseClient } from '@clickhouse/client'
import { Redis } from 'ioredis'
import { createClickHouse } from '../core/clickhouse.ts'
import type { AdwatchConfig } from '../core/config.ts'
import type { Logger } from '../core/log.ts'
import { ClickHouseHistoryWriter } from '../stream/clickhouse-history-writer.ts'
import { Consumer } from '../stream/consumer.ts'
import { deaggregateRecord } from '../stream/kpl.ts'
import { RedisLeaseManager } from '../stream/lease-manager.ts'
import { RedisCounterStore } from '../stream/redis-counter-store.ts'
import { RedisKeys } from '../stream/redis-keys.ts'
import type { ShardOutcome } from '../stream/shard-reader.ts'
import { TenantDirectory } from '../stream/tenant-directory.ts'
import { clearRepetition, countEventRows, migrateDatabase, registerEventSet, type EventSet } from './bench-env.ts'
import type { MemoryShardSource } from './memory-shard-source.ts'
import { machineBusyCpuSec, processCpuSec } from './stats.ts'

/** One timed repetition of the fold: wall time and where the CPU went meanwhile. */
export interface FoldRepetition {
  readonly events: number
  readonly wallMs: number
  /** CPU seconds of this Node process, of Redis, of ClickHouse's query threads, and of the whole machine during the run. */
  readonly cpuSec: { readonly node: number; readonly redis: number; readonly clickhouse: number; readonly machine: number }
  /** Commands Redis executed during the run (script calls and the commands inside them), by name. */
  readonly redisCalls: ReadonlyMap<string, number>
  /** Worker batches written, and their mean size in records. */
  readonly batches: number
}

/**
 * Folds every record of `source` into real Redis and ClickHouse with one Consumer — the
 * worker's own code: leases, shard readers, the batcher and the sink loop — reading the
 * in-memory shards instead of Kinesis. Setup (migrations, tenants) is outside the timing;
 * the clock runs from Consumer.start until every shard is read to its end and written to
 * both sinks. Throws unless both sinks then hold exactly `expected` events.
 */
export async function runFoldRepetition(
  cfg: AdwatchConfig,
  source: MemoryShardSource,
  set: EventSet,
  expected: number,
  log: Logger,
): Promise<FoldRepetition> {
  await migrateDatabase(cfg)
  const redis = new Redis(cfg.redis.url, { maxRetriesPerRequest: 5 })
  const clickhouse = createClickHouse(cfg.clickhouse)
  try {
    await registerEventSet(redis, cfg, set)
    const stream = cfg.kinesis.streamName
    const shardIds = (await source.listShards()).map((s) => s.shardId)
    const outcomes = new Map<string, ShardOutcome>()
    let allEnded!: () => void
    const ended = new Promise<void>((resolve) => (allEnded = resolve))
    const consumer = new Consumer(
      {
        stream,
        source,
        counters: new RedisCounterStore(redis, cfg.redis.keyPrefix, cfg.consumer.dedupeWindowSec),
        history: new ClickHouseHistoryWriter(clickhouse, cfg.clickhouse.database),
        leases: new RedisLeaseManager(redis, cfg.redis.keyPrefix, stream, cfg.consumer.workerId, cfg.consumer.leaseTtlMs),
        tenants: new TenantDirectory(redis, cfg.redis.keyPrefix, cfg.consumer.defaultTimeZone, Date.now),
        deaggregate: deaggregateRecord,
        now: Date.now,
        log,
        onShardEnded: (shardId, outcome) => {
          outcomes.set(shardId, outcome)
          if (outcomes.size === shardIds.length) allEnded()
        },
      },
      cfg.consumer,
    )

    const calls0 = await redisCommandCalls(redis)
    const redisCpu0 = await redisCpuSec(redis)
    const chCpu0 = await clickhouseCpuSec(clickhouse)
    const node0 = processCpuSec()
    const machine0 = machineBusyCpuSec()
    const t0 = performance.now()
    let wallMs = 0
    try {
      await consumer.start()
      await ended
      wallMs = performance.now() - t0
    } finally {
      await consumer.stop()
    }
    const cpuSec = { node: processCpuSec() - node0, machine: machineBusyCpuSec() - machine0, redis: (await redisCpuSec(redis)) - redisCpu0, clickhouse: (await clickhouseCpuSec(clickhouse)) - chCpu0 }
    const calls1 = await redisCommandCalls(redis)
    const redisCalls = new Map<string, number>()
    for (const [name, n] of calls1) if (name !== 'info' && n > (calls0.get(name) ?? 0)) redisCalls.set(name, n - (calls0.get(name) ?? 0))

    const notFinished = [...outcomes].filter(([, o]) => o !== 'finished')
    if (notFinished.length > 0) throw new Error(`fold: shard(s) ${notFinished.map(([s, o]) => `${s} ${o}`).join(', ')}, not finished`)
    await verifySinks(redis, cfg, expected)
    const batches = Number(await redis.hget(new RedisKeys(cfg.redis.keyPrefix).ingestStats(stream), 'batches'))
    await clearRepetition(redis, cfg)
    return { events: expected, wallMs, cpuSec, redisCalls, batches }
  } finally {
    await clickhouse.close()
    redis.disconnect()
  }
}

/** Throws unless Redis counted `expected` events (no duplicates, no dead letters) and ClickHouse holds as many rows. */
export async function verifySinks(redis: Redis, cfg: AdwatchConfig, expected: number): Promise<void> {
  const stats = await redis.hgetall(new RedisKeys(cfg.redis.keyPrefix).ingestStats(cfg.kinesis.streamName))
  const events = Number(stats.events ?? 0)
  const duplicates = Number(stats.duplicates ?? 0)
  const deadLetters = Number(stats.dead_letters ?? 0)
  const rows = await countEventRows(cfg)
  if (events !== expected || duplicates !== 0 || deadLetters !== 0 || rows !== expected) {
    throw new Error(
      `sinks disagree with the input: expected ${expected} events; Redis ingestStats events=${events} duplicates=${duplicates} dead_letters=${deadLetters}; ClickHouse events rows=${rows}`,
    )
  }
}

/** CPU seconds (user + system) the Redis server has used since it started. */
export async function redisCpuSec(redis: Redis): Promise<number> {
  const info = await redis.info('cpu')
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN)
  return field('used_cpu_user') + field('used_cpu_sys')
}

/**
 * CPU seconds ClickHouse's query threads have used since it started (system.events; inserts
 * and their materialized views run there, background merges do not).
 */
export async function clickhouseCpuSec(ch: ClickHouseClient): Promise<number> {
  const rs = await ch.query({ query: "SELECT sum(value) AS us FROM system.events WHERE event IN ('UserTimeMicroseconds', 'SystemTimeMicroseconds')", format: 'JSONEachRow' })
  const rows = await rs.json<{ us: number | string }>()
  return Number(rows[0]?.us ?? 0) / 1e6
}

/** Calls per command since Redis started (INFO commandstats; commands inside scripts included). */
export async function redisCommandCalls(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats')
  return new Map([...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]))
}
