import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { Secret } from '../core/config.ts'
import { createLogger } from '../core/log.ts'
import { RedisKeys } from '../stream/redis-keys.ts'
import { registerTenants } from '../stream/tenant-directory.ts'
import { waitFor } from '../stream/testing/integration-env.ts'
import type { AlertEvent } from './alert-event.ts'
import { NOTIFICATION_ID_HEADER, SIGNATURE_HEADER, verifyWebhookSignature } from './notifiers/webhook-notifier.ts'
import { RedisAlertEventLog } from './redis-event-log.ts'
import { RedisOutbox } from './redis-outbox.ts'
import { RedisRoutingStore } from './redis-routing-store.ts'
import { createAlertsRuntime } from './runtime.ts'
import { StaticSecretResolver } from './secrets.ts'
import { alertsTestConfig, dropAlertsTestData, requireAlertServers, ruleEvent } from './testing/alerts-env.ts'
import { failUntil, LocalReceiver, type ReceivedRequest } from './testing/local-receiver.ts'

const OUTAGE_MS = 30_000
const HOOK_KEY = 'whsec-outage-test-key'
const PD_KEY = 'fedcba9876543210fedcba9876543210'

/** Per fingerprint, the statuses a webhook receiver accepted, in arrival order. */
function webhookSequences(reqs: readonly ReceivedRequest[]): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const r of reqs) for (const a of (r.json as { alerts: Array<{ fingerprint: string; status: string }> }).alerts) out.set(a.fingerprint, [...(out.get(a.fingerprint) ?? []), a.status])
  return out
}

/** Per fingerprint, the actions PagerDuty accepted, in arrival order. */
function pagerSequences(reqs: readonly ReceivedRequest[]): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const r of reqs) {
    const e = r.json as { dedup_key: string; event_action: string }
    out.set(e.dedup_key, [...(out.get(e.dedup_key) ?? []), e.event_action === 'trigger' ? 'firing' : 'resolved'])
  }
  return out
}

