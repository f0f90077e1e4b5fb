import { test } from 'node:test'
import assert from 'node:assert/strict'
import { liveAlert } from '../testing/alerting-fakes.ts'
import { bearer, buildTestGateway, TEST_NOW } from '../testing/test-gateway.ts'

const HOUR = 3_600_000
const iso = (ms: number) => new Date(ms).toISOString()

test('an editor creates a silence; it is listed, read, mutes the matching alert, and DELETE expires it', async () => {
  const t = await buildTestGateway()
  t.alerting.addAlert(liveAlert('acme', '0123456789abcdef'))
  const editor = bearer(await t.jwt('acme', 'editor'))
  const viewer = bearer(await t.jwt('acme', 'viewer'))
  const payload = { matchers: [{ name: 'alertname', op: '=', value: 'high-cpc' }, { name: 'entity', op: '=~', value: 'c[0-9]+' }], endsAt: iso(TEST_NOW + HOUR), comment: 'deploy' }
  const created = await t.gateway.app.inject({ method: 'POST', url: '/api/v1/silences', headers: editor, payload })
  assert.equal(created.statusCode, 201)
  const s = created.json()
  assert.match(s.id, /^[0-9a-f-]{36}$/)
  assert.deepEqual([s.startsAt, s.endsAt, s.comment, s.createdBy, s.state], [iso(TEST_NOW), iso(TEST_NOW + HOUR), 'deploy', 'user:u1', 'active'])
  assert.deepEqual(s.matchers, payload.matchers)
  const list = (await t.gateway.app.inject({ url: '/api/v1/silences', headers: viewer })).json()
  assert.deepEqual([list.total, list.items[0].id], [1, s.id])
  assert.equal((await t.gateway.app.inject({ url: `/api/v1/silences/${s.id}`, headers: viewer })).json().id, s.id)
  const alert = (await t.gateway.app.inject({ url: '/api/v1/alerts/0123456789abcdef', headers: viewer })).json()
  assert.deepEqual(alert.silencedBy, [s.id], 'the alert shows the silence muting it')
  // A viewer cannot expire it; an editor can, twice (idempotent).
  assert.equal((await t.gateway.app.inject({ method: 'DELETE', url: `/api/v1/silences/${s.id}`, headers: viewer })).statusCode, 403)
  const expired = await t.gateway.app.inject({ method: 'DELETE', url: `/api/v1/silences/${s.id}`, headers: editor })
  assert.deepEqual([expired.statusCode, expired.json().state, expired.json().endsAt], [200, 'expired', iso(TEST_NOW)])
  assert.equal((await t.gateway.app.inject({ method: 'DELETE', url: `/api/v1/silences/${s.id}`, headers: editor })).statusCode, 200)
  assert.deepEqual((await t.gateway.app.inject({ url: '/api/v1/silences?state=active', headers: viewer })).json().items, [])
  assert.equal((await t.gateway.app.inject({ url: '/api/v1/silences?state=expired', headers: viewer })).json().total, 1)
  await t.close()
})

test('a silence starting later is pending; epoch milliseconds are accepted', async () => {
  const t = await buildTestGateway()
  const res = await t.gateway.app.inject({ method: 'POST', url: '/api/v1/silences', headers: bearer(await t.jwt('acme', 'editor')), payload: { matchers: [{ name: 'severity', op: '!=', value: 'info' }, { name: 'alertname', op: '=', value: 'x' }], startsAt: String(TEST_NOW + HOUR), endsAt: String(TEST_NOW + 2 * HOUR) } })
  assert.deepEqual([res.statusCode, res.json().state, res.json().startsAt, res.json().comment], [201, 'pending', iso(TEST_NOW + HOUR), ''])
  await t.close()
})

