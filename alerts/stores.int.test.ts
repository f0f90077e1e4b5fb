import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { createLogger } from '../core/log.ts'
import { RedisKeys } from '../stream/redis-keys.ts'
import { registerTenants } from '../stream/tenant-directory.ts'
import { waitFor } from '../stream/testing/integration-env.ts'
import { RedisAckStore } from './redis-ack-store.ts'
import { RedisAlertQueries } from './alert-queries.ts'
import { AlertsLeaseManager } from './alerts-lease.ts'
import { AlertLeaseLostError, AlertNotFoundError, RoutingConfigError, SilenceInvalidError } from './errors.ts'
import { RedisAlertEventLog } from './redis-event-log.ts'
import { RedisAlertStore } from './redis-alert-store.ts'
import { RedisOutbox } from './redis-outbox.ts'
import { RedisRoutingStore } from './redis-routing-store.ts'
import { RedisSilenceStore } from './redis-silence-store.ts'
import { createAlertsRuntime } from './runtime.ts'
import { StaticSecretResolver } from './secrets.ts'
import { alertsTestConfig, dropAlertsTestData, requireAlertServers, ruleEvent } from './testing/alerts-env.ts'
import { alertOf } from './testing/fixtures.ts'
import { LocalReceiver } from './testing/local-receiver.ts'
import { emptyTenantState, TenantStateDraft } from './tenant-state.ts'