test('receivers down for 30 s (a webhook answering 500, PagerDuty answering 429 with Retry-After): afterwards every notification arrives exactly once, in order per fingerprint', { timeout: 110_000 }, async () => {
  const { cfg } = alertsTestConfig('alerts-outage')
  await requireAlertServers(cfg)
  const until = Date.now() + OUTAGE_MS
  const hook = await LocalReceiver.start(failUntil(until, 500))
  const pd = await LocalReceiver.start(failUntil(until, 429, 2, () => ({ status: 202, body: '{"status":"success"}' })))
  const secrets = new StaticSecretResolver({ acme: { hook: HOOK_KEY, pd: PD_KEY } }, new Map())
  const redis = new Redis(cfg.redis.url)
  const runtime = createAlertsRuntime(cfg, createLogger('error', 'alerts-it'), { secrets })
  const eventLog = new RedisAlertEventLog(redis, cfg.redis.keyPrefix)
  try {
    await runtime.migrate()
    await registerTenants(redis, cfg.redis.keyPrefix, ['acme'])
    await new RedisRoutingStore(redis, cfg.redis.keyPrefix, Date.now, { allowInsecureUrls: true, defaultAlertmanagerUrl: cfg.alertmanagerUrl }).put('acme', {
      receivers: [
        { name: 'hook', type: 'webhook', url: `${hook.url}/adwatch`, signing_secret: { secret: 'hook' } },
        { name: 'pager', type: 'pagerduty', routing_key: { secret: 'pd' }, url: `${pd.url}/v2/enqueue`, rate_limit: { per_second: 20, burst: 5 } },
      ],
      route: { receiver: 'hook', routes: [{ receiver: 'pager', continue: true }, { receiver: 'hook' }] },
    }, 'test')
    const loop = runtime.run()

    // While both receivers are down: f1 fires, resolves, fires again and resolves again; f2 fires
    // and resolves; f3 and f4 fire. Each step waits past the group interval (1 s), so every step
    // is its own notification in the outbox.
    const t0 = Date.now()
    const ev = (kind: AlertEvent['kind'], entity: string, startsAt: number) => ruleEvent(kind, { tenant: 'acme', rule: 'outage', entity, startsAtMs: startsAt, atMs: Date.now() })
    const steps: AlertEvent[][] = [
      [ev('firing', 'f1', t0), ev('firing', 'f2', t0), ev('firing', 'f3', t0), ev('firing', 'f4', t0)],
      [ev('resolved', 'f1', t0), ev('resolved', 'f2', t0)],
      [ev('firing', 'f1', t0 + 5000)],
      [ev('resolved', 'f1', t0 + 5000)],
    ]
    for (const s of steps) {
      await eventLog.submit(s)
      await new Promise((r) => setTimeout(r, 1_600))
    }
    const outbox = new RedisOutbox(redis, cfg.redis.keyPrefix, 'probe', 100)
    assert.ok((await outbox.depth('acme')) >= 8, 'the outbox holds the notifications while the receivers are down')
    assert.equal(hook.accepted().length + pd.accepted().length, 0)

    await waitFor('every notification after the outage', async () => pd.accepted().length >= 8 && [...webhookSequences(hook.accepted()).values()].flat().length >= 8, OUTAGE_MS + 40_000, 100)
    await new Promise((r) => setTimeout(r, 3_000)) // nothing more may come

    const fp = (e: string) => ruleEvent('firing', { tenant: 'acme', rule: 'outage', entity: e, startsAtMs: 0, atMs: 0 }).fingerprint
    const expected = new Map([
      [fp('f1'), ['firing', 'resolved', 'firing', 'resolved']],
      [fp('f2'), ['firing', 'resolved']],
      [fp('f3'), ['firing']],
      [fp('f4'), ['firing']],
    ])
    // Exactly once, in order per fingerprint, at both receivers.
    assert.deepEqual(pagerSequences(pd.accepted()), expected, 'PagerDuty after 429s')
    assert.deepEqual(webhookSequences(hook.accepted()), expected, 'webhook after 500s')
    const ids = hook.accepted().map((r) => String(r.headers[NOTIFICATION_ID_HEADER]))
    assert.equal(new Set(ids).size, ids.length, 'no webhook notification id was accepted twice')
    for (const r of hook.accepted()) assert.ok(verifyWebhookSignature(String(r.headers[SIGNATURE_HEADER]), r.body, new Secret(HOOK_KEY), Math.floor(r.atMs / 1000)), 'signed')
    // The failures were retried, not dropped: many tries during the outage, none after it.
    assert.ok(hook.requests.filter((r) => r.status === 500).length >= 5, `webhook tries during the outage: ${hook.requests.length}`)
    assert.ok(pd.requests.filter((r) => r.status === 429).length >= 3)
    assert.ok(hook.accepted().every((r) => r.atMs >= until) && pd.accepted().every((r) => r.atMs >= until))
    // 429 with Retry-After 2 s: PagerDuty was never hit faster than every 2 s while throttling.
    const throttled = pd.requests.filter((r) => r.status === 429).map((r) => r.atMs)
    for (let i = 1; i < throttled.length; i++) assert.ok(throttled[i]! - throttled[i - 1]! >= 1_900, `429 retries ${throttled[i]! - throttled[i - 1]!} ms apart`)
    // Nothing left in the outbox, nothing dead-lettered.
    assert.equal(await outbox.depth('acme'), 0)
    assert.equal(await redis.llen(new RedisKeys(cfg.redis.keyPrefix).alertDeadLetters('acme')), 0)

    await runtime.stop()
    await loop
  } finally {
    await runtime.stop().catch(() => undefined)
    await dropAlertsTestData(cfg, redis)
    await redis.quit()
    await Promise.all([hook.close(), pd.close()])
  }
})
