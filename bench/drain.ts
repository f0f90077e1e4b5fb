import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  PutRecordsCommand,
  type KinesisClient,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis'
import { Redis } from 'ioredis'
import { sleep } from '../core/backoff.ts'
import type { AdwatchConfig } from '../core/config.ts'
import type { Logger } from '../core/log.ts'
import { RedisKeys } from '../stream/redis-keys.ts'
import { startWorker } from '../stream/worker-runtime.ts'
import { clearRepetition, countEventRows, migrateDatabase, registerEventSet, type EventSet } from './bench-env.ts'
import { verifySinks } from './fold-run.ts'

/**
 * The drain through the local Kinesis server: the server's raw GetRecords rate, and the
 * rate at which a real consumer worker (startWorker) empties the same stream into both sinks.
 */

const PUT_BATCH = 500
const PUT_IN_FLIGHT = 8

/** A filled stream: how many records each shard holds. */
export interface FilledStream {
  readonly streamName: string
  readonly recordsByShard: ReadonlyMap<string, number>
  readonly total: number
}

/** Creates a stream of `shards` shards and puts every record (PutRecords of 500, several in flight). */
export async function fillStream(kinesis: KinesisClient, streamName: string, shards: number, set: EventSet): Promise<FilledStream> {
  await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shards }))
  for (let i = 0; ; i++) {
    const d = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }))
    if (d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') break
    if (i > 200) throw new Error(`stream ${streamName} did not become ACTIVE`)
    await sleep(50)
  }
  const recordsByShard = new Map<string, number>()
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < set.records.length) {
      const from = next
      next += PUT_BATCH
      let entries: PutRecordsRequestEntry[] = set.records.slice(from, from + PUT_BATCH).map((r) => ({ Data: r.data, PartitionKey: r.partitionKey }))
      for (let attempt = 0; entries.length > 0; attempt++) {
        if (attempt > 20) throw new Error(`PutRecords kept failing for ${entries.length} records`)
        const res = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: entries }))
        const failed: PutRecordsRequestEntry[] = []
        ;(res.Records ?? []).forEach((r, i) => {
          if (r.ShardId !== undefined && r.ErrorCode === undefined) recordsByShard.set(r.ShardId, (recordsByShard.get(r.ShardId) ?? 0) + 1)
          else failed.push(entries[i]!)
        })
        entries = failed
        if (failed.length > 0) await sleep(50 * (attempt + 1))
      }
    }
  }
  await Promise.all(Array.from({ length: PUT_IN_FLIGHT }, lane))
  const total = [...recordsByShard.values()].reduce((a, b) => a + b, 0)
  if (total !== set.records.length) throw new Error(`put ${total} records, not ${set.records.length}`)
  return { streamName, recordsByShard, total }
}

/** Deletes the benchmark's stream (kinesalite keeps every record in memory). */
export async function deleteStream(kinesis: KinesisClient, streamName: string): Promise<void> {
  await kinesis.send(new DeleteStreamCommand({ StreamName: streamName }))
}

/**
 * Reads every shard from TRIM_HORIZON to its last record, all shards at once, with GetRecords
 * pages of `limit` records and no processing. Returns records per second.
 */
export async function measureRawGetRecords(kinesis: KinesisClient, stream: FilledStream, limit: number): Promise<number> {
  const readShard = async (shardId: string, expected: number): Promise<void> => {
    const it = await kinesis.send(new GetShardIteratorCommand({ StreamName: stream.streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))
    let iterator = it.ShardIterator
    let read = 0
    let emptyPages = 0
    while (read < expected) {
      if (iterator === undefined) throw new Error(`shard ${shardId} ended after ${read} of ${expected} records`)
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }))
      const n = page.Records?.length ?? 0
      read += n
      emptyPages = n === 0 ? emptyPages + 1 : 0
      if (emptyPages > 20) throw new Error(`shard ${shardId} returned nothing after ${read} of ${expected} records`)
      iterator = page.NextShardIterator
    }
    if (read !== expected) throw new Error(`shard ${shardId}: read ${read} records, expected ${expected}`)
  }
  const t0 = performance.now()
  await Promise.all([...stream.recordsByShard].map(([shardId, n]) => readShard(shardId, n)))
  return stream.total / ((performance.now() - t0) / 1000)
}

/**
 * Starts a consumer worker (startWorker) on the filled stream with a fresh key prefix and
 * database (migrated and tenants registered beforehand, untimed) and times it from start
 * until Redis' ingestStats counts every event. Returns events per second; throws unless both
 * sinks then hold exactly the stream's events.
 */
export async function measureDrain(cfg: AdwatchConfig, stream: FilledStream, set: EventSet, log: Logger): Promise<number> {
  await migrateDatabase(cfg)
  const redis = new Redis(cfg.redis.url, { maxRetriesPerRequest: 5 })
  try {
    await registerEventSet(redis, cfg, set)
    const statsKey = new RedisKeys(cfg.redis.keyPrefix).ingestStats(stream.streamName)
    const deadlineMs = Date.now() + Math.max(120_000, stream.total) // at least 1,000 events/s
    const t0 = performance.now()
    const worker = await startWorker(cfg, log)
    let seconds: number
    try {
      for (;;) {
        const events = Number((await redis.hget(statsKey, 'events')) ?? 0)
        if (events >= stream.total) break
        if (Date.now() > deadlineMs) throw new Error(`drain: only ${events} of ${stream.total} events counted in Redis before the deadline`)
        await sleep(5)
      }
      seconds = (performance.now() - t0) / 1000
      // Redis is written before ClickHouse: give the last batches' inserts time to land.
      for (let i = 0; (await countEventRows(cfg)) < stream.total && i < 600; i++) await sleep(50)
    } finally {
      await worker.close()
    }
    await verifySinks(redis, cfg, stream.total)
    await clearRepetition(redis, cfg)
    return stream.total / seconds
  } finally {
    redis.disconnect()
  }
}
