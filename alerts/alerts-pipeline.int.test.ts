import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { createLogger } from '../core/log.ts'
import { registerTenants } from '../stream/tenant-directory.ts'
import { waitFor } from '../stream/testing/integration-env.ts'
import type { AlertEvent } from './alert-event.ts'
import { RedisAlertQueries } from './alert-queries.ts'
import { RedisAlertEventLog } from './redis-event-log.ts'
import { RedisRoutingStore } from './redis-routing-store.ts'
import { RedisSilenceStore } from './redis-silence-store.ts'
import { createAlertsRuntime } from './runtime.ts'
import { StaticSecretResolver } from './secrets.ts'
import { alertsTestConfig, dropAlertsTestData, requireAlertServers, ruleEvent } from './testing/alerts-env.ts'
import { LocalReceiver } from './testing/local-receiver.ts'
import { validatePagerDutyEvent } from './testing/pagerduty-events-v2.ts'
import { validateSlackMessage } from './testing/slack-block-kit.ts'

const RULE = 'spend-spike'
const CAMPAIGNS = ['c01', 'c02', 'c03']
const PD_KEY = '0123456789abcdef0123456789abcdef'

/** PagerDuty events as "fingerprint:action", in arrival order. */
function pdActions(pd: LocalReceiver): string[] {
  return pd.accepted().map((r) => {
    const e = r.json as { dedup_key: string; event_action: string }
    return `${e.dedup_key}:${e.event_action}`
  })
}

/** Slack messages as lists of "fingerprint:status" (fingerprints are in each alert's context line). */
function slackAlerts(slack: LocalReceiver): Array<{ status: string; fingerprints: string[] }> {
  return slack.accepted().map((r) => {
    const text = JSON.stringify(r.json)
    return { status: text.includes('RESOLVED') ? 'resolved' : 'firing', fingerprints: [...text.matchAll(/fingerprint `([0-9a-f]{16})`/g)].map((m) => m[1]!) }
  })
}

