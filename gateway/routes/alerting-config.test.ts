import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bearer, buildTestGateway } from '../testing/test-gateway.ts'

const CONFIG = {
  receivers: [
    { name: 'oncall', type: 'pagerduty', routing_key: { secret: 'pd_key' } },
    { name: 'chat', type: 'slack', webhook_url: { secret: 'oncall_slack' } },
    { name: 'log', type: 'log' },
  ],
  route: { receiver: 'log', routes: [{ matchers: [{ name: 'severity', op: '=', value: 'critical' }], receiver: 'oncall', continue: true }, { matchers: [{ name: 'alertname', op: '=~', value: 'high-.*' }], receiver: 'chat' }] },
  group: { by: ['alertname', 'account'], wait: '30s' },
}

test('an admin replaces the routing config; everyone of the tenant reads it, secrets only as references', async () => {
  const t = await buildTestGateway()
  const admin = bearer(await t.jwt('acme', 'admin'))
  const viewer = bearer(await t.jwt('acme', 'viewer'))
  const none = (await t.gateway.app.inject({ url: '/api/v1/alerting/config', headers: viewer })).json()
  assert.deepEqual(none, { config: null, version: 0, author: null, savedAt: null }, 'the default receiver applies')
  const put = await t.gateway.app.inject({ method: 'PUT', url: '/api/v1/alerting/config', headers: admin, payload: CONFIG })
  assert.equal(put.statusCode, 200)
  assert.deepEqual([put.json().version, put.json().author], [1, 'user:u1'])
  const got = (await t.gateway.app.inject({ url: '/api/v1/alerting/config', headers: viewer })).json()
  assert.deepEqual(got.config, CONFIG)
  assert.equal(got.version, 1)
  // A stored plain value in a secret field (never admitted by validation) is still never shown.
  const stored = t.alerting.routingMap.get('acme')!
  t.alerting.routingMap.set('acme', { ...stored, config: { ...stored.config, receivers: [{ name: 'legacy', type: 'slack', webhook_url: 'https://hooks.slack.com/services/T/B/SECRETSECRET' }] } })
  const redacted = await t.gateway.app.inject({ url: '/api/v1/alerting/config', headers: viewer })
  assert.ok(!redacted.body.includes('SECRETSECRET'))
  assert.equal(redacted.json().config.receivers[0].webhook_url, '[redacted]')
  // Drop: the default applies again, the version moves on.
  assert.equal((await t.gateway.app.inject({ method: 'DELETE', url: '/api/v1/alerting/config', headers: admin })).statusCode, 204)
  assert.deepEqual((await t.gateway.app.inject({ url: '/api/v1/alerting/config', headers: viewer })).json(), { config: null, version: 2, author: null, savedAt: null })
  await t.close()
})

test('only admins write the routing config', async () => {
  const t = await buildTestGateway()
  for (const role of ['viewer', 'editor'] as const) {
    const h = bearer(await t.jwt('acme', role))
    assert.equal((await t.gateway.app.inject({ method: 'PUT', url: '/api/v1/alerting/config', headers: h, payload: CONFIG })).statusCode, 403, role)
    assert.equal((await t.gateway.app.inject({ method: 'DELETE', url: '/api/v1/alerting/config', headers: h })).statusCode, 403, role)
    assert.equal((await t.gateway.app.inject({ method: 'POST', url: '/api/v1/alerting/config/validate', headers: h, payload: CONFIG })).statusCode, 403, role)
  }
  assert.equal(t.alerting.routingMap.size, 0)
  await t.close()
})

test('invalid routing configs are 400 naming the field; validate lists every problem', async () => {
  const t = await buildTestGateway()
  const admin = bearer(await t.jwt('acme', 'admin'))
  const cases: Array<[string, object, string]> = [
    ['secret in clear', { receivers: [{ name: 'chat', type: 'slack', webhook_url: 'https://hooks.slack.com/services/T/B/c' }], route: { receiver: 'chat' } }, 'body/receivers/0/webhook_url'],
    ['unknown type', { receivers: [{ name: 'x', type: 'carrier-pigeon' }], route: { receiver: 'x' } }, 'body/receivers/0/type'],
    ['route to nobody', { receivers: [{ name: 'log', type: 'log' }], route: { receiver: 'nobody' } }, 'body/route/receiver'],
    ['bad regex', { receivers: [{ name: 'log', type: 'log' }], route: { receiver: 'log', routes: [{ matchers: [{ name: 'a', op: '=~', value: '(' }], receiver: 'log' }] } }, 'body/route/routes/0/matchers/0'],
    ['route missing', { receivers: [] }, 'body/route'],
    ['unknown top-level key', { receivers: [], route: {}, extra: 1 }, 'body/extra'],
  ]
  for (const [why, payload, field] of cases) {
    const res = await t.gateway.app.inject({ method: 'PUT', url: '/api/v1/alerting/config', headers: admin, payload })
    assert.deepEqual([res.statusCode, res.json().error?.field], [400, field], why)
  }
  assert.equal(t.alerting.routingMap.size, 0, 'nothing saved')
  const v = await t.gateway.app.inject({ method: 'POST', url: '/api/v1/alerting/config/validate', headers: admin, payload: { receivers: [{ name: 'a', type: 'nope' }, { name: 'a', type: 'log' }], route: { receiver: 'b' } } })
  assert.equal(v.statusCode, 200)
  assert.equal(v.json().ok, false)
  const fields = v.json().problems.map((p: { field: string }) => p.field)
  assert.ok(fields.includes('body/receivers/0/type') && fields.includes('body/receivers/1/name') && fields.includes('body/route/receiver'), fields.join(', '))
  assert.deepEqual((await t.gateway.app.inject({ method: 'POST', url: '/api/v1/alerting/config/validate', headers: admin, payload: CONFIG })).json(), { ok: true, problems: [] })
  await t.close()
})
