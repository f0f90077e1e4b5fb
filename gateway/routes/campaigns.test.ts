import { test } from 'node:test'
import assert from 'node:assert/strict'
import { tenantRoom } from '../socket/rooms.ts'
import { bearer, buildTestGateway, TEST_NOW, type TestGateway } from '../testing/test-gateway.ts'

const MIN = 60_000
const minute = (back: number) => Math.floor(TEST_NOW / MIN) * MIN - back * MIN

/** acme: c1 (account a1, $1,000 daily budget) spends in 3 minutes of the last hour; c2 once. */
async function seeded(): Promise<TestGateway> {
  const t = await buildTestGateway()
  t.entities.add('acme', 'a1', 'c1', minute(0), [1000, 20, 4_000_000, 1, 10_000_000])
  t.entities.add('acme', 'a1', 'c1', minute(10), [500, 5, 2_000_000, 0, 0])
  t.entities.add('acme', 'a1', 'c1', minute(30), [0, 0, 1_000_000, 0, 0])
  t.entities.add('acme', 'a2', 'c2', minute(2), [10, 0, 0, 0, 0])
  t.entities.add('globex', 'g1', 'gc1', minute(0), [1, 1, 1, 1, 1])
  await t.entities.setCampaignSettings('acme', 'c1', { name: 'Spring sale', dailyBudgetMicros: 1_000_000_000 })
  return t
}

test('the list has live windows, ratios (null without denominator) and pacing, sorted by spend today', async () => {
  const t = await seeded()
  const res = await t.gateway.app.inject({ url: '/api/v1/campaigns', headers: bearer(await t.jwt('acme', 'viewer')) })
  assert.equal(res.statusCode, 200)
  const page = res.json()
  assert.deepEqual(page.items.map((c: { id: string }) => c.id), ['c1', 'c2'], 'only acme\'s campaigns, the bigger spender first')
  assert.equal(page.total, 2)
  const c1 = page.items[0]
  assert.deepEqual([c1.account, c1.name, c1.dailyBudgetMicros, c1.timeZone, c1.today], ['a1', 'Spring sale', 1_000_000_000, 'UTC', '2026-03-10'])
  // 1m: the current minute only; 15m: also 10 minutes ago; 1h and today: all three.
  assert.equal(c1.windows['1m'].spendMicros, 4_000_000)
  assert.equal(c1.windows['15m'].spendMicros, 6_000_000)
  assert.equal(c1.windows['1h'].spendMicros, 7_000_000)
  assert.equal(c1.windows.today.spendMicros, 7_000_000)
  assert.equal(c1.windows['1m'].ctr, 0.02)
  assert.equal(c1.windows['1m'].cpcMicros, 200_000)
  assert.equal(c1.windows['1m'].roas, 2.5)
  assert.equal(c1.windows['5m'].cpaMicros, 4_000_000)
  assert.equal(page.items[1].windows['1m'].ctr, null, 'c2 had nothing this minute')
  // Noon UTC: half the day is gone (plus 30 s); $7 of a $1,000 budget is far under pace.
  assert.ok(Math.abs(c1.pacing.dayElapsedShare - (12 * 3600 + 30) / 86_400) < 1e-9)
  assert.ok(Math.abs(c1.pacing.pacing - 7_000_000 / (1_000_000_000 * c1.pacing.dayElapsedShare)) < 1e-9)
  // $6 in the last 15 minutes: $993 left lasts 993/6 × 15 minutes, past midnight.
  assert.equal(c1.pacing.exhaustsToday, false)
  assert.equal(page.items[1].pacing, null, 'no budget, no pacing')
  await t.close()
})

