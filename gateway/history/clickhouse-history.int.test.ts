import { test } from 'node:test'
import assert from 'node:assert/strict'
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import { createClickHouse } from '../../core/clickhouse.ts'
import { ClickHouseHistoryWriter } from '../../stream/clickhouse-history-writer.ts'
import { encodePosition } from '../../stream/positions.ts'
import { dropTestData } from '../../stream/testing/cleanup.ts'
import { createTestStream, integrationConfig, requireServers } from '../../stream/testing/integration-env.ts'
import { KinesisEventWriter } from '../kinesis-event-writer.ts'
import { ClickHouseDeadLetterStore, idOf } from './clickhouse-dead-letters.ts'
import { ClickHouseSeriesReader } from './clickhouse-series.ts'
import { replayDeadLetters } from './replay-dead-letters.ts'

test('dead letters per tenant from ClickHouse: list, count, replay once onto the stream', { timeout: 90_000 }, async () => {
  const { cfg } = integrationConfig('gwdl')
  await requireServers(cfg)
  const kinesis = await createTestStream(cfg, 1)
  const redis = new Redis(cfg.redis.url)
  const ch = createClickHouse(cfg.clickhouse)
  const stream = cfg.kinesis.streamName
  try {
    const now = Date.now()
    const event = (tenant: string, id: string) => Buffer.from(JSON.stringify({ id, ts: now, tenant, platform: 'meta', account: 'a1', campaign: 'c1', type: 'click', clicks: 1 }))
    const letter = (n: number, partitionKey: string, code: 'unknown_tenant' | 'bad_json', raw: Buffer) => ({ pos: encodePosition(String(1000 + n)), sequenceNumber: String(1000 + n), subSequence: 0, partitionKey, code, reason: code, raw, arrivalMs: now - n * 1000 })
    const writer = new ClickHouseHistoryWriter(ch, cfg.clickhouse.database)
    await writer.insertDeadLetters(stream, 'shardId-000000000000', [letter(1, 'acme/c1', 'unknown_tenant', event('acme', 'e1')), letter(2, 'acme/c1', 'bad_json', Buffer.from('{oops')), letter(3, 'globex/c9', 'unknown_tenant', event('globex', 'g1'))], now)
    // The same record written again (a consumer replay after a crash) is one dead letter.
    await writer.insertDeadLetters(stream, 'shardId-000000000000', [letter(1, 'acme/c1', 'unknown_tenant', event('acme', 'e1'))], now)
    await writer.insertDeadLetters('another-stream', 'shardId-000000000000', [letter(4, 'acme/c1', 'bad_json', Buffer.from('x'))], now)

    const store = new ClickHouseDeadLetterStore(ch, cfg.clickhouse.database, redis, cfg.redis.keyPrefix, stream)
    const page = await store.list('acme', {}, { limit: 10, offset: 0 })
    assert.equal(page.total, 2, 'acme\'s letters of this stream, each once')
    assert.deepEqual(page.items.map((r) => r.code), ['unknown_tenant', 'bad_json'], 'newest first')
    assert.equal(Buffer.from(page.items[0]!.rawBase64, 'base64').toString(), event('acme', 'e1').toString())
    assert.deepEqual(await store.countByCode('acme', {}), [{ code: 'bad_json', count: 1 }, { code: 'unknown_tenant', count: 1 }])
    assert.deepEqual(await store.countByCode('globex', { code: 'unknown_tenant' }), [{ code: 'unknown_tenant', count: 1 }])
    assert.equal((await store.list('acme', { code: 'bad_json', fromMs: now - 60_000 }, { limit: 10, offset: 0 })).total, 1)
    assert.deepEqual(await store.get('acme', [page.items[0]!, { stream, shard: 'shardId-000000000000', pos: encodePosition('1003') }]).then((r) => r.map((x) => x.pos)), [page.items[0]!.pos], 'globex\'s letter is not acme\'s')

    const deps = { store, events: new KinesisEventWriter(kinesis, stream), now: Date.now, log: pino({ level: 'silent' }) }
    const [first, second] = await Promise.all([replayDeadLetters(deps, 'acme', [page.items[0]!], 'user:u1'), replayDeadLetters(deps, 'acme', [page.items[0]!], 'user:u2')])
    assert.deepEqual([first![0]!.status, second![0]!.status].sort(), ['already_replayed', 'replayed'], 'two replays at once: one wins')
    const after = (await store.list('acme', { code: 'unknown_tenant' }, { limit: 10, offset: 0 })).items[0]!
    assert.ok(after.replayedAtMs !== undefined && ['user:u1', 'user:u2'].includes(after.replayedBy!))
    assert.equal((await replayDeadLetters(deps, 'acme', [after], 'user:u1'))[0]!.status, 'already_replayed')
    assert.equal(idOf(after), idOf(page.items[0]!))

    // The exact bytes are on the stream, under the original partition key.
    const shards = await kinesis.send(new ListShardsCommand({ StreamName: stream }))
    const it = await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shards.Shards![0]!.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))
    const got = await kinesis.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator! }))
    assert.deepEqual(got.Records!.map((r) => [Buffer.from(r.Data!).toString(), r.PartitionKey]), [[event('acme', 'e1').toString(), 'acme/c1']])
  } finally {
    await dropTestData(cfg, { redis, ch, kinesis })
  }
})

test('time series from the real minute rollups', async () => {
  const { cfg } = integrationConfig('gwts')
  await requireServers(cfg)
  const kinesis = await createTestStream(cfg, 1)
  const redis = new Redis(cfg.redis.url)
  const ch = createClickHouse(cfg.clickhouse)
  try {
    const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000
    const row = (minute: number, campaign: string, spend: number) => ({ tenant: 'acme', platform: 'meta', account: 'a1', campaign, adset: 'as1', ad: 'ad1', id: `${campaign}-${minute}-${spend}`, type: 'spend', ts: (base + minute * 60_000) / 1000, ts_ms: base + minute * 60_000, impressions: 1, clicks: 0, spend_micros: spend, conversions: 0, revenue_micros: 0, currency: 'USD', stream: 's', shard: 'x', pos: `p${minute}${spend}`, ingested_at: base / 1000 })
    await ch.insert({ table: `${cfg.clickhouse.database}.events`, values: [row(1, 'c1', 10), row(1, 'c1', 5), row(7, 'c1', 20), row(7, 'c2', 999), row(30, 'c1', 1)], format: 'JSONEachRow' })
    const reader = new ClickHouseSeriesReader(ch, cfg.clickhouse.database)
    const s = await reader.read({ tenant: 'acme', level: 'campaign', entity: 'c1', fromMs: base, toMs: base + 15 * 60_000, stepSec: 300 })
    // Minute 1 (two rows) is in the first five-minute bucket, minute 7 in the second; minute 30
    // is outside the range and c2 is another campaign.
    assert.deepEqual(s.spendMicros, [15, 20, 0])
    assert.deepEqual(s.timesSec, [base / 1000, base / 1000 + 300, base / 1000 + 600])
    const adset = await reader.read({ tenant: 'acme', level: 'adset', entity: 'as1', fromMs: base, toMs: base + 3_600_000, stepSec: 3600 })
    assert.deepEqual(adset.spendMicros, [1035], 'an ad set sums all its campaigns\' rows')
    assert.equal(await reader.exists('acme', 'ad', 'ad1'), true)
    assert.equal(await reader.exists('globex', 'campaign', 'c1'), false)
  } finally {
    await dropTestData(cfg, { redis, ch, kinesis })
  }
})
