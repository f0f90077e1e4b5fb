import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createAlertsRuntime } from '../alerts/runtime.ts'
import { StaticSecretResolver } from '../alerts/secrets.ts'
import { ruleEvent } from '../alerts/testing/alerts-env.ts'
import { RedisAlertEventLog } from '../alerts/index.ts'
import { createLogger } from '../core/log.ts'
import { waitFor } from '../stream/testing/integration-env.ts'
import { startGatewayRuntime, type GatewayRuntime } from './runtime.ts'
import type { AlertTransitionPush } from './socket-events.ts'
import { connectSocket, gatewayTestEnv, recordSocket, type ClientSocket } from './testing/gateway-env.ts'

/**
 * The alert routes and the live alert push against the real servers: the rules engine's events
 * (written to the tenant's alert event log) go through a real alerts process into Redis state
 * and ClickHouse history, and two gateways sharing Redis (Socket.IO adapter) serve them: each
 * socket gets each transition once, whichever gateway it is on, and never another tenant's;
 * list, history (ClickHouse and the log tail, no duplicates), acknowledge, silences and the
 * routing config work over HTTP, and another tenant's ids are 404.
 */
test('alerts over REST and Socket.IO on two gateways: each transition reaches each socket once; tenants stay apart', { timeout: 150_000 }, async () => {
  const env = await gatewayTestEnv('gwalerts', { tenants: ['acme', 'globex'], overrides: { ADW_ALERTS_TICK_MS: '50', ADW_ALERTS_GROUP_WAIT_MS: '0', ADW_ALERTS_WORKER_ID: `it-gw-alerts-${process.pid}` } })
  const log = createLogger('warn', 'gw-alerts')
  const gateways: GatewayRuntime[] = []
  const sockets: ClientSocket[] = []
  const alerts = createAlertsRuntime(env.cfg, log, { secrets: new StaticSecretResolver({}, new Map()) })
  let running: Promise<void> | undefined
  try {
    gateways.push(await startGatewayRuntime(env.cfg, log), await startGatewayRuntime(env.cfg, log))
    const [u1, u2] = await Promise.all(gateways.map((g) => g.gateway.listen()))
    await alerts.migrate()
    running = alerts.run()
    const editorKey = (await env.apiKey('acme', 'editor')).key
    const acmeJwt = await connectSocket(u1!, await env.jwt('acme', 'viewer'))
    const acmeKey = await connectSocket(u2!, (await env.apiKey('acme', 'viewer')).key)
    const globex = await connectSocket(u1!, await env.jwt('globex', 'viewer'))
    sockets.push(acmeJwt, acmeKey, globex)
    const logs = new Map([acmeJwt, acmeKey, globex].map((s) => [s, recordSocket(s)]))
    // The forwarders start following a tenant's log on their next round (100 ms) after its first socket.
    await new Promise((r) => setTimeout(r, 500))

    const eventLog = new RedisAlertEventLog(env.redis, env.cfg.redis.keyPrefix)
    const t0 = Date.now()
    const firing = ruleEvent('firing', { tenant: 'acme', rule: 'spend-spike', entity: 'c01', startsAtMs: t0, atMs: t0 })
    const gx = ruleEvent('firing', { tenant: 'globex', rule: 'gx-burn', entity: 'gc1', account: 'g1', startsAtMs: t0, atMs: t0 })
    await eventLog.submit([firing, gx])
    const transitions = (s: ClientSocket) => logs.get(s)!.filter((e) => e.event === 'alert:transition').map((e) => e.payload as AlertTransitionPush)
    await waitFor('the firing transition on every socket', async () => transitions(acmeJwt).length >= 1 && transitions(acmeKey).length >= 1 && transitions(globex).length >= 1, 10_000, 20)
    const pushMs = Date.now() - t0
    const api = (url: string, path: string, init: RequestInit = {}) => fetch(`${url}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${editorKey}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) } })

    // The alerts process takes the event into its live state: the list shows it firing.
    await waitFor('the alert in GET /alerts', async () => ((await (await api(u2!, '/alerts?state=firing')).json()) as { total: number }).total === 1, 20_000)
    const listed = (await (await api(u2!, '/alerts')).json()) as { items: Array<{ fingerprint: string; state: string; entity: string; labels: Record<string, string> }> }
    assert.deepEqual(listed.items.map((a) => [a.fingerprint, a.state, a.entity]), [[firing.fingerprint, 'firing', 'c01']], 'acme sees its alert only')
    // Another tenant's fingerprint is 404 for every alert route.
    for (const [method, path] of [['GET', `/alerts/${gx.fingerprint}`], ['GET', `/alerts/${gx.fingerprint}/history`], ['POST', `/alerts/${gx.fingerprint}/ack`], ['DELETE', `/alerts/${gx.fingerprint}/ack`]] as const) {
      const res = await api(u1!, path, { method, ...(method === 'POST' ? { body: '{}' } : {}) })
      assert.equal(res.status, 404, `${method} ${path}`)
    }
    // Acknowledge (once, idempotent), through gateway 1.
    const ack = await api(u1!, `/alerts/${firing.fingerprint}/ack`, { method: 'POST', body: JSON.stringify({ comment: 'looking' }) })
    assert.equal(ack.status, 200)
    const acked = (await ack.json()) as { acknowledgedBy: string; acknowledgedAt: string }
    assert.match(acked.acknowledgedBy, /^key:/)
    const again = (await (await api(u2!, `/alerts/${firing.fingerprint}/ack`, { method: 'POST', body: '{}' })).json()) as { acknowledgedAt: string }
    assert.equal(again.acknowledgedAt, acked.acknowledgedAt, 'the first acknowledgement stands')

    // History: the transition once, whether it came from ClickHouse or the log tail.
    await waitFor('the transition in ClickHouse alert_history', async () => (await alerts.history.transitions('acme', { fingerprint: firing.fingerprint })).length === 1, 20_000)
    const hist = (await (await api(u2!, `/alerts/${firing.fingerprint}/history`)).json()) as { items: Array<{ kind: string; explanation: string }>; hasMore: boolean }
    assert.deepEqual(hist.items.map((h) => [h.kind, h.explanation]), [['firing', 'spend_5m = 192 > 80 ✓']])
    const range = (await (await api(u1!, `/alerts/history?from=${t0 - 60_000}`)).json()) as { items: Array<{ fingerprint: string }> }
    assert.deepEqual(range.items.map((h) => h.fingerprint), [firing.fingerprint], 'globex\'s transition is not in acme\'s history')

    // Silences: a bad regex names its field; a good one mutes the alert; DELETE expires it.
    const end = new Date(Date.now() + 3_600_000).toISOString()
    const bad = await api(u1!, '/silences', { method: 'POST', body: JSON.stringify({ matchers: [{ name: 'alertname', op: '=', value: 'spend-spike' }, { name: 'entity', op: '=~', value: 'c0[' }], endsAt: end }) })
    assert.deepEqual([bad.status, ((await bad.json()) as { error: { field: string } }).error.field], [400, 'body/matchers/1/value'])
    const made = await api(u1!, '/silences', { method: 'POST', body: JSON.stringify({ matchers: [{ name: 'alertname', op: '=', value: 'spend-spike' }, { name: 'entity', op: '=~', value: 'c0[0-9]' }], endsAt: end, comment: 'deploy' }) })
    assert.equal(made.status, 201)
    const silence = (await made.json()) as { id: string; state: string }
    assert.equal(silence.state, 'active')
    const muted = (await (await api(u2!, `/alerts/${firing.fingerprint}`)).json()) as { silencedBy: string[] }
    assert.deepEqual(muted.silencedBy, [silence.id])
    const globexKey = (await env.apiKey('globex', 'admin')).key
    const gxRead = await fetch(`${u2}/api/v1/silences/${silence.id}`, { headers: { authorization: `Bearer ${globexKey}` } })
    assert.equal(gxRead.status, 404, 'globex cannot read acme\'s silence')
    assert.equal((await fetch(`${u2}/api/v1/silences/${silence.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${globexKey}` } })).status, 404, 'nor expire it')
    const expired = await api(u2!, `/silences/${silence.id}`, { method: 'DELETE' })
    assert.deepEqual([expired.status, ((await expired.json()) as { state: string }).state], [200, 'expired'])

    // Routing config: admins only; secrets as references; globex's is its own.
    const adminKey = (await env.apiKey('acme', 'admin')).key
    const config = { receivers: [{ name: 'pager', type: 'pagerduty', routing_key: { secret: 'pd' } }, { name: 'log', type: 'log' }], route: { receiver: 'log', routes: [{ matchers: [{ name: 'severity', op: '=', value: 'critical' }], receiver: 'pager' }] } }
    assert.equal((await api(u1!, '/alerting/config', { method: 'PUT', body: JSON.stringify(config) })).status, 403, 'an editor cannot')
    const put = await fetch(`${u1}/api/v1/alerting/config`, { method: 'PUT', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify(config) })
    assert.equal(put.status, 200)
    const clear = await fetch(`${u1}/api/v1/alerting/config`, { method: 'PUT', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ ...config, receivers: [{ name: 'pager', type: 'pagerduty', routing_key: 'R0UTINGKEY0123456789' }, { name: 'log', type: 'log' }] }) })
    assert.deepEqual([clear.status, ((await clear.json()) as { error: { field: string } }).error.field], [400, 'body/receivers/0/routing_key'], 'a secret value is refused')
    const got = (await (await api(u2!, '/alerting/config')).json()) as { config: unknown; version: number }
    assert.deepEqual([got.config, got.version], [config, 1])
    const gxConfig = (await (await fetch(`${u2}/api/v1/alerting/config`, { headers: { authorization: `Bearer ${globexKey}` } })).json()) as { config: unknown }
    assert.equal(gxConfig.config, null, 'globex has its own (none)')

    // Resolve: one more transition per socket.
    const resolvedAt = Date.now()
    await eventLog.submit([ruleEvent('resolved', { tenant: 'acme', rule: 'spend-spike', entity: 'c01', startsAtMs: t0, atMs: resolvedAt })])
    await waitFor('the resolved transition on both acme sockets', async () => transitions(acmeJwt).length >= 2 && transitions(acmeKey).length >= 2, 10_000, 20)
    await new Promise((r) => setTimeout(r, 500)) // a duplicate would have arrived by now
    for (const s of [acmeJwt, acmeKey]) {
      assert.deepEqual(transitions(s).map((p) => `${p.fingerprint}:${p.kind}`), [`${firing.fingerprint}:firing`, `${firing.fingerprint}:resolved`], 'each transition once, never globex\'s')
    }
    assert.deepEqual(transitions(acmeJwt)[0], { kind: 'firing', fingerprint: firing.fingerprint, source: 'rule', sourceId: 'spend-spike', level: 'campaign', entity: 'c01', severity: 'critical', explanation: 'spend_5m = 192 > 80 ✓', labels: firing.labels, atMs: t0 })
    assert.deepEqual(transitions(globex).map((p) => `${p.fingerprint}:${p.kind}`), [`${gx.fingerprint}:firing`], 'globex gets its own only')
    console.log(`alert event → socket: ${pushMs} ms (two gateways, 100 ms forwarder rounds)`)
  } finally {
    for (const s of sockets) s.close()
    await alerts.stop()
    await running
    for (const g of gateways) await g.close()
    await env.close()
  }
})
