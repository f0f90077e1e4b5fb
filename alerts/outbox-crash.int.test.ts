import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { createClickHouse } from '../core/clickhouse.ts'
import { migrate } from '../core/migrate.ts'
import { RedisKeys } from '../stream/redis-keys.ts'
import { registerTenants } from '../stream/tenant-directory.ts'
import { waitFor } from '../stream/testing/integration-env.ts'
import type { AlertEvent } from './alert-event.ts'
import { NOTIFICATION_ID_HEADER } from './notifiers/webhook-notifier.ts'
import { RedisAlertEventLog } from './redis-event-log.ts'
import { RedisOutbox } from './redis-outbox.ts'
import { RedisRoutingStore } from './redis-routing-store.ts'
import { alertsTestConfig, dropAlertsTestData, requireAlertServers, ruleEvent, spawnAlertsProcess } from './testing/alerts-env.ts'
import { failUntil, LocalReceiver } from './testing/local-receiver.ts'

test('the alerts process SIGKILLed while the outbox holds notifications for a failing receiver: another process takes the tenant over, and every notification arrives exactly once, in order per fingerprint', { timeout: 110_000 }, async () => {
  const until = Date.now() + 25_000
  const hook = await LocalReceiver.start(failUntil(until, 500))
  const { cfg, env } = alertsTestConfig('alerts-crash', { ADW_ALERTS_SECRET_ACME_HOOK: 'whsec-crash-test-key' })
  await requireAlertServers(cfg)
  const redis = new Redis(cfg.redis.url)
  const keys = new RedisKeys(cfg.redis.keyPrefix)
  const eventLog = new RedisAlertEventLog(redis, cfg.redis.keyPrefix)
  const outbox = new RedisOutbox(redis, cfg.redis.keyPrefix, 'probe', 100)
  const admin = createClickHouse(cfg.clickhouse, 'default')
  await migrate(admin, cfg.clickhouse.database)
  await admin.close()
  await registerTenants(redis, cfg.redis.keyPrefix, ['acme'])
  await new RedisRoutingStore(redis, cfg.redis.keyPrefix, Date.now, { allowInsecureUrls: true, defaultAlertmanagerUrl: cfg.alertmanagerUrl }).put('acme', {
    receivers: [{ name: 'hook', type: 'webhook', url: `${hook.url}/adwatch`, signing_secret: { secret: 'hook' } }],
    route: { receiver: 'hook' },
  }, 'test')
  const first = spawnAlertsProcess({ ...env, ADW_ALERTS_WORKER_ID: 'alerts-a' }, 'a')
  let second: ReturnType<typeof spawnAlertsProcess> | undefined
  try {
    await waitFor('process A holds the tenant', async () => (await redis.get(keys.alertsLease('acme')))?.startsWith('alerts-a|') === true, 30_000, 100)
    const t0 = Date.now()
    const ev = (kind: AlertEvent['kind'], entity: string, startsAt: number) => ruleEvent(kind, { tenant: 'acme', rule: 'crash', entity, startsAtMs: startsAt, atMs: Date.now() })
    for (const step of [[ev('firing', 'f1', t0), ev('firing', 'f2', t0), ev('firing', 'f3', t0)], [ev('resolved', 'f1', t0)], [ev('firing', 'f1', t0 + 3000)]]) {
      await eventLog.submit(step)
      await new Promise((r) => setTimeout(r, 1_600))
    }
    await waitFor('three notifications in the outbox', async () => (await outbox.depth('acme')) >= 3, 10_000, 100)
    assert.ok(hook.requests.length > 0 && hook.accepted().length === 0, 'A is retrying against the failing receiver')

    first.child.kill('SIGKILL')
    assert.equal(await first.exited, 'SIGKILL')
    const held = await outbox.depth('acme')
    assert.ok(held >= 3, `the outbox still holds ${held} notifications after the crash`)
    // While no process runs, the rules engine goes on writing: nothing is lost.
    await eventLog.submit([ev('resolved', 'f2', t0)])

    // B has another id: it waits for A's lease to expire, then claims A's pending entries.
    second = spawnAlertsProcess({ ...env, ADW_ALERTS_WORKER_ID: 'alerts-b' }, 'b')
    await waitFor('process B takes the tenant over', async () => (await redis.get(keys.alertsLease('acme')))?.startsWith('alerts-b|') === true, 30_000, 100)
    await waitFor('every notification after the receiver recovers', async () => hook.accepted().flatMap((r) => (r.json as { alerts: unknown[] }).alerts).length >= 6, 60_000, 100)
    await new Promise((r) => setTimeout(r, 3_000))

    const fp = (e: string) => ruleEvent('firing', { tenant: 'acme', rule: 'crash', entity: e, startsAtMs: 0, atMs: 0 }).fingerprint
    const seq = new Map<string, string[]>()
    for (const r of hook.accepted()) for (const a of (r.json as { alerts: Array<{ fingerprint: string; status: string }> }).alerts) seq.set(a.fingerprint, [...(seq.get(a.fingerprint) ?? []), a.status])
    assert.deepEqual(seq, new Map([[fp('f1'), ['firing', 'resolved', 'firing']], [fp('f2'), ['firing', 'resolved']], [fp('f3'), ['firing']]]))
    const ids = hook.accepted().map((r) => String(r.headers[NOTIFICATION_ID_HEADER]))
    assert.equal(new Set(ids).size, ids.length, 'no notification accepted twice')
    assert.ok(hook.accepted().every((r) => r.atMs >= until))
    assert.equal(await outbox.depth('acme'), 0)
    assert.equal(await redis.llen(keys.alertDeadLetters('acme')), 0)

    second.child.kill('SIGTERM')
    assert.equal(await second.exited, 0, 'SIGTERM stops the alerts process gracefully')
    assert.equal(await redis.get(keys.alertsLease('acme')), null, 'and it gives the lease up')
  } finally {
    for (const p of [first, second]) if (p !== undefined && p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
    await dropAlertsTestData(cfg, redis)
    await redis.quit()
    await hook.close()
  }
})
