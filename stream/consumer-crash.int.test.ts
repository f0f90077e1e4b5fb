import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { createClickHouse } from '../core/clickhouse.ts'
import { putEvents } from './producer/put-records.ts'
import { generateTestRecords } from './producer/test-events.ts'
import { registerTenants } from './tenant-directory.ts'
import { createTestStream, integrationConfig, requireServers, spawnWorker, waitFor } from './testing/integration-env.ts'
import { assertClickHouseMatchesTruth, assertDeadLettersMatch, assertRedisMatchesTruth, clickHouseCounts, redisAccountedRecords } from './testing/truth-check.ts'
import { dropTestData } from './testing/cleanup.ts'

const TOTAL = 200_000
const SHARDS = 4

test(`${TOTAL} events over ${SHARDS} shards, 2 workers, one SIGKILLed mid-stream and replaced: both sinks equal the truth exactly`, { timeout: 600_000 }, async () => {
  const { cfg, env } = integrationConfig('crash')
  await requireServers(cfg)
  const kinesis = await createTestStream(cfg, SHARDS)
  const redis = new Redis(cfg.redis.url)
  const ch = createClickHouse(cfg.clickhouse)
  const { records, truth } = generateTestRecords({ count: TOTAL, shards: SHARDS, invalidRate: 0.01, duplicateRate: 0.01, seed: 2026, startMs: Date.now(), tenants: 3, campaigns: 240 })
  await registerTenants(redis, cfg.redis.keyPrefix, [...new Set([...truth.perCampaign.keys()].map((k) => k.split('/')[0]!))])
  const workers = [spawnWorker(env, 'w1'), spawnWorker(env, 'w2')]
  try {
    // Put while the workers consume, so the kill lands mid-stream.
    const putting = putEvents(kinesis, cfg.kinesis.streamName, records, { concurrency: 4 })
    await waitFor('a third of the records consumed', async () => (await redisAccountedRecords(redis, cfg)) >= TOTAL / 3, 240_000)
    const killedAt = Date.now()
    workers[0]!.child.kill('SIGKILL')
    assert.equal(await workers[0]!.exited, 'SIGKILL')
    workers.push(spawnWorker(env, 'w3'))
    await putting
    await waitFor('every record accounted for in Redis', async () => (await redisAccountedRecords(redis, cfg)) === TOTAL, 300_000)
    await waitFor('ClickHouse to hold every valid event and dead letter', async () => {
      const c = await clickHouseCounts(ch, cfg)
      return c.events >= truth.validUniqueCount && c.deadLetters >= truth.invalid.length
    }, 120_000)
    console.log(`all ${TOTAL} records accounted for ${Math.round((Date.now() - killedAt) / 1000)} s after the SIGKILL`)
    assert.equal(await redisAccountedRecords(redis, cfg), TOTAL, 'Redis accounted records, exactly once')
    await assertRedisMatchesTruth(redis, cfg, truth)
    await assertClickHouseMatchesTruth(ch, cfg, truth)
    await assertDeadLettersMatch(ch, cfg, records, truth)
    // The survivors stop gracefully: finish the batch, checkpoint, release, exit 0.
    for (const w of workers.slice(1)) w.child.kill('SIGTERM')
    for (const w of workers.slice(1)) assert.equal(await w.exited, 0, `worker ${w.id} exit code (log: ${w.logFile})`)
  } finally {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL')
    await dropTestData(cfg, { redis, ch, kinesis })
  }
})
