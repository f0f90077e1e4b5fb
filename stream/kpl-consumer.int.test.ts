import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PutRecordsCommand } from '@aws-sdk/client-kinesis'
import { Redis } from 'ioredis'
import { createClickHouse } from '../core/clickhouse.ts'
import { createLogger } from '../core/log.ts'
import { ident, sql } from '../core/sql.ts'
import { KPL_MAGIC } from './kpl.ts'
import { listOpenShards } from './producer/ensure-stream.ts'
import { putEvents } from './producer/put-records.ts'
import { generateTestRecords } from './producer/test-events.ts'
import { registerTenants } from './tenant-directory.ts'
import { startWorker } from './worker-runtime.ts'
import { dropTestData } from './testing/cleanup.ts'
import { createTestStream, integrationConfig, requireServers, waitFor } from './testing/integration-env.ts'
import { assertClickHouseMatchesTruth, assertDeadLettersMatch, assertRedisMatchesTruth, clickHouseCounts, redisAccountedRecords } from './testing/truth-check.ts'

const TOTAL = 20_000

test('KPL-aggregated records are de-aggregated and counted exactly; a corrupt aggregate is dead-lettered, not stalling its shard', { timeout: 180_000 }, async () => {
  const { cfg } = integrationConfig('kpl')
  await requireServers(cfg)
  const kinesis = await createTestStream(cfg, 2)
  const redis = new Redis(cfg.redis.url)
  const ch = createClickHouse(cfg.clickhouse)
  const { records, truth } = generateTestRecords({ count: TOTAL, invalidRate: 0.01, duplicateRate: 0.01, seed: 5, startMs: Date.now(), tenants: 2, campaigns: 40 })
  await registerTenants(redis, cfg.redis.keyPrefix, [...new Set([...truth.perCampaign.keys()].map((k) => k.split('/')[0]!))])
  const worker = await startWorker(cfg, createLogger('error', 'kpl-test'))
  try {
    const shardHashRanges = await listOpenShards(kinesis, cfg.kinesis.streamName)
    const res = await putEvents(kinesis, cfg.kinesis.streamName, records, { aggregate: true, shardHashRanges, concurrency: 2 })
    assert.ok(res.kinesisRecords < TOTAL / 10, `records were aggregated (${res.kinesisRecords} Kinesis records for ${TOTAL})`)
    // A record that claims to be a KPL aggregate but is garbage.
    const corrupt = Buffer.concat([Buffer.from(KPL_MAGIC), Buffer.from('not a protobuf, and no checksum either')])
    await kinesis.send(new PutRecordsCommand({ StreamName: cfg.kinesis.streamName, Records: [{ PartitionKey: 'acme/corrupt', Data: corrupt }] }))
    await waitFor('every user record and the corrupt aggregate accounted for', async () => (await redisAccountedRecords(redis, cfg)) === TOTAL + 1, 120_000)
    await waitFor('ClickHouse caught up', async () => {
      const c = await clickHouseCounts(ch, cfg)
      return c.events >= truth.validUniqueCount && c.deadLetters >= truth.invalid.length + 1
    }, 60_000)
    await assertRedisMatchesTruth(redis, cfg, truth)
    await assertClickHouseMatchesTruth(ch, cfg, truth)
    const db = ident(cfg.clickhouse.database)
    const rs = await ch.query({ query: sql`SELECT code, reason, raw_base64 FROM ${db}.dead_letters FINAL WHERE code = 'bad_kpl'`.text, format: 'JSONEachRow' })
    const bad = await rs.json<{ code: string; reason: string; raw_base64: string }>()
    assert.equal(bad.length, 1)
    assert.equal(bad[0]!.raw_base64, corrupt.toString('base64'), 'the raw bytes are kept')
    assert.match(bad[0]!.reason, /corrupt KPL aggregate/)
    // The other dead letters, as for plain records (the corrupt one is the extra row).
    await ch.command({ query: sql`ALTER TABLE ${db}.dead_letters DELETE WHERE code = 'bad_kpl'`.text }).catch(() => undefined)
    await waitFor('the bad_kpl row is removed for the comparison', async () => {
      const r = await ch.query({ query: sql`SELECT count() AS n FROM ${db}.dead_letters FINAL WHERE code = 'bad_kpl'`.text, format: 'JSONEachRow' })
      return Number((await r.json<{ n: number }>())[0]?.n) === 0
    }, 30_000)
    await assertDeadLettersMatch(ch, cfg, records, truth)
  } finally {
    await worker.close()
    await dropTestData(cfg, { redis, ch, kinesis })
  }
})
