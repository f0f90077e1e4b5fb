import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { createLogger } from '../core/log.ts'
import { registerTenants } from '../stream/tenant-directory.ts'
import { waitFor } from '../stream/testing/integration-env.ts'
import { RedisAlertEventLog } from './redis-event-log.ts'
import { RedisRoutingStore } from './redis-routing-store.ts'
import { createAlertsRuntime } from './runtime.ts'
import { StaticSecretResolver } from './secrets.ts'
import { alertsTestConfig, dropAlertsTestData, requireAlertServers, ruleEvent } from './testing/alerts-env.ts'

/** An alert as Alertmanager's API v2 returns it (the fields this test reads). */
interface GettableAlert {
  labels: Record<string, string>
  annotations: Record<string, string>
  startsAt: string
  endsAt: string
  generatorURL?: string
  status: { state: string }
}

/** GET /api/v2/alerts of one alertname (active, silenced, inhibited and unprocessed alike). */
async function alertsNamed(amUrl: string, alertname: string): Promise<GettableAlert[]> {
  const u = new URL('api/v2/alerts', amUrl.endsWith('/') ? amUrl : `${amUrl}/`)
  u.searchParams.append('filter', `alertname="${alertname}"`)
  for (const p of ['active', 'silenced', 'inhibited', 'unprocessed']) u.searchParams.set(p, 'true')
  const res = await fetch(u)
  assert.equal(res.status, 200, await res.clone().text())
  return (await res.json()) as GettableAlert[]
}

test('Debian\'s prometheus-alertmanager shows adwatch\'s alerts in GET /api/v2/alerts and they resolve there', { timeout: 60_000 }, async () => {
  const { cfg } = alertsTestConfig('alerts-am', { ADW_ALERTS_DASHBOARD_URL: 'https://adwatch.example' })
  await requireAlertServers(cfg, { alertmanager: true })
  const redis = new Redis(cfg.redis.url)
  const runtime = createAlertsRuntime(cfg, createLogger('warn', 'alerts-it'), { secrets: new StaticSecretResolver({}, new Map()) })
  const rule = `am-it-${Date.now().toString(36)}`
  try {
    await runtime.migrate()
    await registerTenants(redis, cfg.redis.keyPrefix, ['acme'])
    // The alertmanager receiver's URL defaults to ADW_ALERTMANAGER_URL (the server the test command starts).
    await new RedisRoutingStore(redis, cfg.redis.keyPrefix, Date.now, { allowInsecureUrls: true, defaultAlertmanagerUrl: cfg.alertmanagerUrl }).put('acme', { receivers: [{ name: 'am', type: 'alertmanager' }], route: { receiver: 'am' } }, 'test')
    const loop = runtime.run()
    const log = new RedisAlertEventLog(redis, cfg.redis.keyPrefix)
    const t0 = Date.now() - 5_000
    await log.submit(['c01', 'c02'].map((c) => ruleEvent('firing', { tenant: 'acme', rule, entity: c, startsAtMs: t0, atMs: Date.now() })))

    await waitFor('both alerts active in Alertmanager', async () => (await alertsNamed(cfg.alertmanagerUrl, rule)).filter((a) => a.status.state === 'active').length === 2, 20_000, 200)
    const active = (await alertsNamed(cfg.alertmanagerUrl, rule)).sort((a, b) => (a.labels.entity ?? '').localeCompare(b.labels.entity ?? ''))
    assert.deepEqual(active.map((a) => a.labels.entity), ['c01', 'c02'])
    const a = active[0]!
    assert.deepEqual(
      { alertname: a.labels.alertname, severity: a.labels.severity, tenant: a.labels.tenant, level: a.labels.level, account: a.labels.account, campaign: a.labels.campaign, team: a.labels.team, source: a.labels.source },
      { alertname: rule, severity: 'critical', tenant: 'acme', level: 'campaign', account: 'act_1', campaign: 'c01', team: 'growth', source: 'rule' },
    )
    assert.equal(a.annotations.summary, 'spend_5m $192 on c01')
    assert.equal(a.annotations.conditions, 'spend_5m = 192 > 80 ✓')
    assert.equal(Date.parse(a.startsAt), t0)
    assert.ok(Date.parse(a.endsAt) > Date.now() + 3_600_000, 'a firing alert carries endsAt = now + alert_ttl, so Alertmanager keeps it')
    assert.match(a.generatorURL ?? '', /^https:\/\/adwatch\.example\/alerts\/[0-9a-f]{16}\?tenant=acme$/)

    await log.submit(['c01', 'c02'].map((c) => ruleEvent('resolved', { tenant: 'acme', rule, entity: c, startsAtMs: t0, atMs: Date.now() })))
    // Resolved alerts (endsAt in the past) leave Alertmanager's list of alerts.
    await waitFor('both alerts resolved in Alertmanager', async () => (await alertsNamed(cfg.alertmanagerUrl, rule)).length === 0, 20_000, 200)
    // Both pushes (the firing group, then the resolved one) are recorded as delivered.
    await waitFor('notification records', async () => (await runtime.history.notifications('acme', { receiver: 'am' })).length === 2, 20_000, 200)
    assert.deepEqual((await runtime.history.notifications('acme', { receiver: 'am' })).map((n) => [n.receiverType, n.outcome, n.statuses.join(',')]).reverse(), [['alertmanager', 'delivered', 'firing,firing'], ['alertmanager', 'delivered', 'resolved,resolved']])

    await runtime.stop()
    await loop
  } finally {
    await runtime.stop().catch(() => undefined)
    await dropAlertsTestData(cfg, redis)
    await redis.quit()
  }
})