test('the stores the gateway uses: routing configs, silences, acknowledgements, live alerts; lease fencing', { timeout: 60_000 }, async () => {
  const { cfg } = alertsTestConfig('alerts-stores')
  await requireAlertServers(cfg)
  const redis = new Redis(cfg.redis.url)
  const p = cfg.redis.keyPrefix
  let now = Date.now()
  const clock = () => now
  try {
    const routing = new RedisRoutingStore(redis, p, clock, { allowInsecureUrls: false, defaultAlertmanagerUrl: 'https://am.example' })
    await assert.rejects(routing.put('acme', { receivers: [{ name: 'x', type: 'carrier-pigeon' }], route: { receiver: 'x' } }, 'ana'), (e: RoutingConfigError) => e.code === 'ADW_ALERT_ROUTING_INVALID' && e.problems.some((q) => q.path === '$.receivers[0].type'))
    assert.equal(await routing.get('acme'), undefined, 'an invalid config is not stored')
    const saved = await routing.put('acme', { receivers: [{ name: 'log', type: 'log' }], route: { receiver: 'log' } }, 'ana')
    assert.deepEqual([saved.version, (await routing.get('acme'))?.author], [1, 'ana'])
    await routing.remove('acme')
    assert.deepEqual([await routing.get('acme'), await routing.version('acme')], [undefined, 2])

    const silences = new RedisSilenceStore(redis, p, clock)
    await assert.rejects(silences.create('acme', { matchers: [{ name: 'alertname', op: '=~', value: '.*' }], endsAtMs: now + 60_000, author: 'ana' }), (e: SilenceInvalidError) => e.field === 'matchers')
    await assert.rejects(silences.create('acme', { matchers: [{ name: 'alertname', op: '=', value: 'x' }], endsAtMs: now - 1, author: 'ana' }), (e: SilenceInvalidError) => e.field === 'endsAtMs')
    await assert.rejects(silences.create('acme', { matchers: [{ name: 'alertname', op: '=', value: 'x' }], endsAtMs: now + 1, author: ' ' }), (e: SilenceInvalidError) => e.field === 'author')
    const later = await silences.create('acme', { matchers: [{ name: 'alertname', op: '=', value: 'high-cpc' }], startsAtMs: now + 60_000, endsAtMs: now + 120_000, author: 'ana', comment: 'deploy' })
    const s = await silences.create('acme', { matchers: [{ name: 'alertname', op: '=', value: 'high-cpc' }], endsAtMs: now + 600_000, author: 'ana', comment: 'maintenance' })
    assert.deepEqual((await silences.list('acme')).map((x) => [x.id, x.state]).sort(), [[later.id, 'pending'], [s.id, 'active']].sort())
    await assert.rejects(silences.get('acme', 'nope'), AlertNotFoundError)

    // A live alert (as the pipeline stores it), then acknowledgements and the live-alert query.
    const store = new RedisAlertStore(redis, p)
    const leases = new AlertsLeaseManager(redis, p, 'stores-test', 10_000)
    const lease = await leases.tryAcquire('acme')
    assert.ok(lease !== undefined)
    assert.equal(await new AlertsLeaseManager(redis, p, 'someone-else', 10_000).tryAcquire('acme'), undefined, 'a held lease is not taken')
    const a = alertOf({ entity: 'cmp_1', startsAtMs: now - 5_000 })
    const draft = new TenantStateDraft(emptyTenantState())
    draft.setAlert(a)
    // A second view of the same process's state, loaded before the commit: its commit below is
    // that commit sent again (a reply lost, the command resent), and must not apply.
    const resent = new RedisAlertStore(redis, p)
    await resent.load('acme')
    await store.load('acme')
    await store.commit('acme', lease, draft.changes(), [], [])
    await assert.rejects(store.commit('acme', 'stores-test|999', draft.changes(), [], []), AlertLeaseLostError, 'a stale lease value writes nothing')
    const other = new TenantStateDraft(emptyTenantState())
    other.setAlert(alertOf({ entity: 'cmp_2', startsAtMs: now - 5_000 }))
    assert.deepEqual(await resent.commit('acme', lease, other.changes(), [], []), { ids: [], alreadyApplied: true }, 'the same commit again: DONE, nothing written')
    assert.deepEqual([...(await store.load('acme')).alerts.keys()], [a.fingerprint])
    const acks = new RedisAckStore(redis, p, clock)
    await assert.rejects(acks.acknowledge('acme', 'ffffffffffffffff', { author: 'ana' }), AlertNotFoundError)
    const ack = await acks.acknowledge('acme', a.fingerprint, { author: 'ana', comment: 'looking' })
    assert.equal(ack.startsAtMs, a.startsAtMs, 'the acknowledgement is of the current firing episode')
    const [live] = await new RedisAlertQueries(redis, p, clock).active('acme')
    assert.deepEqual([live?.fingerprint, live?.acknowledged?.author, live?.silencedBy], [a.fingerprint, 'ana', [s.id]])
    await acks.unacknowledge('acme', a.fingerprint)
    await assert.rejects(acks.unacknowledge('acme', a.fingerprint), AlertNotFoundError)
    // Every change bumped the revision the pipeline watches.
    assert.ok(Number(await redis.get(new RedisKeys(p).alertsRevision('acme'))) >= 6)

    // Expiry: ended now, listed as expired, pruned after 7 days.
    await silences.expire('acme', s.id)
    assert.equal((await silences.list('acme')).find((x) => x.id === s.id)?.state, 'expired')
    now += 8 * 86_400_000
    assert.deepEqual((await silences.list('acme')).map((x) => x.id), [], 'expired silences are pruned after their retention')
  } finally {
    await dropAlertsTestData(cfg, redis)
    await redis.quit()
  }
})