test('a spike: exactly one PagerDuty trigger and one resolve per fingerprint, Slack Block Kit and PagerDuty Events v2 payloads valid; a silence in between holds notifications back but the alert resolves in history', { timeout: 110_000 }, async () => {
  const { cfg } = alertsTestConfig('alerts-pipe')
  await requireAlertServers(cfg)
  const slack = await LocalReceiver.start()
  const pd = await LocalReceiver.start(() => ({ status: 202, body: '{"status":"success","message":"Event processed"}' }))
  const secrets = new StaticSecretResolver({ acme: { slack: `${slack.url}/services/T000/B000/XXXX`, pd: PD_KEY } }, new Map())
  const redis = new Redis(cfg.redis.url)
  const log = createLogger('warn', 'alerts-it')
  const runtime = createAlertsRuntime(cfg, log, { secrets })
  const eventLog = new RedisAlertEventLog(redis, cfg.redis.keyPrefix)
  const silences = new RedisSilenceStore(redis, cfg.redis.keyPrefix, Date.now)
  const queries = new RedisAlertQueries(redis, cfg.redis.keyPrefix, Date.now)
  try {
    await runtime.migrate()
    await registerTenants(redis, cfg.redis.keyPrefix, ['acme'])
    await new RedisRoutingStore(redis, cfg.redis.keyPrefix, Date.now, { allowInsecureUrls: true, defaultAlertmanagerUrl: cfg.alertmanagerUrl }).put('acme', {
      receivers: [
        { name: 'oncall-slack', type: 'slack', webhook_url: { secret: 'slack' } },
        { name: 'pager', type: 'pagerduty', routing_key: { secret: 'pd' }, url: `${pd.url}/v2/enqueue`, rate_limit: { per_second: 50, burst: 10 } },
      ],
      route: { receiver: 'oncall-slack', routes: [{ matchers: [{ name: 'severity', op: '=', value: 'critical' }], receiver: 'pager', continue: true }, { receiver: 'oncall-slack' }] },
    }, 'test')
    const loop = runtime.run()

    // --- The spike: three campaigns fire; the log also carries a repeated event (at-least-once writers) and a refresh.
    const t0 = Date.now()
    const fire = (entity: string, at: number, startsAt = at) => ruleEvent('firing', { tenant: 'acme', rule: RULE, entity, startsAtMs: startsAt, atMs: at })
    const resolve = (entity: string, startsAt: number, at: number) => ruleEvent('resolved', { tenant: 'acme', rule: RULE, entity, startsAtMs: startsAt, atMs: at })
    const spike: AlertEvent[] = CAMPAIGNS.map((c) => fire(c, t0))
    await eventLog.submit([...spike, spike[0]!, fire('c01', t0 + 10, t0)])
    const fps = spike.map((e) => e.fingerprint)
    await waitFor('3 PagerDuty triggers', async () => pd.accepted().length >= 3, 20_000, 50)
    await eventLog.submit(CAMPAIGNS.map((c) => resolve(c, t0, Date.now())))
    await waitFor('3 PagerDuty resolves', async () => pd.accepted().length >= 6, 20_000, 50)
    await waitFor('Slack firing and resolved messages', async () => slackAlerts(slack).filter((m) => m.status === 'resolved').flatMap((m) => m.fingerprints).length >= 3, 20_000, 50)
    await new Promise((r) => setTimeout(r, 2_500)) // more than a group interval: nothing else may arrive

    for (const fp of fps) assert.deepEqual(pdActions(pd).filter((a) => a.startsWith(fp)), [`${fp}:trigger`, `${fp}:resolve`], `PagerDuty: one trigger, then one resolve for ${fp}`)
    assert.equal(pd.requests.length, 6, 'nothing else reached PagerDuty')
    for (const r of pd.requests) assert.deepEqual(validatePagerDutyEvent(r.json), [], `PagerDuty payload: ${r.body}`)
    const trigger = pd.requests[0]!.json as { routing_key: string; payload: { severity: string; custom_details: { values: unknown; conditions: string } } }
    assert.equal(trigger.routing_key, PD_KEY)
    assert.equal(trigger.payload.severity, 'critical')
    assert.deepEqual(trigger.payload.custom_details.values, { spend_5m: 192 })
    assert.equal(trigger.payload.custom_details.conditions, 'spend_5m = 192 > 80 ✓')
    for (const r of slack.requests) assert.deepEqual(validateSlackMessage(r.json), [], `Slack payload: ${r.body}`)
    for (const fp of fps) {
      const seen = slackAlerts(slack).flatMap((m) => m.fingerprints.filter((f) => f === fp).map(() => m.status))
      assert.deepEqual(seen, ['firing', 'resolved'], `Slack: ${fp} once firing, then once resolved`)
    }

    // History: every transition with values and explanation; every delivery recorded.
    await waitFor('history of the spike', async () => (await runtime.history.transitions('acme', { kinds: ['firing', 'resolved'] })).length >= 8, 20_000)
    const rows = await runtime.history.transitions('acme', { fingerprint: fps[1] })
    assert.deepEqual(rows.map((r) => r.kind).reverse(), ['firing', 'resolved'])
    assert.equal(rows[1]?.explanation, 'spend_5m = 192 > 80 ✓')
    assert.deepEqual(rows[1]?.values, { spend_5m: 192 })
    assert.equal(rows[1]?.labels.team, 'growth')
    await waitFor('notification records', async () => (await runtime.history.notifications('acme', { receiver: 'pager' })).length === 6, 20_000)
    assert.ok((await runtime.history.notifications('acme', { receiver: 'pager' })).every((n) => n.outcome === 'delivered' && n.attempts === 1))

    // --- A silence in between: c01 fires again and is announced; then silenced; it resolves under the silence.
    const t1 = Date.now()
    await eventLog.submit([fire('c01', t1)])
    await waitFor('the second trigger of c01', async () => pdActions(pd).length === 7, 20_000, 50)
    const silence = await silences.create('acme', { matchers: [{ name: 'alertname', op: '=', value: RULE }], endsAtMs: Date.now() + 3_600_000, author: 'on-call', comment: 'investigating' })
    // A third campaign fires and resolves entirely under the silence.
    const t2 = Date.now() + 200
    await eventLog.submit([fire('c03', t2), resolve('c01', t1, t2 + 100)])
    await new Promise((r) => setTimeout(r, 500))
    await eventLog.submit([resolve('c03', t2, Date.now())])
    await new Promise((r) => setTimeout(r, 3_000))
    assert.equal(pdActions(pd).length, 7, 'no PagerDuty event while silenced (neither the resolve of c01 nor anything of c03)')
    const slackCount = slack.requests.length
    // Evaluation and history go on: both resolves are in ClickHouse.
    await waitFor('resolves under the silence in history', async () => (await runtime.history.transitions('acme', { kinds: ['resolved'], fromMs: t1 })).length === 2, 20_000)
    assert.deepEqual((await runtime.history.transitions('acme', { fingerprint: fps[2], fromMs: t2 })).map((r) => r.kind).reverse(), ['firing', 'resolved'])
    // The resolve of the announced c01 waits for the silence to end; then it goes out, so the incident closes.
    assert.equal((await queries.get('acme', fps[0]!)).silencedBy[0], silence.id)
    await silences.expire('acme', silence.id)
    await waitFor('the held resolve after the silence', async () => pdActions(pd).length === 8, 20_000, 50)
    assert.equal(pdActions(pd)[7], `${fps[0]}:resolve`)
    await new Promise((r) => setTimeout(r, 1_500))
    assert.equal(pdActions(pd).length, 8, 'c03, resolved under the silence, is never notified')
    assert.ok(slack.requests.length >= slackCount + 1 && slack.requests.slice(slackCount).every((r) => JSON.stringify(r.json).includes('RESOLVED')))

    await runtime.stop()
    await loop
  } finally {
    await runtime.stop().catch(() => undefined)
    await dropAlertsTestData(cfg, redis)
    await redis.quit()
    await Promise.all([slack.close(), pd.close()])
  }
})

