import { Redis } from 'ioredis'
import { createClickHouse } from '../core/clickhouse.ts'
import type { AdwatchConfig } from '../core/config.ts'
import type { Logger } from '../core/log.ts'
import { ClickHouseHistoryWriter } from '../stream/clickhouse-history-writer.ts'
import { deaggregateRecord } from '../stream/kpl.ts'
import { RedisLeaseManager, type Lease } from '../stream/lease-manager.ts'
import { LocalDayCalendar } from '../stream/local-day.ts'
import { RedisCounterStore } from '../stream/redis-counter-store.ts'
import { RedisKeys } from '../stream/redis-keys.ts'
import { ShardProcessor, type ProcessorOutcome, type ShardProcessorDeps } from '../stream/shard-processor.ts'
import { TenantDirectory } from '../stream/tenant-directory.ts'
import { clearRepetition, countEventRows, migrateDatabase, registerEventSet, type EventSet } from './bench-env.ts'
import type { MemoryShardSource } from './memory-shard-source.ts'
import { machineBusyCpuSec, processCpuSec } from './stats.ts'

/** One timed repetition of the fold: wall time and where the CPU went meanwhile. */
export interface FoldRepetition {
  readonly events: number
  readonly wallMs: number
  /** CPU seconds of this Node process, of Redis, and of the whole machine during the run. */
  readonly cpuSec: { readonly node: number; readonly redis: number; readonly machine: number }
  /** Commands Redis executed during the run (script calls and the commands inside them), by name. */
  readonly redisCalls: ReadonlyMap<string, number>
}

/**
 * Folds every record of `source` into real Redis and ClickHouse with one ShardProcessor per
 * shard, run concurrently in this process and wired as Consumer.launch wires them (leases
 * from RedisLeaseManager.tryAcquire, renewed on the consumer's schedule). Setup (migrations,
 * tenants) is outside the timing. Throws unless both sinks then hold exactly `expected` events.
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
    const tenants = new TenantDirectory(redis, cfg.redis.keyPrefix, cfg.consumer.defaultTimeZone, Date.now)
    await tenants.refresh()
    const counters = new RedisCounterStore(redis, cfg.redis.keyPrefix, cfg.consumer.dedupeWindowSec)
    const history = new ClickHouseHistoryWriter(clickhouse, cfg.clickhouse.database)
    const leases = new RedisLeaseManager(redis, cfg.redis.keyPrefix, stream, cfg.consumer.workerId, cfg.consumer.leaseTtlMs)
    const calendar = new LocalDayCalendar()
    const deps: ShardProcessorDeps = {
      stream,
      source,
      counters,
      history,
      leases,
      deaggregate: deaggregateRecord,
      dayOf: (e) => calendar.dayOf(e.tsMs, tenants.timeZoneOf(e.tenant, e.account)),
      decodeContext: (nowMs) => ({
        nowMs,
        maxLatenessMs: cfg.consumer.maxLatenessSec * 1000,
        maxFutureMs: cfg.consumer.maxFutureSec * 1000,
        isKnownTenant: (t) => tenants.isKnown(t),
      }),
      refreshTenants: () => tenants.refresh(1_000),
      now: Date.now,
      log,
      batchMaxRecords: cfg.consumer.batchMaxRecords,
      pollIdleMs: cfg.consumer.pollIdleMs,
      startPosition: cfg.consumer.startPosition,
      minLeaseForInsertMs: Math.min(2_000, cfg.consumer.leaseTtlMs / 4),
      onBatch: () => undefined,
    }
    const held: Lease[] = []
    for (const shard of await source.listShards()) {
      const lease = await leases.tryAcquire(shard.shardId)
      if (lease === undefined) throw new Error(`could not take the lease of ${shard.shardId} on a fresh key prefix`)
      held.push(lease)
    }
    const processors = held.map((lease) => new ShardProcessor(deps, lease))

    const calls0 = await redisCommandCalls(redis)
    const redisCpu0 = await redisCpuSec(redis)
    const node0 = processCpuSec()
    const machine0 = machineBusyCpuSec()
    const t0 = performance.now()
    const renewer = renewLeases(leases, processors, cfg.consumer.leaseRenewMs)
    let outcomes: ProcessorOutcome[]
    try {
      outcomes = await Promise.all(processors.map((p) => p.run()))
    } finally {
      renewer.stop()
    }
    const wallMs = performance.now() - t0
    const cpuSec = { node: processCpuSec() - node0, machine: machineBusyCpuSec() - machine0, redis: (await redisCpuSec(redis)) - redisCpu0 }
    const calls1 = await redisCommandCalls(redis)
    const redisCalls = new Map<string, number>()
    for (const [name, n] of calls1) if (name !== 'info' && n > (calls0.get(name) ?? 0)) redisCalls.set(name, n - (calls0.get(name) ?? 0))

    await Promise.all(held.map((l) => leases.release(l)))
    const notFinished = outcomes.filter((o) => o !== 'finished')
    if (notFinished.length > 0) throw new Error(`fold: ${notFinished.length} shard processor(s) ended ${notFinished.join(', ')}, not finished`)
    await verifySinks(redis, cfg, expected)
    await clearRepetition(redis, cfg)
    return { events: expected, wallMs, cpuSec, redisCalls }
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

/** Renews every lease on the consumer's schedule, as Consumer.round does; a lost lease stops its processor. */
function renewLeases(leases: RedisLeaseManager, processors: readonly ShardProcessor[], everyMs: number): { stop(): void } {
  const timer = setInterval(() => {
    for (const p of processors) {
      leases.renew(p.lease).then(
        (ok) => {
          if (!ok) p.loseLease()
        },
        () => undefined,
      )
    }
  }, everyMs)
  return { stop: () => clearInterval(timer) }
}

/** CPU seconds (user + system) the Redis server has used since it started. */
export async function redisCpuSec(redis: Redis): Promise<number> {
  const info = await redis.info('cpu')
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN)
  return field('used_cpu_user') + field('used_cpu_sys')
}

/** Calls per command since Redis started (INFO commandstats; commands inside scripts included). */
export async function redisCommandCalls(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats')
  return new Map([...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]))
}
