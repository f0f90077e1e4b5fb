import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { createLogger } from '../core/log.ts'
import type { DetectorFinding } from '../detectors/finding.ts'
import { registerTenants } from '../stream/tenant-directory.ts'
import { waitFor } from '../stream/testing/integration-env.ts'
import { createDetectorAlertSink } from './index.ts'
import { RedisRoutingStore } from './redis-routing-store.ts'
import { createAlertsRuntime } from './runtime.ts'
import { StaticSecretResolver } from './secrets.ts'
import { alertsTestConfig, dropAlertsTestData, requireAlertServers } from './testing/alerts-env.ts'
import { LocalReceiver } from './testing/local-receiver.ts'

test('detector findings become alerts through the same event log: one trigger, one resolve when the scores stay below the threshold', { timeout: 60_000 }, async () => {
  const { cfg } = alertsTestConfig('alerts-detect')
  await requireAlertServers(cfg)
  const hook = await LocalReceiver.start()
  const redis = new Redis(cfg.redis.url)
  const runtime = createAlertsRuntime(cfg, createLogger('warn', 'alerts-it'), { secrets: new StaticSecretResolver({ acme: { hook: 'whsec-detect' } }, new Map()) })
  const sink = createDetectorAlertSink(redis, cfg.redis.keyPrefix, { thresholdOf: () => 0.8, now: Date.now, quietAfterMs: 1_000 })
  try {
    await runtime.migrate()
    await registerTenants(redis, cfg.redis.keyPrefix, ['acme'])
    await new RedisRoutingStore(redis, cfg.redis.keyPrefix, Date.now, { allowInsecureUrls: true, defaultAlertmanagerUrl: cfg.alertmanagerUrl }).put('acme', {
      receivers: [{ name: 'hook', type: 'webhook', url: `${hook.url}/x`, signing_secret: { secret: 'hook' } }],
      route: { routes: [{ matchers: [{ name: 'source', op: '=', value: 'detector' }], receiver: 'hook' }] },
    }, 'test')
    const loop = runtime.run()
    const minute = Math.floor(Date.now() / 60_000) * 60_000
    const finding = (score: number, m: number): DetectorFinding => ({ kind: 'detector', detector: 'seasonal_z', tenant: 'acme', level: 'campaign', entity: 'cmp_7', account: 'act_1', score, explanation: 'spend rate 9.1/min vs 1.2 expected', expected: 1.2, actual: 9.1, feature: 'spend_rate', atMs: minute + m * 60_000 })
    await sink.submit([finding(0.95, 0), { ...finding(0.79, 0), entity: 'cmp_8' }])
    await waitFor('the detector alert', async () => hook.accepted().length === 1, 20_000, 50)
    const body = hook.accepted()[0]!.json as { alerts: Array<{ entity: string; source: string; sourceId: string; values: Record<string, unknown>; explanation: string; status: string }> }
    assert.deepEqual(body.alerts.map((a) => [a.entity, a.source, a.sourceId, a.status]), [['cmp_7', 'detector', 'seasonal_z', 'firing']], 'cmp_8 at 0.79 stays under the 0.8 threshold')
    assert.deepEqual(body.alerts[0]!.values, { score: 0.95, feature: 'spend_rate', expected: 1.2, actual: 9.1 })
    // Later minutes bring no finding for cmp_7 (detectors report only scores above the threshold): the sweep resolves it.
    await sink.submit([finding(0.93, 1)])
    await sink.sweep(minute + 5 * 60_000, ['acme'])
    await waitFor('the resolve', async () => hook.accepted().length === 2, 20_000, 50)
    assert.equal((hook.accepted()[1]!.json as { alerts: Array<{ status: string }> }).alerts[0]!.status, 'resolved')
    await new Promise((r) => setTimeout(r, 1_500))
    assert.equal(hook.accepted().length, 2, 'one trigger and one resolve, nothing more')
    await runtime.stop()
    await loop
  } finally {
    sink.stop()
    await runtime.stop().catch(() => undefined)
    await dropAlertsTestData(cfg, redis)
    await redis.quit()
    await hook.close()
  }
})
