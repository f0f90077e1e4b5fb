import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { createClickHouse } from '../core/clickhouse.ts'
import { createLogger } from '../core/log.ts'
import { ident } from '../core/sql.ts'
import { RedisAlertEventLog } from '../alerts/redis-event-log.ts'
import { RedisRoutingStore } from '../alerts/redis-routing-store.ts'
import { createAlertsRuntime } from '../alerts/runtime.ts'
import { StaticSecretResolver } from '../alerts/secrets.ts'
import { alertsTestConfig, dropAlertsTestData, requireAlertServers } from '../alerts/testing/alerts-env.ts'
import { LocalReceiver } from '../alerts/testing/local-receiver.ts'
import { METRIC_FIELDS, RedisKeys } from '../stream/redis-keys.ts'
import { registerTenants } from '../stream/tenant-directory.ts'
import { waitFor } from '../stream/testing/integration-env.ts'
import { MINUTE_STRIDE } from './features.ts'
import { setDetectorThreshold } from './redis-detector-settings.ts'
import { createDetectorService } from './runtime.ts'
import { busyCampaign, drawMinute } from './testing/steady-minutes.ts'
import { createSeededRandom } from './random.ts'

const MIN = 60_000
const HOUR = 3_600_000

/**
 * The detector service as detectors/main.ts starts it, on the real Redis and ClickHouse, its
 * clock stepped a minute per tick: a campaign's spend spike becomes a detector alert in the
 * tenant's alert event log (at the tenant's threshold from the detector settings), the alerts
 * process (alerts/runtime.ts, as alerts/main.ts runs it) delivers it to a webhook, and once the
 * campaign is quiet again the service's sweep resolves it. A steady campaign raises nothing.
 */