test('invalid silences are 400 naming the field; nothing is stored', async () => {
  const t = await buildTestGateway()
  const editor = bearer(await t.jwt('acme', 'editor'))
  const ok = { name: 'alertname', op: '=', value: 'high-cpc' }
  const end = iso(TEST_NOW + HOUR)
  const cases: Array<[string, object, string]> = [
    ['no matchers', { matchers: [], endsAt: end }, 'body/matchers'],
    ['matchers missing', { endsAt: end }, 'body/matchers'],
    ['unknown operator', { matchers: [{ ...ok, op: '~=' }], endsAt: end }, 'body/matchers/0/op'],
    ['bad label name', { matchers: [{ ...ok, name: '1abc' }], endsAt: end }, 'body/matchers/0/name'],
    ['bad regex', { matchers: [ok, { name: 'entity', op: '=~', value: 'c[' }], endsAt: end }, 'body/matchers/1/value'],
    ['bad negative regex', { matchers: [ok, { name: 'entity', op: '!~', value: '(' }], endsAt: end }, 'body/matchers/1/value'],
    ['matches everything', { matchers: [{ name: 'entity', op: '=~', value: '.*' }], endsAt: end }, 'body/matchers'],
    ['end before start', { matchers: [ok], startsAt: iso(TEST_NOW + 2 * HOUR), endsAt: end }, 'body/endsAt'],
    ['end equal to start', { matchers: [ok], startsAt: end, endsAt: end }, 'body/endsAt'],
    ['end in the past', { matchers: [ok], startsAt: iso(TEST_NOW - 2 * HOUR), endsAt: iso(TEST_NOW - HOUR) }, 'body/endsAt'],
    ['over a year', { matchers: [ok], endsAt: iso(TEST_NOW + 400 * 86_400_000) }, 'body/endsAt'],
    ['unparseable end', { matchers: [ok], endsAt: 'tomorrow' }, 'body/endsAt'],
    ['unparseable start', { matchers: [ok], startsAt: 'now', endsAt: end }, 'body/startsAt'],
    ['end missing', { matchers: [ok] }, 'body/endsAt'],
    ['author in the body', { matchers: [ok], endsAt: end, author: 'mallory' }, 'body/author'],
    ['comment too long', { matchers: [ok], endsAt: end, comment: 'x'.repeat(2001) }, 'body/comment'],
  ]
  for (const [why, payload, field] of cases) {
    const res = await t.gateway.app.inject({ method: 'POST', url: '/api/v1/silences', headers: editor, payload })
    assert.deepEqual([res.statusCode, res.json().error?.code, res.json().error?.field], [400, 'ADW_GATEWAY_INVALID_REQUEST', field], why)
  }
  const regex = await t.gateway.app.inject({ method: 'POST', url: '/api/v1/silences', headers: editor, payload: { matchers: [ok, { name: 'entity', op: '=~', value: 'c[' }], endsAt: end } })
  assert.match(regex.json().error.message, /^body\/matchers\/1\/value invalid regex/)
  assert.equal(t.alerting.silenceMap.get('acme')?.size ?? 0, 0)
  await t.close()
})

test('a viewer cannot create silences; unknown and malformed ids are 404 and 400', async () => {
  const t = await buildTestGateway()
  const viewer = bearer(await t.jwt('acme', 'viewer'))
  const res = await t.gateway.app.inject({ method: 'POST', url: '/api/v1/silences', headers: viewer, payload: { matchers: [{ name: 'a', op: '=', value: 'b' }], endsAt: iso(TEST_NOW + HOUR) } })
  assert.equal(res.statusCode, 403)
  const unknown = await t.gateway.app.inject({ url: '/api/v1/silences/00000000-0000-4000-8000-000000000000', headers: viewer })
  assert.deepEqual([unknown.statusCode, unknown.json().error.code], [404, 'ADW_GATEWAY_NOT_FOUND'])
  const bad = await t.gateway.app.inject({ url: '/api/v1/silences/not-an-id', headers: viewer })
  assert.deepEqual([bad.statusCode, bad.json().error.field], [400, 'params/id'])
  const editor = bearer(await t.jwt('acme', 'editor'))
  assert.equal((await t.gateway.app.inject({ method: 'DELETE', url: '/api/v1/silences/00000000-0000-4000-8000-000000000000', headers: editor })).statusCode, 404)
  await t.close()
})
