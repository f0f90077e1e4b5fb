import { Redis } from 'ioredis'
import { createClickHouse } from '../core/clickhouse.ts'
import type { AdwatchConfig } from '../core/config.ts'
import type { Logger } from '../core/log.ts'
import { decodeRecords, planWorkerBatch, type DecodedRecord, type KinesisRecordIn } from '../stream/batch-plan.ts'
import { BatchSink, type PreparedBatch } from '../stream/batch-sink.ts'
import { ClickHouseHistoryWriter } from '../stream/clickhouse-history-writer.ts'
import { deaggregateRecord } from '../stream/kpl.ts'
import { RedisLeaseManager } from '../stream/lease-manager.ts'
import { LocalDayCalendar } from '../stream/local-day.ts'
import { RedisCounterStore } from '../stream/redis-counter-store.ts'
import { ShardReader, type ShardReaderDeps } from '../stream/shard-reader.ts'
import { TenantDirectory } from '../stream/tenant-directory.ts'
import { WorkerBatcher } from '../stream/worker-batcher.ts'
import { clearRepetition, migrateDatabase, registerEventSet, type EventSet } from './bench-env.ts'
import { redisCpuSec, verifySinks } from './fold-run.ts'
import type { MemoryShardSource } from './memory-shard-source.ts'

/** The stages of a worker batch; the consumer overlaps them (readers decode, the next batch is prepared while one is written, both sinks are written at once). */
export const STAGES = ['decode', 'claims Lua', 'fold', 'ClickHouse encode', 'Redis apply Lua', 'ClickHouse insert'] as const
export type Stage = (typeof STAGES)[number]

/** Wall time of each stage over all batches, and Redis server CPU spent in the Redis stages. */
export interface StageTimes {
  readonly events: number
  readonly batches: number
  readonly wallMs: Record<Stage, number>
  readonly redisCpuMs: Partial<Record<Stage, number>>
}

/**
 * Runs the stages of the worker's batches one after the other with nothing overlapping, and
 * times each with performance.now(): what each stage would cost if it were alone. The pages
 * are decoded shard by shard, then gathered into worker batches as the batcher would (pages in
 * turn across shards, at most `sinkBatchMaxRecords` records), and each batch goes through the
 * sink's own steps (BatchSink: claims, fold, encode, Redis apply, ClickHouse insert). The sinks
 * are checked afterwards like a fold repetition.
 */
