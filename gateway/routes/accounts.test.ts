import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bearer, buildTestGateway, TEST_NOW } from '../testing/test-gateway.ts'

const MIN = 60_000
const thisMinute = Math.floor(TEST_NOW / MIN) * MIN

test('accounts list with windows in each account\'s own zone; one account; 404 for unknown', async () => {
  const t = await buildTestGateway()
  await t.entities.setAccountSettings('acme', 'a1', { name: 'EU', timeZone: 'Asia/Tokyo' })
  t.entities.add('acme', 'a1', 'c1', thisMinute, [10, 1, 5_000_000, 0, 0])
  t.entities.add('acme', 'a2', 'c2', thisMinute, [10, 1, 1_000_000, 0, 0])
  const h = bearer(await t.jwt('acme', 'viewer'))
  const list = (await t.gateway.app.inject({ url: '/api/v1/accounts', headers: h })).json()
  assert.deepEqual(list.items.map((a: { id: string }) => a.id), ['a1', 'a2'])
  // Noon UTC is 21:00 in Tokyo, the same date; the name and zone come from the settings.
  assert.deepEqual([list.items[0].name, list.items[0].timeZone, list.items[0].today], ['EU', 'Asia/Tokyo', '2026-03-10'])
  assert.equal(list.items[0].windows.today.spendMicros, 5_000_000)
  assert.deepEqual([list.items[1].name, list.items[1].timeZone], [null, 'UTC'])
  assert.equal((await t.gateway.app.inject({ url: '/api/v1/accounts/a2', headers: h })).json().windows['1m'].clicks, 1)
  assert.equal((await t.gateway.app.inject({ url: '/api/v1/accounts/zz', headers: h })).statusCode, 404)
  assert.equal((await t.gateway.app.inject({ url: '/api/v1/accounts?sort=pacing', headers: h })).json().error.field, 'querystring/sort', 'accounts have no pacing')
  await t.close()
})

test('account settings: the time zone in effect, changes checked against IANA names', async () => {
  const t = await buildTestGateway()
  t.entities.add('acme', 'a1', 'c1', thisMinute, [1, 0, 0, 0, 0])
  const viewer = bearer(await t.jwt('acme', 'viewer'))
  const editor = bearer(await t.jwt('acme', 'editor'))
  const app = t.gateway.app
  assert.deepEqual((await app.inject({ url: '/api/v1/accounts/a1/settings', headers: viewer })).json(), { name: null, timeZone: null, effectiveTimeZone: 'UTC' })
  const put = await app.inject({ method: 'PUT', url: '/api/v1/accounts/a1/settings', headers: editor, payload: { timeZone: 'America/New_York' } })
  assert.deepEqual(put.json(), { name: null, timeZone: 'America/New_York', effectiveTimeZone: 'America/New_York' })
  assert.equal((await app.inject({ url: '/api/v1/campaigns/c1', headers: viewer })).json().timeZone, 'America/New_York', 'the account\'s campaigns follow its zone')
  const bad = await app.inject({ method: 'PUT', url: '/api/v1/accounts/a1/settings', headers: editor, payload: { timeZone: 'Mars/Olympus' } })
  assert.deepEqual([bad.statusCode, bad.json().error.field], [400, 'body/timeZone'])
  assert.match(bad.json().error.message, /IANA/)
  const extra = await app.inject({ method: 'PUT', url: '/api/v1/accounts/a1/settings', headers: editor, payload: { tz: 'UTC' } })
  assert.deepEqual([extra.statusCode, extra.json().error.field], [400, 'body/tz'])
  assert.equal((await app.inject({ method: 'PUT', url: '/api/v1/accounts/zz/settings', headers: editor, payload: { name: 'x' } })).statusCode, 404)
  await t.close()
})
