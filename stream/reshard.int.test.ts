import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DescribeStreamSummaryCommand, ListShardsCommand, MergeShardsCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import { Redis } from 'ioredis'
import { sleep } from '../core/backoff.ts'
import { createClickHouse } from '../core/clickhouse.ts'
import { createLogger } from '../core/log.ts'
import { putEvents } from './producer/put-records.ts'
import { generateTestRecords } from './producer/test-events.ts'
import { RedisKeys } from './redis-keys.ts'
import { registerTenants } from './tenant-directory.ts'
import { startWorker } from './worker-runtime.ts'
import { dropTestData } from './testing/cleanup.ts'
import { ThrottlingShardSource } from './testing/faulty-source.ts'
import { createTestStream, integrationConfig, requireServers, waitFor } from './testing/integration-env.ts'
import { assertClickHouseMatchesTruth, assertDeadLettersMatch, assertRedisMatchesTruth, redisAccountedRecords } from './testing/truth-check.ts'

const TOTAL = 60_000
const CHUNKS = 30

async function waitActive(kinesis: KinesisClient, stream: string): Promise<void> {
  for (;;) {
    const d = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))
    if (d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return
    await sleep(50)
  }
}

test('a shard split and a merge while events flow (and GetRecords throttled): counts still match exactly', { timeout: 300_000 }, async () => {
  const { cfg } = integrationConfig('reshard', { ADW_LEASE_RENEW_MS: '1000' })
  await requireServers(cfg)
  const kinesis = await createTestStream(cfg, 3)
  const redis = new Redis(cfg.redis.url)
  const ch = createClickHouse(cfg.clickhouse)
  const { records, truth } = generateTestRecords({ count: TOTAL, invalidRate: 0.01, duplicateRate: 0.01, seed: 31, startMs: Date.now(), tenants: 2, campaigns: 120 })
  await registerTenants(redis, cfg.redis.keyPrefix, [...new Set([...truth.perCampaign.keys()].map((k) => k.split('/')[0]!))])
  let faulty: ThrottlingShardSource | undefined
  const worker = await startWorker(cfg, createLogger('error', 'reshard-test'), {
    wrapSource: (s) => (faulty = new ThrottlingShardSource(s, 5)),
  })
  try {
    const stream = cfg.kinesis.streamName
    const chunk = Math.ceil(TOTAL / CHUNKS)
    for (let i = 0; i < CHUNKS; i++) {
      await putEvents(kinesis, stream, records.slice(i * chunk, (i + 1) * chunk), { concurrency: 2 })
      if (i === 10) {
        const shards = (await kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? []
        const s0 = shards.find((s) => s.ShardId === 'shardId-000000000000')!
        const lo = BigInt(s0.HashKeyRange!.StartingHashKey!)
        const hi = BigInt(s0.HashKeyRange!.EndingHashKey!)
        await kinesis.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: s0.ShardId!, NewStartingHashKey: ((lo + hi) / 2n).toString() }))
        await waitActive(kinesis, stream)
      }
      if (i === 20) {
        await kinesis.send(new MergeShardsCommand({ StreamName: stream, ShardToMerge: 'shardId-000000000001', AdjacentShardToMerge: 'shardId-000000000002' }))
        await waitActive(kinesis, stream)
      }
      await sleep(150)
    }
    await waitFor('every record accounted for in Redis', async () => (await redisAccountedRecords(redis, cfg)) === TOTAL, 180_000)
    await waitFor('ClickHouse caught up', async () => {
      const rs = await ch.query({ query: 'SELECT count() AS n FROM events', format: 'JSONEachRow' })
      return Number((await rs.json<{ n: number }>())[0]?.n) >= truth.validUniqueCount
    }, 60_000)
    const shards = (await kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? []
    assert.equal(shards.length, 6, 'three original shards, two split children, one merge child')
    // Parents were read to their end before their children took over.
    const keys = new RedisKeys(cfg.redis.keyPrefix)
    for (const parent of ['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']) {
      assert.equal(await redis.get(keys.shardDone(stream, parent)), '1', `${parent} marked done`)
    }
    assert.ok((faulty?.throttled ?? 0) > 0, 'GetRecords was throttled at least once')
    assert.equal(await redisAccountedRecords(redis, cfg), TOTAL)
    await assertRedisMatchesTruth(redis, cfg, truth)
    await assertClickHouseMatchesTruth(ch, cfg, truth)
    await assertDeadLettersMatch(ch, cfg, records, truth)
  } finally {
    await worker.close()
    await dropTestData(cfg, { redis, ch, kinesis })
  }
})