test('a receiver that rejects (400) sends the notification to the dead-letter list; a replay after the fix delivers it', { timeout: 60_000 }, async () => {
  const { cfg } = alertsTestConfig('alerts-dead')
  await requireAlertServers(cfg)
  const hook = await LocalReceiver.start(() => ({ status: 400, body: '{"error":"bad token whsec-dead-key"}' }))
  const redis = new Redis(cfg.redis.url)
  const runtime = createAlertsRuntime(cfg, createLogger('fatal', 'alerts-it'), { secrets: new StaticSecretResolver({ acme: { hook: 'whsec-dead-key' } }, new Map()) })
  const outbox = new RedisOutbox(redis, cfg.redis.keyPrefix, 'probe', 100)
  try {
    await runtime.migrate()
    await registerTenants(redis, cfg.redis.keyPrefix, ['acme'])
    await new RedisRoutingStore(redis, cfg.redis.keyPrefix, Date.now, { allowInsecureUrls: true, defaultAlertmanagerUrl: cfg.alertmanagerUrl }).put('acme', {
      receivers: [{ name: 'hook', type: 'webhook', url: `${hook.url}/x`, signing_secret: { secret: 'hook' } }],
      route: { receiver: 'hook' },
    }, 'test')
    const loop = runtime.run()
    await new RedisAlertEventLog(redis, cfg.redis.keyPrefix).submit([ruleEvent('firing', { tenant: 'acme', rule: 'dead', entity: 'c1', startsAtMs: Date.now(), atMs: Date.now() })])
    await waitFor('a dead letter', async () => (await outbox.deadLetters('acme')).length === 1, 20_000, 100)
    const [dead] = await outbox.deadLetters('acme')
    assert.equal(dead?.code, 'ADW_NOTIFY_REJECTED')
    assert.equal(dead?.attempts, 1, 'a rejection is not retried')
    assert.ok(!dead?.error.includes('whsec-dead-key'), `the secret echoed by the receiver is redacted: ${dead?.error}`)
    assert.equal(hook.requests.length, 1)
    await waitFor('the dead-letter record', async () => (await runtime.history.notifications('acme')).some((n) => n.outcome === 'dead_letter'), 20_000, 200)

    hook.setResponder(() => ({ status: 200 }))
    await outbox.replayDeadLetter('acme', dead!.id)
    await waitFor('the replayed notification', async () => hook.accepted().length === 1, 20_000, 100)
    assert.deepEqual(await outbox.deadLetters('acme'), [])
    assert.equal(await outbox.depth('acme'), 0)
    await runtime.stop()
    await loop
  } finally {
    await runtime.stop().catch(() => undefined)
    await dropAlertsTestData(cfg, redis)
    await redis.quit()
    await hook.close()
  }
})

test('the alert event log keeps events a consumer group has not read; once read, it is trimmed again', async () => {
  const { cfg } = alertsTestConfig('event-log-trim')
  await requireAlertServers(cfg)
  const redis = new Redis(cfg.redis.url)
  try {
    const key = new RedisKeys(cfg.redis.keyPrefix).alertEvents('acme')
    // Trimmed to ~100 entries while readers keep up (within 50), else bounded at 1,000.
    const log = new RedisAlertEventLog(redis, cfg.redis.keyPrefix, 100, 1_000)
    const events = (n: number, from: number) => Array.from({ length: n }, (_, i) => ruleEvent('firing', { tenant: 'acme', rule: 'r', entity: `c${from + i}`, startsAtMs: 1, atMs: 1 }))
    // No reader yet: nothing to lose, the log stays near 100.
    await log.submit(events(300, 0))
    assert.ok((await redis.xlen(key)) < 300, 'trimmed without readers')
    await redis.del(key)
    // A group that has read nothing: all 300 stay, whatever the length.
    await redis.xgroup('CREATE', key, 'alerts', '0', 'MKSTREAM')
    for (let i = 0; i < 3; i++) await log.submit(events(100, i * 100))
    assert.equal(await redis.xlen(key), 300, 'unread events are kept')
    // The group reads and acknowledges them all: the next event trims the log again.
    const read = (await redis.xreadgroup('GROUP', 'alerts', 'c', 'COUNT', 1000, 'STREAMS', key, '>')) as Array<[string, Array<[string, string[]]>]>
    const ids = read[0]![1].map(([id]) => id)
    assert.equal(ids.length, 300)
    await redis.xack(key, 'alerts', ...ids)
    await log.submit(events(1, 300))
    assert.ok((await redis.xlen(key)) < 301, 'read events are trimmed')
  } finally {
    await dropAlertsTestData(cfg, redis)
    await redis.quit()
  }
})
