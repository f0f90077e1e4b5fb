import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createClickHouse } from '../core/clickhouse.ts'
import { createLogger } from '../core/log.ts'
import { ident } from '../core/sql.ts'
import { RedisDetectorSettings } from '../detectors/redis-detector-settings.ts'
import { RedisScoreStore } from '../detectors/redis-score-store.ts'
import { RedisKeys } from '../stream/redis-keys.ts'
import { startGatewayRuntime } from './runtime.ts'
import { gatewayTestEnv } from './testing/gateway-env.ts'

const MIN = 60_000

/**
 * The rules and detectors routes on the real stores: rules saved, versioned and restored in
 * Redis through the API; a backtest of a draft rule over minute rollups in ClickHouse finds
 * the one spike written for acme and nothing for globex; detectors show the model manifest
 * stored in ClickHouse and the scores in Redis, and a retrain lands in the runner's request set.
 */
test('rules, backtest and detectors routes against the real Redis and ClickHouse', { timeout: 120_000 }, async () => {
  const env = await gatewayTestEnv('gwrules', { tenants: ['acme', 'globex'] })
  const runtime = await startGatewayRuntime(env.cfg, createLogger('warn', 'gwrules'))
  const ch = createClickHouse(env.cfg.clickhouse)
  try {
    const app = runtime.gateway.app
    const acme = { authorization: `Bearer ${(await env.apiKey('acme', 'editor')).key}` }
    const globex = { authorization: `Bearer ${(await env.apiKey('globex', 'editor')).key}` }
    const rule = { id: 'spend-spike', name: 'spend over $3 in 5 minutes', level: 'campaign', severity: 'warning', for: '2m', conditions: { all: [{ fact: 'spend_5m', operator: 'greaterThan', value: 3 }] } }

    // Rules: create, new version, versions, restore, delete; invalid saves name the path.
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/rules', headers: acme, payload: rule })).statusCode, 201)
    const v2 = await app.inject({ method: 'PUT', url: '/api/v1/rules/spend-spike', headers: acme, payload: { ...rule, for: '3m' } })
    assert.deepEqual([v2.statusCode, v2.json().version], [200, 2])
    const bad = await app.inject({ method: 'PUT', url: '/api/v1/rules/spend-spike', headers: acme, payload: { ...rule, conditions: { all: [{ fact: 'spend_5m', operator: 'bigger', value: 3 }] } } })
    assert.deepEqual([bad.statusCode, bad.json().error.field], [400, '$.conditions.all[0].operator'])
    assert.deepEqual((await app.inject({ url: '/api/v1/rules/spend-spike/versions', headers: acme })).json().items.map((v: { version: number }) => v.version), [2, 1])
    const restored = await app.inject({ method: 'POST', url: '/api/v1/rules/spend-spike/versions/1/restore', headers: acme })
    assert.deepEqual([restored.json().version, restored.json().rule.for], [3, '2m'])
    assert.equal((await app.inject({ url: '/api/v1/rules/spend-spike', headers: globex })).statusCode, 404, 'globex does not see acme\'s rule')
    assert.equal((await app.inject({ url: '/api/v1/rules', headers: globex })).json().total, 0)

    // Backtest: campaign c1 of acme spends $0.10 a minute, and $5 a minute for 10 minutes 3 hours ago.
    const nowMinute = Math.floor(Date.now() / MIN) * MIN
    const spikeFrom = nowMinute - 180 * MIN
    const rows = []
    for (let m = nowMinute - 6 * 60 * MIN; m < nowMinute; m += MIN) {
      const micros = m >= spikeFrom && m < spikeFrom + 10 * MIN ? 5_000_000 : 100_000
      rows.push({ tenant: 'acme', platform: 'meta', account: 'a1', campaign: 'c1', adset: 's1', ad: 'ad1', minute: m / 1000, impressions: 10, clicks: 1, spend_micros: micros, conversions: 0, revenue_micros: 0, events: 11 })
    }
    await ch.insert({ table: `${ident(env.cfg.clickhouse.database).text}.rollup_minute`, values: rows, format: 'JSONEachRow' })
    const bt = await app.inject({ method: 'POST', url: '/api/v1/rules/backtest', headers: acme, payload: { rule, days: 1 } })
    assert.equal(bt.statusCode, 200, bt.body)
    const report = bt.json()
    // True from the spike's first minute until its last leaves the 5-minute window; fires after 2 minutes.
    assert.deepEqual(report.intervals.map((i: { entity: string; startMs: number; endMs: number }) => [i.entity, i.startMs - spikeFrom, i.endMs - spikeFrom]), [['c1', 2 * MIN, 14 * MIN]])
    assert.equal(report.totals.entities, 1)
    const saved = await app.inject({ method: 'POST', url: '/api/v1/rules/backtest', headers: acme, payload: { ruleId: 'spend-spike', version: 2, days: 1 } })
    assert.deepEqual([saved.statusCode, saved.json().ruleVersion, saved.json().intervals[0].startMs - spikeFrom], [200, 2, 3 * MIN])
    const other = await app.inject({ method: 'POST', url: '/api/v1/rules/backtest', headers: globex, payload: { rule, days: 1 } })
    assert.deepEqual([other.statusCode, other.json().totals.entities, other.json().intervals.length], [200, 0, 0], 'globex\'s backtest reads only globex\'s rollups')
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/rules/backtest', headers: globex, payload: { ruleId: 'spend-spike', days: 1 } })).statusCode, 404)
    const badDraft = await app.inject({ method: 'POST', url: '/api/v1/rules/backtest', headers: acme, payload: { rule: { ...rule, level: 'galaxy' }, days: 1 } })
    assert.deepEqual([badDraft.statusCode, badDraft.json().error.field], [400, '$.level'])
    assert.equal((await app.inject({ method: 'DELETE', url: '/api/v1/rules/spend-spike', headers: acme })).statusCode, 204)
    assert.equal((await app.inject({ url: '/api/v1/rules/spend-spike', headers: acme })).statusCode, 404)

    // Detectors: a stored model manifest (ClickHouse), scores and activity (Redis), as the runner writes them.
    const version = nowMinute - 3_600_000
    await ch.insert({
      table: `${ident(env.cfg.clickhouse.database).text}.detector_model_versions`,
      values: [{ tenant: 'acme', level: 'campaign', version, trained_at: Math.floor(version / 1000), from_ms: version - 7 * 86_400_000, to_ms: version, entities: 3, campaign_forests: 0, level_forest: 1, train_ms: 120 }],
      format: 'JSONEachRow',
    })
    const keys = new RedisKeys(env.cfg.redis.keyPrefix)
    await env.redis.zadd(keys.activeEntities('acme', 'campaign'), Date.now(), 'c1', Date.now() - 60_000, 'c2')
    await new RedisScoreStore(env.redis, env.cfg.redis.keyPrefix, 600).writeScores('acme', 'campaign', [
      { entity: 'c1', minuteMs: nowMinute - MIN, scores: { iforest: 0.35, seasonal_z: 0.9 } },
      { entity: 'c2', minuteMs: nowMinute - MIN, scores: { ewma: 0.1 } },
    ])
    const list = (await app.inject({ url: '/api/v1/detectors', headers: acme })).json()
    const iforest = list.items.find((d: { name: string; level: string }) => d.name === 'iforest' && d.level === 'campaign')
    assert.deepEqual([iforest.modelVersion, iforest.entities, iforest.status, iforest.threshold], [version, 3, 'ready', env.cfg.detectors.threshold])
    const scores = (await app.inject({ url: '/api/v1/detectors/scores?level=campaign', headers: acme })).json()
    assert.deepEqual(scores.items.map((s: { entity: string; scores: Record<string, number | null> }) => [s.entity, s.scores.seasonal_z ?? s.scores.ewma]), [['c1', 0.9], ['c2', 0.1]])
    assert.equal((await app.inject({ url: '/api/v1/detectors/scores?level=campaign', headers: globex })).json().total, 0)

    const retrain = await app.inject({ method: 'POST', url: '/api/v1/detectors/iforest/retrain?level=campaign', headers: acme })
    assert.deepEqual([retrain.statusCode, retrain.json().status], [202, 'training'])
    // The runner's own queue has the request (detectors/main.ts takes it on its next tick).
    assert.deepEqual(await new RedisDetectorSettings(env.redis, env.cfg.redis.keyPrefix).takeRetrainRequests(), ['acme'])
    const threshold = await app.inject({ method: 'PUT', url: '/api/v1/detectors/ewma/threshold', headers: acme, payload: { threshold: 0.9 } })
    assert.equal(threshold.statusCode, 200)
    assert.equal((await new RedisDetectorSettings(env.redis, env.cfg.redis.keyPrefix).thresholds('acme', ['ewma', 'iforest'], 0.8)).get('ewma'), 0.9)
    assert.ok((await app.inject({ url: '/api/v1/detectors', headers: globex })).json().items.every((d: { status: string; threshold: number }) => d.status === 'untrained' && d.threshold === env.cfg.detectors.threshold))
  } finally {
    await ch.close()
    await runtime.close()
    await env.close()
  }
})
