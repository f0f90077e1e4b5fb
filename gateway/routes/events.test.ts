import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bearer, buildTestGateway, TEST_NOW } from '../testing/test-gateway.ts'

const ev = (over: Record<string, unknown> = {}) => ({ id: `e-${Math.random().toString(36).slice(2)}`, ts: TEST_NOW - 1000, platform: 'meta', account: 'a1', campaign: 'c1', type: 'click', clicks: 1, spend_micros: 400_000, ...over })

test('a batch is tagged with the caller\'s tenant and written; 202 with a result per event', async () => {
  const t = await buildTestGateway()
  const key = await t.apiKey('acme', 'editor')
  const events = [ev(), ev({ tenant: 'acme', adset: 'as1', ts: '2026-03-10T12:00:00Z' }), ev({ tenant: 'globex' }), ev({ ts: TEST_NOW - 2 * 86_400_000 }), ev({ ts: TEST_NOW + 3_600_000 })]
  const res = await t.gateway.app.inject({ method: 'POST', url: '/api/v1/events', headers: bearer(key), payload: { events } })
  assert.equal(res.statusCode, 202)
  const body = res.json()
  assert.deepEqual([body.accepted, body.rejected], [2, 3])
  assert.deepEqual(body.results.map((r: { status: string; code?: string }) => r.code ?? r.status), ['accepted', 'accepted', 'wrong_tenant', 'ts_too_old', 'ts_in_future'])
  assert.equal(body.results[2].id, events[2]!.id)
  const written = t.events.puts.flat().map((r) => ('data' in r ? { key: r.partitionKey, event: JSON.parse(Buffer.from(r.data).toString()) } : undefined))
  assert.deepEqual(written.map((w) => [w!.key, w!.event.tenant, w!.event.id]), [['acme/c1', 'acme', events[0]!.id], ['acme/c1', 'acme', events[1]!.id]])
  assert.equal(written[1]!.event.adset, 'as1', 'fields pass through as sent')
  await t.close()
})

test('a malformed event fails the batch with 400 naming it; nothing is written', async () => {
  const t = await buildTestGateway()
  const h = bearer(await t.jwt('acme', 'editor'))
  const cases: Array<[unknown, string]> = [
    [{ events: [ev(), ev({ clicks: -1 })] }, 'body/events/1/clicks'],
    [{ events: [ev({ spend_micros: 1.5 })] }, 'body/events/0/spend_micros'],
    [{ events: [ev({ type: 'view' })] }, 'body/events/0/type'],
    [{ events: [ev({ campaign: undefined })] }, 'body/events/0/campaign'],
    [{ events: [ev({ currency: 'usd' })] }, 'body/events/0/currency'],
    [{ events: [ev({ clicks: '1' })] }, 'body/events/0/clicks'],
    [{ events: [] }, 'body/events'],
    [{ events: Array.from({ length: 501 }, () => ev()) }, 'body/events'],
    [[ev()], 'body'],
  ]
  for (const [payload, field] of cases) {
    const res = await t.gateway.app.inject({ method: 'POST', url: '/api/v1/events', headers: h, payload: payload as object })
    assert.deepEqual([res.statusCode, res.json().error.field], [400, field], field)
  }
  assert.equal(t.events.puts.length, 0)
  await t.close()
})

test('the batch limit is 5 MiB (413 beyond); Kinesis failing answers 503 so the batch is resent', async () => {
  const t = await buildTestGateway()
  const h = { ...bearer(await t.jwt('acme', 'editor')), 'content-type': 'application/json' }
  const big = JSON.stringify({ events: Array.from({ length: 500 }, () => ev({ platform: 'x'.repeat(256), note: 'y'.repeat(10_500) })) })
  assert.ok(big.length > 5 * 1024 * 1024)
  const tooBig = await t.gateway.app.inject({ method: 'POST', url: '/api/v1/events', headers: h, payload: big })
  assert.deepEqual([tooBig.statusCode, tooBig.json().error.code], [413, 'ADW_GATEWAY_PAYLOAD_TOO_LARGE'])
  // 2 MiB is over the 1 MiB default of other routes but fine here.
  const ok = await t.gateway.app.inject({ method: 'POST', url: '/api/v1/events', headers: h, payload: JSON.stringify({ events: Array.from({ length: 200 }, () => ev({ note: 'y'.repeat(10_000) })) }) })
  assert.equal(ok.statusCode, 202)
  const { UnavailableError } = await import('../errors.ts')
  t.events.fail = new UnavailableError('Kinesis', { cause: new Error('ProvisionedThroughputExceededException') })
  const down = await t.gateway.app.inject({ method: 'POST', url: '/api/v1/events', headers: h, payload: JSON.stringify({ events: [ev()] }) })
  assert.deepEqual([down.statusCode, down.json().error.code], [503, 'ADW_GATEWAY_UNAVAILABLE'])
  const metrics = (await t.gateway.app.inject('/metrics')).body
  assert.match(metrics, /adwatch_http_ingest_events_total\{result="accepted"\} 200/, 'the failed batch is not counted')
  await t.close()
})
