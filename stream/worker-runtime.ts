import { DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import type { ClickHouseClient } from '@clickhouse/client'
import { Redis } from 'ioredis'
import { sleep } from '../core/backoff.ts'
import { createClickHouse } from '../core/clickhouse.ts'
import type { AdwatchConfig } from '../core/config.ts'
import { AdwatchError } from '../core/errors.ts'
import { createKinesisClient } from '../core/kinesis-client.ts'
import type { Logger } from '../core/log.ts'
import { migrate } from '../core/migrate.ts'
import { ClickHouseHistoryWriter } from './clickhouse-history-writer.ts'
import { Consumer } from './consumer.ts'
import { KinesisShardSource, type ShardSource } from './kinesis-shard-source.ts'
import { deaggregateRecord } from './kpl.ts'
import { RedisLeaseManager } from './lease-manager.ts'
import { RedisCounterStore } from './redis-counter-store.ts'
import { RedisKeys } from './redis-keys.ts'
import { TenantDirectory } from './tenant-directory.ts'

/** A consumer worker with the clients it owns, so it can be closed as a whole. */
export interface WorkerRuntime {
  readonly consumer: Consumer
  readonly redis: Redis
  readonly clickhouse: ClickHouseClient
  readonly kinesis: KinesisClient
  /** Stops the consumer gracefully and closes every client. */
  close(): Promise<void>
}

/**
 * Wires a consumer worker from config: applies ClickHouse migrations, waits for the stream,
 * and starts consuming. `wrapSource` lets tests inject Kinesis faults.
 */
export async function startWorker(
  cfg: AdwatchConfig,
  log: Logger,
  opts: { wrapSource?: (s: ShardSource) => ShardSource; now?: () => number } = {},
): Promise<WorkerRuntime> {
  const now = opts.now ?? Date.now
  const redis = new Redis(cfg.redis.url, { lazyConnect: false, maxRetriesPerRequest: 5 })
  const admin = createClickHouse(cfg.clickhouse, 'default')
  try {
    await migrate(admin, cfg.clickhouse.database)
  } finally {
    await admin.close()
  }
  const clickhouse = createClickHouse(cfg.clickhouse)
  const kinesis = createKinesisClient(cfg.kinesis)
  await waitForStream(kinesis, cfg.kinesis.streamName, log)
  const base = new KinesisShardSource(kinesis, cfg.kinesis.streamName)
  const consumer = new Consumer(
    {
      stream: cfg.kinesis.streamName,
      source: opts.wrapSource ? opts.wrapSource(base) : base,
      counters: new RedisCounterStore(redis, cfg.redis.keyPrefix, cfg.consumer.dedupeWindowSec),
      history: new ClickHouseHistoryWriter(clickhouse, cfg.clickhouse.database),
      leases: new RedisLeaseManager(redis, cfg.redis.keyPrefix, cfg.kinesis.streamName, cfg.consumer.workerId, cfg.consumer.leaseTtlMs),
      tenants: new TenantDirectory(redis, cfg.redis.keyPrefix, cfg.consumer.defaultTimeZone, now),
      deaggregate: deaggregateRecord,
      now,
      log,
    },
    cfg.consumer,
  )
  await consumer.start()
  const lagKey = new RedisKeys(cfg.redis.keyPrefix).consumerLag(cfg.kinesis.streamName)
  const lagTimer = setInterval(() => void reportLag(redis, lagKey, consumer.stats.lagMsByShard, now()).catch(() => undefined), LAG_REPORT_MS)
  lagTimer.unref()
  return {
    consumer,
    redis,
    clickhouse,
    kinesis,
    async close() {
      clearInterval(lagTimer)
      await consumer.stop()
      await Promise.allSettled([redis.quit(), clickhouse.close()])
      kinesis.destroy()
    },
  }
}

const LAG_REPORT_MS = 2_000

/**
 * Publishes the held shards' lag (millisBehindLatest of their last batch) to Redis, where the
 * gateway's /metrics reads it: a worker serves no HTTP, and several workers share the shards.
 */
async function reportLag(redis: Redis, key: string, lagMsByShard: ReadonlyMap<string, number>, nowMs: number): Promise<void> {
  if (lagMsByShard.size === 0) return
  const fields: string[] = []
  for (const [shard, lagMs] of lagMsByShard) fields.push(shard, `${lagMs}:${nowMs}`)
  await redis.multi().hset(key, ...fields).expire(key, 86_400).exec()
}

/** Waits until the stream exists and is readable; logs while it waits. */
async function waitForStream(kinesis: KinesisClient, streamName: string, log: Logger): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }))
      const status = res.StreamDescriptionSummary?.StreamStatus
      if (status === 'ACTIVE' || status === 'UPDATING') return
    } catch (err) {
      const name = (err as { name?: string }).name
      if (name !== 'ResourceNotFoundException' && !(err as { code?: string }).code?.startsWith('ECONN')) {
        throw new AdwatchError('ADW_STREAM_KINESIS', `cannot describe stream ${streamName}: ${(err as Error).message}`, { cause: err })
      }
      if (attempt % 10 === 0) log.info({ stream: streamName }, 'waiting for the Kinesis stream to exist (create it, or run the producer)')
    }
    await sleep(500)
  }
}
