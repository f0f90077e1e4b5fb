import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { Writable } from 'node:stream'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import { sleep } from '../core/backoff.ts'
import { createClickHouse } from '../core/clickhouse.ts'
import { putEvents } from './producer/put-records.ts'
import { generateTestRecords } from './producer/test-events.ts'
import { RedisKeys } from './redis-keys.ts'
import { registerTenants } from './tenant-directory.ts'
import { startWorker } from './worker-runtime.ts'
import { dropTestData } from './testing/cleanup.ts'
import { createTestStream, integrationConfig, requireServers, waitFor } from './testing/integration-env.ts'
import { assertClickHouseMatchesTruth, assertDeadLettersMatch, assertRedisMatchesTruth, clickHouseCounts, redisAccountedRecords } from './testing/truth-check.ts'

const TOTAL = 40_000
const OUTAGE_MS = 20_000
/** Worker batches, and the most records waiting for (and taken by) one ClickHouse insert, in this test. */
const BATCH_MAX = 2_000
const PENDING_MAX = 3_000

const services = (...args: string[]) => execFileSync('bash', ['scripts/services', ...args], { stdio: ['ignore', 'ignore', 'inherit'] })

test('ClickHouse stopped for 20 s mid-stream: Redis goes on for a bounded lead, the consumer backs off and holds its checkpoints, and both sinks match after', { timeout: 300_000 }, async () => {
  const { cfg } = integrationConfig('chdown', { ADW_CLICKHOUSE_TIMEOUT_MS: '3000', ADW_SINK_BATCH_MAX_RECORDS: String(BATCH_MAX), ADW_CLICKHOUSE_MAX_PENDING_RECORDS: String(PENDING_MAX) })
  await requireServers(cfg)
  const kinesis = await createTestStream(cfg, 2)
  const redis = new Redis(cfg.redis.url)
  const { records, truth } = generateTestRecords({ count: TOTAL, invalidRate: 0.01, duplicateRate: 0.01, seed: 77, startMs: Date.now(), tenants: 2, campaigns: 80 })
  await registerTenants(redis, cfg.redis.keyPrefix, [...new Set([...truth.perCampaign.keys()].map((k) => k.split('/')[0]!))])
  const warnings: string[] = []
  const sink = new Writable({ write(chunk, _enc, cb) { warnings.push(String(chunk)); cb() } })
  const worker = await startWorker(cfg, pino({ level: 'warn' }, sink))
  let ch = createClickHouse(cfg.clickhouse)
  let clickhouseDown = false
  try {
    const half = TOTAL / 2
    await putEvents(kinesis, cfg.kinesis.streamName, records.slice(0, half), { concurrency: 2 })
    await waitFor('the first half consumed', async () => (await redisAccountedRecords(redis, cfg)) === half, 60_000)
    // ClickHouse trails Redis by design: stop it only once it holds the first half too.
    const statsKey = new RedisKeys(cfg.redis.keyPrefix).ingestStats(cfg.kinesis.streamName)
    await waitFor('ClickHouse to hold the first half', async () => (await clickHouseCounts(ch, cfg)).events === Number(await redis.hget(statsKey, 'events')), 60_000)
    services('stop', 'clickhouse')
    clickhouseDown = true
    const downAt = Date.now()
    await putEvents(kinesis, cfg.kinesis.streamName, records.slice(half), { concurrency: 2 })
    await sleep(OUTAGE_MS / 2)
    // The live counters go on without ClickHouse, but only so far: the insert in flight and the
    // batches queued for the next one (each at most PENDING_MAX), and one more batch waiting for room.
    const lead = 2 * PENDING_MAX + BATCH_MAX
    const ckptKeys = new RedisKeys(cfg.redis.keyPrefix)
    const midway = await redisAccountedRecords(redis, cfg)
    assert.ok(midway > half, 'the live counters go on while ClickHouse is down')
    assert.ok(midway - half <= lead, `Redis must not run ahead of ClickHouse by more than ${lead} records (accounted ${midway - half} of the second half)`)
    const redisCkpts = await redis.mget(['shardId-000000000000', 'shardId-000000000001'].map((s) => ckptKeys.checkpoint(cfg.kinesis.streamName, s)))
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downAt)))
    assert.deepEqual(
      await redis.mget(['shardId-000000000000', 'shardId-000000000001'].map((s) => ckptKeys.checkpoint(cfg.kinesis.streamName, s))),
      redisCkpts,
      'checkpoints hold still while ClickHouse is down',
    )
    services('start', 'clickhouse')
    clickhouseDown = false
    assert.ok(warnings.some((w) => w.includes('ClickHouse write failed')), 'the consumer logged its backoff')
    await ch.close()
    ch = createClickHouse(cfg.clickhouse)
    await waitFor('every record accounted for in Redis', async () => (await redisAccountedRecords(redis, cfg)) === TOTAL, 120_000)
    await waitFor('ClickHouse caught up', async () => {
      const rs = await ch.query({ query: 'SELECT count() AS n FROM events', format: 'JSONEachRow' })
      return Number((await rs.json<{ n: number }>())[0]?.n) >= truth.validUniqueCount
    }, 120_000)
    await assertRedisMatchesTruth(redis, cfg, truth)
    await assertClickHouseMatchesTruth(ch, cfg, truth)
    await assertDeadLettersMatch(ch, cfg, records, truth)
  } finally {
    if (clickhouseDown) services('start', 'clickhouse')
    await worker.close()
    await dropTestData(cfg, { redis, ch, kinesis })
  }
})