test('the list filters by account, sorts and pages; bad query values name the field', async () => {
  const t = await seeded()
  const h = bearer(await t.jwt('acme', 'viewer'))
  const get = (q: string) => t.gateway.app.inject({ url: `/api/v1/campaigns${q}`, headers: h })
  assert.deepEqual((await get('?account=a2')).json().items.map((c: { id: string }) => c.id), ['c2'])
  const page = (await get('?sort=id&order=asc&limit=1&offset=1')).json()
  assert.deepEqual([page.items.map((c: { id: string }) => c.id), page.total, page.limit, page.offset], [['c2'], 2, 1, 1])
  assert.equal((await get('?sort=pacing')).json().items[0].id, 'c1', 'campaigns without pacing sort last')
  const cases: Array<[string, string]> = [
    ['?limit=0', 'querystring/limit'],
    ['?limit=abc', 'querystring/limit'],
    ['?sort=cost', 'querystring/sort'],
    ['?order=up', 'querystring/order'],
    ['?tenant=globex', 'querystring/tenant'], // the tenant comes from the credentials only
  ]
  for (const [q, field] of cases) {
    const res = await get(q)
    assert.equal(res.statusCode, 400, q)
    assert.equal(res.json().error.field, field, q)
  }
  await t.close()
})

test('one campaign; an unknown one is 404', async () => {
  const t = await seeded()
  const h = bearer(await t.jwt('acme', 'viewer'))
  const one = await t.gateway.app.inject({ url: '/api/v1/campaigns/c1', headers: h })
  assert.equal(one.json().windows['1h'].impressions, 1500)
  const missing = await t.gateway.app.inject({ url: '/api/v1/campaigns/nope', headers: h })
  assert.deepEqual([missing.statusCode, missing.json().error.code], [404, 'ADW_GATEWAY_NOT_FOUND'])
  await t.close()
})

test('settings: read, change (fields left out are kept), pushed to the tenant; bad bodies name the field', async () => {
  const t = await seeded()
  const pushed: unknown[] = []
  t.gateway.io.to = ((room: string) => ({ emit: (event: string, change: unknown) => pushed.push({ room, event, change }) })) as never
  const h = bearer(await t.jwt('acme', 'editor'))
  const app = t.gateway.app
  assert.deepEqual((await app.inject({ url: '/api/v1/campaigns/c1/settings', headers: h })).json(), { name: 'Spring sale', dailyBudgetMicros: 1_000_000_000 })
  const put = await app.inject({ method: 'PUT', url: '/api/v1/campaigns/c1/settings', headers: h, payload: { dailyBudgetMicros: 250_000_000 } })
  assert.equal(put.statusCode, 200)
  assert.deepEqual(put.json(), { name: 'Spring sale', dailyBudgetMicros: 250_000_000 })
  assert.deepEqual(pushed, [{ room: tenantRoom('acme'), event: 'settings', change: { kind: 'campaign', id: 'c1', settings: { name: 'Spring sale', dailyBudgetMicros: 250_000_000 } } }])
  assert.equal((await app.inject({ url: '/api/v1/campaigns/c1', headers: h })).json().pacing.dailyBudgetMicros, 250_000_000)
  const cases: Array<[unknown, string]> = [
    [{ dailyBudgetMicros: -1 }, 'body/dailyBudgetMicros'],
    [{ dailyBudgetMicros: 1.5 }, 'body/dailyBudgetMicros'],
    [{ dailyBudgetMicros: '100' }, 'body/dailyBudgetMicros'], // no silent coercion of bodies
    [{ dailyBudget: 100 }, 'body/dailyBudget'], // a typo is an error, not ignored
    [{ name: '' }, 'body/name'],
    [{}, 'body'],
  ]
  for (const [payload, field] of cases) {
    const res = await app.inject({ method: 'PUT', url: '/api/v1/campaigns/c1/settings', headers: h, payload: payload as object })
    assert.equal(res.statusCode, 400, JSON.stringify(payload))
    assert.equal(res.json().error.field, field, JSON.stringify(payload))
  }
  const missing = await app.inject({ method: 'PUT', url: '/api/v1/campaigns/nope/settings', headers: h, payload: { name: 'x' } })
  assert.equal(missing.statusCode, 404)
  assert.equal(t.entities.campaigns.has('acme\u0000nope'), false, 'nothing written for an unknown campaign')
  await t.close()
})
