import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { createClickHouse } from '../core/clickhouse.ts'
import { createLogger } from '../core/log.ts'
import { createRulesRuntime } from '../rules/runtime.ts'
import type { AdEventInput } from '../stream/event.ts'
import { putEvents } from '../stream/producer/put-records.ts'
import { registerTenants } from '../stream/tenant-directory.ts'
import { dropTestData } from '../stream/testing/cleanup.ts'
import { createTestStream, requireServers, waitFor } from '../stream/testing/integration-env.ts'
import { redisAccountedRecords } from '../stream/testing/truth-check.ts'
import { startWorker } from '../stream/worker-runtime.ts'
import { fingerprintOf } from './alert-event.ts'
import { RedisRoutingStore } from './redis-routing-store.ts'
import { createAlertsRuntime } from './runtime.ts'
import { StaticSecretResolver } from './secrets.ts'
import { alertsTestConfig } from './testing/alerts-env.ts'
import { LocalReceiver } from './testing/local-receiver.ts'

const MIN = 60_000
const T0 = Math.floor((Date.now() - 30 * MIN) / MIN) * MIN
const SPIKE_START = T0 + 5 * MIN
const SPIKED = ['c01', 'c02', 'c03'] // $6/min normally, $60/min for 6 minutes: spend_5m crosses $80
const CAMPAIGNS = ['c01', 'c02', 'c03', 'c04', 'c05', 'c06']

function traffic(): AdEventInput[] {
  const out: AdEventInput[] = []
  let n = 0
  for (let m = 0; m < 16; m++) {
    const minute = T0 + m * MIN
    const inSpike = minute >= SPIKE_START && minute < SPIKE_START + 6 * MIN
    for (const c of CAMPAIGNS) {
      for (let s = 0; s < 6; s++) out.push({ id: `a-${n++}`, ts: minute + s * 10_000, tenant: 'acme', platform: 'meta', account: 'act_1', campaign: c, type: 'spend', impressions: 10, spend_micros: inSpike && SPIKED.includes(c) ? 10_000_000 : 1_000_000, currency: 'USD' })
    }
  }
  return out
}

test('end to end through the real rules runner: Kinesis ▸ worker ▸ rules (injected clock) ▸ event log ▸ alerts ▸ signed webhook, one trigger and one resolve per spiked campaign', { timeout: 110_000 }, async () => {
  const { cfg } = alertsTestConfig('alerts-e2e')
  await requireServers(cfg)
  const kinesis = await createTestStream(cfg, 2)
  const redis = new Redis(cfg.redis.url)
  const ch = createClickHouse(cfg.clickhouse)
  const hook = await LocalReceiver.start()
  const log = createLogger('error', 'alerts-e2e')
  await registerTenants(redis, cfg.redis.keyPrefix, ['acme'])
  const worker = await startWorker(cfg, log)
  const rules = createRulesRuntime(cfg, log) // its sink: the tenant's alert event log in Redis
  const alerts = createAlertsRuntime(cfg, log, { secrets: new StaticSecretResolver({ acme: { hook: 'whsec-e2e' } }, new Map()) })
  try {
    await new RedisRoutingStore(redis, cfg.redis.keyPrefix, Date.now, { allowInsecureUrls: true, defaultAlertmanagerUrl: cfg.alertmanagerUrl }).put('acme', {
      receivers: [{ name: 'hook', type: 'webhook', url: `${hook.url}/adwatch`, signing_secret: { secret: 'hook' } }],
      route: { receiver: 'hook' },
    }, 'test')
    const loop = alerts.run()
    const records = traffic()
    await putEvents(kinesis, cfg.kinesis.streamName, records, { concurrency: 2 })
    await waitFor('all events folded', async () => (await redisAccountedRecords(redis, cfg)) === records.length, 60_000)
    await rules.rules.save('acme', {
      id: 'spend-spike', name: 'Spend spike', level: 'campaign', severity: 'critical', for: '2m',
      annotations: { summary: 'spend_5m ${{spend_5m}} on {{entity}}' },
      conditions: { all: [{ fact: 'spend_5m', operator: 'greaterThan', value: 80 }] },
    }, 'test')

    // Up to the firing tick (2 minutes into the spike), then let the alerts process notify.
    let t = T0
    for (; t <= SPIKE_START + 2 * MIN; t += 10_000) await rules.runner.tick(t)
    const alertsIn = (status: string) => hook.accepted().flatMap((r) => (r.json as { alerts: Array<{ entity: string; status: string }> }).alerts.filter((a) => a.status === status).map((a) => a.entity))
    await waitFor('the triggers', async () => alertsIn('firing').length >= 3, 20_000, 50)
    for (; t <= T0 + 16 * MIN; t += 10_000) await rules.runner.tick(t)
    await waitFor('the resolves', async () => alertsIn('resolved').length >= 3, 20_000, 50)
    await new Promise((r) => setTimeout(r, 2_000))

    assert.deepEqual(alertsIn('firing').sort(), SPIKED, 'one trigger per spiked campaign, none for the others')
    assert.deepEqual(alertsIn('resolved').sort(), SPIKED, 'one resolve each')
    const first = (hook.accepted()[0]!.json as { alerts: Array<{ explanation: string; values: unknown; annotations: { summary: string } }> }).alerts[0]!
    assert.equal(first.explanation, 'spend_5m = 192 > 80 ✓', 'json-rules-engine\'s explanation reaches the receiver')
    assert.deepEqual(first.values, { spend_5m: 192 })
    // History has the whole lifecycle of each, at the rules engine's (injected) times.
    const fp = fingerprintOf('spend-spike', 'acme', 'campaign', 'c02', {})
    await waitFor('history', async () => (await alerts.history.transitions('acme', { fingerprint: fp })).length === 3, 20_000)
    const rows = (await alerts.history.transitions('acme', { fingerprint: fp })).reverse()
    assert.deepEqual(rows.map((r) => [r.kind, r.atMs]).slice(0, 2), [['pending', SPIKE_START], ['firing', SPIKE_START + 2 * MIN]])
    // When exactly the 5m window lets go of the spike is the rules engine's contract (rules/evaluation-runner.int.test.ts).
    assert.equal(rows[2]?.kind, 'resolved')
    assert.ok((rows[2]?.atMs ?? 0) >= SPIKE_START + 6 * MIN, 'resolved after the spike ended')

    await alerts.stop()
    await loop
  } finally {
    await alerts.stop().catch(() => undefined)
    await worker.close()
    await rules.close()
    await hook.close()
    await dropTestData(cfg, { redis, ch, kinesis })
  }
})
