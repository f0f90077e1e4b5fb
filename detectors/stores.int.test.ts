import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { createClickHouse } from '../core/clickhouse.ts'
import { migrate } from '../core/migrate.ts'
import { ident, sql } from '../core/sql.ts'
import { RedisKeys } from '../stream/redis-keys.ts'
import { integrationConfig, requireServers } from '../stream/testing/integration-env.ts'
import { historySql, ClickHouseHistorySource } from './clickhouse-history-source.ts'
import { ClickHouseModelStore } from './clickhouse-model-store.ts'
import { ClickHouseScoreHistory } from './clickhouse-score-history.ts'
import { ClickHouseScoreSeries } from '../gateway/history/clickhouse-score-series.ts'
import { RedisDetectorSettings, RedisLeaderLease, requestRetrain, setDetectorThreshold } from './redis-detector-settings.ts'
import { RedisLiveSource } from './redis-live-source.ts'
import { readDetectorScores, RedisScoreStore } from './redis-score-store.ts'
import { busyCampaign, steadyHistory } from './testing/steady-minutes.ts'
import { DEFAULT_TRAINING, LevelTrainer } from './training.ts'

const MIN = 60_000
const HOUR = 3_600_000

test('detector adapters against real Redis and ClickHouse', { timeout: 120_000 }, async (t) => {
  const { cfg } = integrationConfig('detstores')
  await requireServers(cfg)
  const admin = createClickHouse(cfg.clickhouse, 'default')
  await migrate(admin, cfg.clickhouse.database)
  const ch = createClickHouse(cfg.clickhouse)
  const redis = new Redis(cfg.redis.url)
  const prefix = cfg.redis.keyPrefix
  const keys = new RedisKeys(prefix)
  try {
    await t.test('the live source reads minute buckets in the layout the consumer writes (docs/stores.md), zeros where nothing was counted', async () => {
      const hour = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR
      // cmp_1: minutes 58 and 59 of one hour and minute 0 of the next, so a read spans two hour hashes.
      await redis.hset(keys.minuteBuckets('acme', 'campaign', 'cmp_1', hour), { '58:i': 150, '58:c': 2, '58:s': 1_900_000, '58:r': 5 })
      await redis.hset(keys.minuteBuckets('acme', 'campaign', 'cmp_1', hour + HOUR), { '0:i': 10, '0:c': 1, '0:s': 90_000 })
      await redis.hset(keys.minuteBuckets('acme', 'campaign', 'cmp_2', hour), { '59:i': 7, '59:s': 1 })
      await redis.zadd(keys.activeEntities('acme', 'campaign'), Date.now(), 'cmp_1', Date.now(), 'cmp_2')
      await redis.hset(keys.entityMeta('acme', 'campaign', 'cmp_1'), { platform: 'meta', account: 'act_1', campaign: 'cmp_1' })
      const live = new RedisLiveSource(redis, prefix)
      assert.deepEqual(await live.tenants(), [])
      assert.deepEqual((await live.activeEntities('acme', 'campaign', Date.now() - MIN)).sort(), ['cmp_1', 'cmp_2'])
      assert.deepEqual(await live.activeEntities('acme', 'campaign', Date.now() + MIN), [])
      assert.deepEqual([...(await live.accounts('acme', 'campaign', ['cmp_1', 'nope'])).entries()], [['cmp_1', 'act_1'], ['nope', '']])
      const [a, b] = await live.readMinutes('acme', 'campaign', [
        { entity: 'cmp_1', fromMs: hour + 57 * MIN, toMs: hour + 61 * MIN },
        { entity: 'cmp_2', fromMs: hour + 59 * MIN, toMs: hour + 60 * MIN },
      ])
      assert.deepEqual(Array.from(a!), [0, 0, 0, 0, 150, 2, 1.9, 0, 0, 0, 0, 0, 10, 1, 0.09, 0])
      assert.deepEqual(Array.from(b!), [7, 0, 0.000001, 0])
    })

    await t.test('scores: written with a TTL, read back in one pipeline as numbers; unknown entities are absent', async () => {
      const store = new RedisScoreStore(redis, prefix, 600)
      await store.writeScores('acme', 'campaign', [
        { entity: 'cmp_1', minuteMs: 1_700_000_000_000, scores: { iforest: 0.123456, seasonal_z: 0.9, ewma: 0, flatline: 0.25 } },
        { entity: 'cmp_2', minuteMs: 1_700_000_000_000, scores: { seasonal_z: 0.5 } },
      ])
      const scores = await readDetectorScores(redis, prefix, 'acme', 'campaign', ['cmp_1', 'cmp_2', 'cmp_9'])
      assert.deepEqual(scores.get('cmp_1'), { iforest: 0.1235, seasonal_z: 0.9, ewma: 0, flatline: 0.25 })
      assert.deepEqual(scores.get('cmp_2'), { seasonal_z: 0.5 })
      assert.equal(scores.has('cmp_9'), false)
      const ttl = await redis.ttl(keys.detectorScores('acme', 'campaign', 'cmp_1'))
      assert.ok(ttl > 590 && ttl <= 600, `ttl ${ttl}`)
      assert.equal(await redis.hget(keys.detectorScores('acme', 'campaign', 'cmp_1'), 'at'), '1700000000000')
    })

    await t.test('settings: tenant threshold with per-detector override; retrain requests are taken once; the leader lease', async () => {
      const settings = new RedisDetectorSettings(redis, prefix)
      assert.deepEqual([...(await settings.thresholds('acme', ['ewma', 'flatline'], 0.8))], [['ewma', 0.8], ['flatline', 0.8]])
      await setDetectorThreshold(redis, prefix, 'acme', 0.9)
      await setDetectorThreshold(redis, prefix, 'acme', 0.95, 'flatline')
      await redis.hset(keys.detectorSettings('acme'), 'threshold:ewma', 'lots') // malformed: ignored
      assert.deepEqual([...(await settings.thresholds('acme', ['ewma', 'flatline'], 0.8))], [['ewma', 0.9], ['flatline', 0.95]])
      await requestRetrain(redis, prefix, 'acme')
      await requestRetrain(redis, prefix, '*')
      assert.deepEqual((await settings.takeRetrainRequests()).sort(), ['*', 'acme'])
      assert.deepEqual(await settings.takeRetrainRequests(), [])
      const a = new RedisLeaderLease(redis, prefix, 'runner-a', 5_000)
      const b = new RedisLeaderLease(redis, prefix, 'runner-b', 5_000)
      assert.equal(await a.hold(), true)
      assert.equal(await b.hold(), false, 'one leader at a time')
      assert.equal(await a.hold(), true, 'the holder renews')
      await a.release()
      assert.equal(await b.hold(), true, 'released: another runner takes over')
    })

    await t.test('history: the SQL sums rollup rows per entity and minute; histories come back dense', async () => {
      const base = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR
      assert.equal(
        historySql('db', "o'brien", 'campaign', base, base + HOUR),
        `SELECT campaign AS entity, any(account) AS owner, toUInt32(minute) AS m,\n  sum(impressions) AS i, sum(clicks) AS c, sum(spend_micros) AS s, sum(conversions) AS v\nFROM \`db\`.rollup_minute\nWHERE tenant = 'o\\'brien' AND minute >= toDateTime(${base / 1000}) AND minute < toDateTime(${(base + HOUR) / 1000}) AND campaign != ''\nGROUP BY entity, m\nORDER BY entity, m`,
      )
      const row = (minute: number, campaign: string, adset: string, imp: number, spendMicros: number) => ({
        tenant: 'acme', platform: 'meta', account: 'act_1', campaign, adset, ad: `${adset}-ad`, minute: (base + minute * MIN) / 1000,
        impressions: imp, clicks: 1, spend_micros: spendMicros, conversions: 0, revenue_micros: 0, events: 1,
      })
      await ch.insert({
        table: `${ident(cfg.clickhouse.database).text}.rollup_minute`, format: 'JSONEachRow',
        values: [row(0, 'cmp_1', 'as_1', 10, 1_000_000), row(0, 'cmp_1', 'as_2', 5, 500_000), row(2, 'cmp_1', 'as_1', 1, 1), row(1, 'cmp_2', 'as_3', 3, 3), row(90, 'cmp_1', 'as_1', 9, 9)],
      })
      const source = new ClickHouseHistorySource(ch, cfg.clickhouse.database)
      const got = []
      for await (const h of source.histories('acme', 'campaign', base, base + 4 * MIN)) got.push({ entity: h.entity, account: h.account, startMs: h.startMs, minutes: Array.from(h.minutes) })
      assert.deepEqual(got, [
        { entity: 'cmp_1', account: 'act_1', startMs: base, minutes: [15, 2, 1.5, 0, 0, 0, 0, 0, 1, 1, 0.000001, 0, 0, 0, 0, 0] },
        { entity: 'cmp_2', account: 'act_1', startMs: base, minutes: [0, 0, 0, 0, 3, 1, 0.000003, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
      ])
      const accounts = []
      for await (const h of source.histories('acme', 'account', base, base + 4 * MIN)) accounts.push(h.entity)
      assert.deepEqual(accounts, ['act_1'])
    })

    await t.test('models: versions are saved and the newest complete one is loaded; a partial version is never seen', async () => {
      const store = new ClickHouseModelStore(ch, cfg.clickhouse.database)
      assert.deepEqual(await store.latestVersions(), [])
      const start = Date.UTC(2026, 0, 5)
      const train = (version: number) => {
        const trainer = new LevelTrainer('acme', 'campaign', start, start + 3 * 86_400_000, { ...DEFAULT_TRAINING, levelSampleRows: 3_000 })
        trainer.add(steadyHistory('cmp_1', busyCampaign(version, start, 3 * 1440)))
        return trainer.finish(version)
      }
      await store.save(train(1_000))
      const newer = train(2_000)
      await store.save(newer)
      // A version whose model rows landed but whose manifest did not (a crash mid-save).
      await ch.insert({
        table: `${ident(cfg.clickhouse.database).text}.detector_models`, format: 'JSONEachRow',
        values: [{ tenant: 'acme', level: 'campaign', version: 3_000, kind: 'baseline', entity: 'cmp_1', trained_at: 3, payload: '{}' }],
      })
      const latest = await store.latestVersions()
      assert.deepEqual(latest.map((m) => [m.tenant, m.level, m.version, m.entities, m.campaignForests, m.levelForest]), [['acme', 'campaign', 2_000, 1, 1, true]])
      const loaded = await store.load(latest[0]!)
      assert.equal(JSON.stringify(loaded.baselines.get('cmp_1')), JSON.stringify(newer.baselines.get('cmp_1')))
      const x = new Float64Array([3, 0, -1, 0, 0, 0, 2])
      assert.equal(loaded.levelForest?.forest.score(x), newer.levelForest?.forest.score(x))
    })
    await t.test('score history: every judged minute is stored; the gateway reads the highest score per minute of one entity, its tenant only', async () => {
      const history = new ClickHouseScoreHistory(ch, cfg.clickhouse.database)
      const reader = new ClickHouseScoreSeries(ch, cfg.clickhouse.database)
      const m0 = Math.floor(Date.now() / MIN) * MIN - 10 * MIN
      await history.append('acme', 'campaign', [
        { entity: 'cmp_1', minuteMs: m0, scores: { iforest: 0.25, ewma: 0.5 } },
        { entity: 'cmp_1', minuteMs: m0 + MIN, scores: { iforest: 0.125, ewma: 0.9375 } },
        { entity: 'cmp_2', minuteMs: m0, scores: { iforest: 0.75 } },
      ])
      await history.append('globex', 'campaign', [{ entity: 'cmp_1', minuteMs: m0 + 2 * MIN, scores: { iforest: 1 } }])
      // A minute judged again (a runner restart) is still one point.
      await history.append('acme', 'campaign', [{ entity: 'cmp_1', minuteMs: m0, scores: { iforest: 0.25, ewma: 0.5 } }])
      assert.deepEqual(await reader.scoreSeries('acme', 'campaign', 'cmp_1', m0 - HOUR, m0 + HOUR), { timesSec: [m0 / 1000, m0 / 1000 + 60], maxScore: [0.5, 0.9375] })
      assert.deepEqual(await reader.scoreSeries('acme', 'campaign', 'cmp_1', m0 + MIN, m0 + HOUR), { timesSec: [m0 / 1000 + 60], maxScore: [0.9375] }, 'from is inclusive')
      assert.deepEqual(await reader.scoreSeries('acme', 'account', 'cmp_1', m0 - HOUR, m0 + HOUR), { timesSec: [], maxScore: [] })
      assert.deepEqual((await reader.scoreSeries('globex', 'campaign', 'cmp_1', m0 - HOUR, m0 + HOUR)).maxScore, [1])
      assert.deepEqual(await reader.scoreSeries("acme' OR '1'='1", 'campaign', 'cmp_1', m0 - HOUR, m0 + HOUR), { timesSec: [], maxScore: [] }, 'values are quoted')
      // Retention: days older than 14 are dropped whole; the recent ones stay.
      const old = m0 - 40 * 24 * HOUR
      await history.append('acme', 'campaign', [{ entity: 'cmp_1', minuteMs: old, scores: { ewma: 0.5 } }])
      assert.equal((await reader.scoreSeries('acme', 'campaign', 'cmp_1', old, old + MIN)).maxScore.length, 1)
      assert.deepEqual(await history.prune(m0), [new Date(old).toISOString().slice(0, 10)])
      assert.deepEqual((await reader.scoreSeries('acme', 'campaign', 'cmp_1', old, old + MIN)).maxScore, [], 'the old day is gone')
      assert.deepEqual((await reader.scoreSeries('acme', 'campaign', 'cmp_1', m0 - HOUR, m0 + HOUR)).maxScore, [0.5, 0.9375], 'recent minutes stay')
      assert.deepEqual(await history.prune(m0), [], 'nothing more to drop')
    })
  } finally {
    await admin.command({ query: sql`DROP DATABASE IF EXISTS ${ident(cfg.clickhouse.database)}`.text }).catch(() => undefined)
    await admin.close()
    let cursor = '0'
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
      cursor = next
      if (found.length > 0) await redis.unlink(...found)
    } while (cursor !== '0')
    redis.disconnect()
    await ch.close()
  }
})