test('the detector service turns findings into alerts that the alerts process delivers, and resolves them when quiet', { timeout: 120_000 }, async () => {
  const { cfg } = alertsTestConfig('detsvc', { ADW_DETECT_TRAIN_DAYS: '1', ADW_DETECT_WARMUP_MIN: '10', ADW_DETECT_LEVELS: 'campaign' })
  await requireAlertServers(cfg)
  const redis = new Redis(cfg.redis.url)
  const ch = createClickHouse(cfg.clickhouse)
  const hook = await LocalReceiver.start()
  const log = createLogger('warn', 'detectors-it')
  const alertsRuntime = createAlertsRuntime(cfg, createLogger('warn', 'alerts-it'), { secrets: new StaticSecretResolver({ acme: { hook: 'whsec-detsvc' } }, new Map()) })
  const prefix = cfg.redis.keyPrefix
  const keys = new RedisKeys(prefix)
  let service: ReturnType<typeof createDetectorService> | undefined
  try {
    await alertsRuntime.migrate()
    await registerTenants(redis, prefix, ['acme'])
    await setDetectorThreshold(redis, prefix, 'acme', 0.85)
    await new RedisRoutingStore(redis, prefix, Date.now, { allowInsecureUrls: true, defaultAlertmanagerUrl: cfg.alertmanagerUrl }).put('acme', {
      receivers: [{ name: 'hook', type: 'webhook', url: `${hook.url}/x`, signing_secret: { secret: 'hook' } }],
      route: { routes: [{ matchers: [{ name: 'source', op: '=', value: 'detector' }], receiver: 'hook' }] },
    }, 'test')

    // Two busy campaigns, a day and 40 minutes of minutes ending 2 minutes ago; cmp_1 spends ×6 for 5 minutes in the middle of the last 40.
    const end = Math.floor(Date.now() / MIN) * MIN - 2 * MIN
    const start = end - 24 * HOUR - 40 * MIN
    const liveStart = end - 40 * MIN
    const spikeStart = end - 25 * MIN
    const spikeEnd = spikeStart + 5 * MIN
    const minutes = (end - start) / MIN
    const series = new Map<string, Float64Array>()
    for (const [n, entity] of ['cmp_1', 'cmp_2'].entries()) {
      const o = { ...busyCampaign(11 + n, start, minutes), dayAmplitude: 0 }
      const rng = createSeededRandom(o.seed)
      const out = new Float64Array(minutes * MINUTE_STRIDE)
      for (let k = 0; k < minutes; k++) {
        const ms = start + k * MIN
        drawMinute(rng, o, ms, out, k, entity === 'cmp_1' && ms >= spikeStart && ms < spikeEnd ? { volume: 6, cpc: 1 } : { volume: 1, cpc: 1 })
      }
      series.set(entity, out)
    }
    // History (everything before the spike) as ClickHouse rollups; the last 40 minutes as the consumer's Redis minute buckets.
    const rows: Array<Record<string, string | number>> = []
    const p = redis.pipeline()
    for (const [entity, m] of series) {
      for (let k = 0; k < minutes; k++) {
        const ms = start + k * MIN
        const b = k * MINUTE_STRIDE
        const [i, c, s, v] = [m[b]!, m[b + 1]!, Math.round(m[b + 2]! * 1e6), m[b + 3]!]
        if (ms < spikeStart) {
          rows.push({ tenant: 'acme', platform: 'meta', account: 'act_1', campaign: entity, adset: '', ad: '', minute: ms / 1000, impressions: i, clicks: c, spend_micros: s, conversions: v, revenue_micros: 0, events: i + c })
        }
        if (ms >= liveStart) {
          const hour = ms - (ms % HOUR)
          const minute = (ms - hour) / MIN
          p.hset(keys.minuteBuckets('acme', 'campaign', entity, hour), { [`${minute}:${METRIC_FIELDS[0]}`]: i, [`${minute}:${METRIC_FIELDS[1]}`]: c, [`${minute}:${METRIC_FIELDS[2]}`]: s, [`${minute}:${METRIC_FIELDS[3]}`]: v })
        }
      }
      p.zadd(keys.activeEntities('acme', 'campaign'), end, entity)
      p.hset(keys.entityMeta('acme', 'campaign', entity), { platform: 'meta', account: 'act_1', campaign: entity })
    }
    await p.exec()
    for (let i = 0; i < rows.length; i += 10_000) {
      await ch.insert({ table: `${ident(cfg.clickhouse.database).text}.rollup_minute`, values: rows.slice(i, i + 10_000), format: 'JSONEachRow' })
    }

    const loop = alertsRuntime.run()
    // The clock: the first tick trains and warms up on [liveStart, liveStart + 10 min); then a minute per tick.
    const clock = { now: liveStart + 10 * MIN + cfg.detectors.closeLagMs + 1_000 }
    service = createDetectorService(cfg, { redis, clickhouse: ch }, { log, now: () => clock.now })
    const tickUntil = async (closedEnd: number) => {
      for (; clock.now <= closedEnd + cfg.detectors.closeLagMs + 1_000; clock.now += MIN) {
        const r = await service!.runner.tick()
        assert.equal(r.leader, true)
      }
    }
    // Through the spike and one minute after it.
    await tickUntil(spikeEnd + MIN)
    const events = new RedisAlertEventLog(redis, prefix)
    const firing = (await events.read('acme')).map((e) => e.event).filter((e) => e.kind === 'firing')
    assert.ok(firing.length > 0, 'the spike fires a detector alert')
    for (const e of firing) {
      assert.equal(e.source, 'detector')
      assert.equal(e.entity, 'cmp_1', `${e.sourceId} fired on ${e.entity}: ${e.explanation}`)
      assert.ok(e.atMs >= spikeStart && (e.startsAtMs ?? 0) >= spikeStart && (e.startsAtMs ?? Infinity) < spikeEnd + 5 * MIN, `${e.sourceId} starts at ${new Date(e.startsAtMs ?? 0).toISOString()}`)
      assert.ok(Number(e.values.score) >= 0.85, `score ${String(e.values.score)} is at or above the tenant's 0.85`)
      assert.ok(e.explanation.length > 10)
    }
    await waitFor('the alerts process to deliver the detector alert', async () => hook.accepted().some((r) => alertsOf(r.json).some((a) => a.status === 'firing' && a.entity === 'cmp_1')), 20_000, 50)

    // Quiet again: the sweep (every minute of the runner's clock) resolves each alert that fired, and the webhook hears it.
    await tickUntil(end)
    const log2 = (await events.read('acme')).map((e) => e.event)
    const fired = new Set(log2.filter((e) => e.kind === 'firing').map((e) => e.fingerprint))
    const resolved = new Set(log2.filter((e) => e.kind === 'resolved').map((e) => e.fingerprint))
    assert.deepEqual([...fired].sort(), [...resolved].sort(), 'every detector alert that fired is resolved')
    assert.ok(log2.every((e) => e.entity === 'cmp_1'), 'the steady campaign raised nothing')
    await waitFor('the resolve notification', async () => hook.accepted().some((r) => alertsOf(r.json).some((a) => a.status === 'resolved' && a.entity === 'cmp_1')), 20_000, 50)
    assert.ok(hook.accepted().every((r) => alertsOf(r.json).every((a) => a.source === 'detector' && a.entity === 'cmp_1')))
    console.log(`${fired.size} detector alerts fired (${log2.filter((e) => e.kind === 'firing').map((e) => e.sourceId).join(', ')}) and resolved; ${hook.accepted().length} webhook deliveries`)
    await alertsRuntime.stop()
    await loop
  } finally {
    service?.close()
    await alertsRuntime.stop().catch(() => undefined)
    await dropAlertsTestData(cfg, redis)
    await Promise.allSettled([redis.quit(), ch.close(), hook.close()])
  }
})

function alertsOf(json: unknown): Array<{ status: string; entity: string; source: string }> {
  return (json as { alerts?: Array<{ status: string; entity: string; source: string }> }).alerts ?? []
}