export async function measureStages(cfg: AdwatchConfig, source: MemoryShardSource, set: EventSet, expected: number, log: Logger): Promise<StageTimes> {
  await migrateDatabase(cfg)
  const redis = new Redis(cfg.redis.url, { maxRetriesPerRequest: 5 })
  const clickhouse = createClickHouse(cfg.clickhouse)
  const wallMs: Record<Stage, number> = { decode: 0, 'claims Lua': 0, fold: 0, 'ClickHouse encode': 0, 'Redis apply Lua': 0, 'ClickHouse insert': 0 }
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
    const sink = new BatchSink({
      stream,
      counters,
      history,
      leases,
      dayOf: (e) => calendar.dayOf(e.tsMs, tenants.timeZoneOf(e.tenant, e.account)),
      now: Date.now,
      log,
      minLeaseForInsertMs: Math.min(2_000, cfg.consumer.leaseTtlMs / 4),
      historyMaxRecords: cfg.consumer.clickhouseMaxPendingRecords,
      historyInsertIntervalMs: 0,
      onBatch: () => undefined,
    })
    const timed = async <T>(stage: Stage, op: () => T | Promise<T>): Promise<T> => {
      const cpu0 = stage in redisCpuMs ? await redisCpuSec(redis) : 0
      const t0 = performance.now()
      const result = await op()
      wallMs[stage] += performance.now() - t0
      if (stage in redisCpuMs) redisCpuMs[stage] = (redisCpuMs[stage] ?? 0) + ((await redisCpuSec(redis)) - cpu0) * 1000
      return result
    }

    // Every page of every shard, fetched untimed; readers stand for the leased shards (not run).
    const readerDeps: ShardReaderDeps = {
      stream,
      source,
      counters,
      history,
      leases,
      batcher: new WorkerBatcher<ShardReader>({ maxRecords: 1, maxWaitMs: 1, readAheadRecords: 1, now: Date.now }),
      deaggregate: deaggregateRecord,
      decodeContext: (nowMs) => ({ nowMs, maxLatenessMs: cfg.consumer.maxLatenessSec * 1000, maxFutureMs: cfg.consumer.maxFutureSec * 1000, isKnownTenant: (t) => tenants.isKnown(t) }),
      refreshTenants: () => tenants.refresh(1_000),
      now: Date.now,
      log,
      pageMaxRecords: cfg.consumer.batchMaxRecords,
      pollIdleMs: cfg.consumer.pollIdleMs,
      startPosition: cfg.consumer.startPosition,
      onLag: () => undefined,
    }
    const shards: Array<{ reader: ShardReader; pages: KinesisRecordIn[][]; decoded: DecodedRecord[][] }> = []
    for (const { shardId } of await source.listShards()) {
      const lease = await leases.tryAcquire(shardId)
      if (lease === undefined) throw new Error(`could not take the lease of ${shardId}`)
      const pages: KinesisRecordIn[][] = []
      for (let it: string | undefined = await source.iterator(shardId, { kind: 'TRIM_HORIZON' }); it !== undefined; ) {
        const page = await source.getRecords(it, cfg.consumer.batchMaxRecords)
        if (page.records.length > 0) pages.push(page.records)
        it = page.nextIterator
      }
      shards.push({ reader: new ShardReader(readerDeps, lease), pages, decoded: [] })
    }
    for (const s of shards) {
      for (const page of s.pages) s.decoded.push(await timed('decode', () => decodeRecords(page, readerDeps.decodeContext(Date.now()), deaggregateRecord)))
    }

    let batches = 0
    for (const taken of gatherBatches(shards, cfg.consumer.sinkBatchMaxRecords)) {
      // Untimed, as the consumer renews on its own schedule: a serial pass outlives one lease TTL.
      for (const s of shards) if (!(await leases.renew(s.reader.lease))) throw new Error(`lost the lease of ${s.reader.shardId}`)
      const readers = [...taken.keys()]
      const plan = planWorkerBatch(readers.map((r) => ({ shardId: r.shardId, checkpoints: r.checkpoints, records: taken.get(r)! })))
      const duplicate = await timed('claims Lua', () => sink.claim(plan, readers))
      if (duplicate.some((f) => f === 1) || plan.deadLetters.length > 0) throw new Error('stages: duplicates or dead letters among valid unique events')
      const batch: PreparedBatch = {
        readers,
        plan,
        duplicate,
        redisShards: readers.map(() => true),
        redis: undefined,
          clickhouseShards: readers.map(() => true),
        clickhouse: { letters: [], events: { rows: 0, body: Buffer.alloc(0) }, lastEventPos: new Map() },
        lettersWritten: false,
        clickhouseHeld: new Map(),
      }
      batch.redis = await timed('fold', () => sink.deriveRedis(batch))
      batch.clickhouse = await timed('ClickHouse encode', () => sink.deriveClickHouse(batch))
      await timed('Redis apply Lua', () => sink.writeRedis(batch))
      await timed('ClickHouse insert', () => sink.writeClickHouse([batch]))
      batches++
    }
    for (const s of shards) await leases.release(s.reader.lease)
    await verifySinks(redis, cfg, expected)
    await clearRepetition(redis, cfg)
    return { events: expected, batches, wallMs, redisCpuMs }
  } finally {
    await clickhouse.close()
    redis.disconnect()
  }
}

/** Worker batches as the batcher forms them from a backlog: pages in turn across shards, split at `maxRecords`. */
function* gatherBatches(shards: ReadonlyArray<{ reader: ShardReader; decoded: DecodedRecord[][] }>, maxRecords: number): Generator<Map<ShardReader, DecodedRecord[]>> {
  const queue: Array<{ reader: ShardReader; records: DecodedRecord[] }> = []
  const longest = Math.max(...shards.map((s) => s.decoded.length))
  for (let i = 0; i < longest; i++) for (const s of shards) if (i < s.decoded.length) queue.push({ reader: s.reader, records: s.decoded[i]! })
  let batch = new Map<ShardReader, DecodedRecord[]>()
  let size = 0
  for (const page of queue) {
    let from = 0
    while (from < page.records.length) {
      const n = Math.min(page.records.length - from, maxRecords - size)
      const out = batch.get(page.reader) ?? []
      batch.set(page.reader, out)
      out.push(...page.records.slice(from, from + n))
      from += n
      size += n
      if (size === maxRecords) {
        yield batch
        batch = new Map()
        size = 0
      }
    }
  }
  if (size > 0) yield batch
}
