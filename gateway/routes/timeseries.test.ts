import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bearer, buildTestGateway, TEST_NOW } from '../testing/test-gateway.ts'
import { parseInstant } from './timeseries.ts'

test('a series is every bucket of the range, zero-filled, read for the caller\'s tenant', async () => {
  const t = await buildTestGateway()
  const from = Date.parse('2026-03-10T10:00:00Z') / 1000
  t.series.rows.set('acme\u0000campaign\u0000c1', [[from + 300, 10, 1, 500, 0, 0], [from + 900, 20, 2, 700, 1, 900]])
  const h = bearer(await t.jwt('acme', 'viewer'))
  const res = await t.gateway.app.inject({ url: '/api/v1/timeseries/campaign/c1?from=2026-03-10T10:00:00Z&to=2026-03-10T10:20:00Z&step=300', headers: h })
  assert.equal(res.statusCode, 200)
  const s = res.json()
  assert.deepEqual(s.timesSec, [from, from + 300, from + 600, from + 900])
  assert.deepEqual(s.spendMicros, [0, 500, 0, 700])
  assert.deepEqual(s.revenueMicros, [0, 0, 0, 900])
  assert.equal(t.series.queries[0]!.tenant, 'acme')
  // Defaults: the last hour in minutes; ends are rounded out to whole buckets.
  const def = (await t.gateway.app.inject({ url: '/api/v1/timeseries/campaign/c1', headers: h })).json()
  assert.equal(def.stepSec, 60)
  assert.equal(def.timesSec.length, 61, '12:00:30 rounds up to 12:01, the hour before down to 11:00')
  assert.equal(def.timesSec.at(-1), Math.floor(TEST_NOW / 60_000) * 60)
  await t.close()
})

test('bad ranges and steps name the field; an entity without live state or history is 404', async () => {
  const t = await buildTestGateway()
  t.series.rows.set('acme\u0000campaign\u0000c1', [])
  const h = bearer(await t.jwt('acme', 'viewer'))
  const cases: Array<[string, string]> = [
    ['/campaign/c1?step=90', 'querystring/step'], // not a multiple of 60
    ['/campaign/c1?step=60&from=2026-03-01T00:00:00Z&to=2026-03-10T00:00:00Z', 'querystring/step'], // 12,960 buckets
    ['/campaign/c1?from=yesterday', 'querystring/from'],
    ['/campaign/c1?from=2026-03-10T11:00:00Z&to=2026-03-10T10:00:00Z', 'querystring/from'],
    ['/campaign/c1?from=2025-01-01T00:00:00Z&step=86400', 'querystring/from'], // more than 93 days
    ['/keyword/c1', 'params/level'],
  ]
  for (const [path, field] of cases) {
    const res = await t.gateway.app.inject({ url: `/api/v1/timeseries${path}`, headers: h })
    assert.deepEqual([res.statusCode, res.json().error.field], [400, field], path)
  }
  assert.equal((await t.gateway.app.inject({ url: '/api/v1/timeseries/campaign/c1', headers: h })).statusCode, 200, 'known from its history')
  assert.equal((await t.gateway.app.inject({ url: '/api/v1/timeseries/ad/nope', headers: h })).statusCode, 404)
  await t.close()
})

test('instants are ISO-8601 with a zone or epoch milliseconds', () => {
  assert.equal(parseInstant('1773144000000', 'f'), 1773144000000)
  assert.equal(parseInstant('2026-03-10T12:00:00+01:00', 'f'), Date.parse('2026-03-10T11:00:00Z'))
  assert.throws(() => parseInstant('2026-03-10 12:00', 'querystring/from'), /querystring\/from must be ISO-8601/)
})
