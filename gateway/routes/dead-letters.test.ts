import { test } from 'node:test'
import assert from 'node:assert/strict'
import { idOf } from '../history/clickhouse-dead-letters.ts'
import { deadLetter } from '../testing/fakes.ts'
import { bearer, buildTestGateway, TEST_NOW } from '../testing/test-gateway.ts'

const event = (tenant: string, id: string) => JSON.stringify({ id, ts: TEST_NOW, tenant, platform: 'meta', account: 'a1', campaign: 'c1', type: 'click', clicks: 1 })

async function seeded() {
  const t = await buildTestGateway()
  t.deadLetters.rows.set('acme', [
    deadLetter({ pos: 'p1', raw: event('acme', 'e1'), arrivedAtMs: Date.parse('2026-03-10T11:00:00Z') }),
    deadLetter({ pos: 'p2', raw: event('acme', 'e2'), arrivedAtMs: Date.parse('2026-03-10T11:30:00Z') }),
    deadLetter({ pos: 'p3', raw: '{"id": broken', code: 'bad_json', reason: 'not JSON', arrivedAtMs: Date.parse('2026-03-10T11:45:00Z') }),
    // Partition key acme/…, but the bytes name another tenant: acme may see it, not replay it.
    deadLetter({ pos: 'p4', raw: event('globex', 'e4'), code: 'invalid_field', reason: 'clicks must be >= 0' }),
  ])
  return t
}

test('list newest first with filters, and counts by reason code', async () => {
  const t = await seeded()
  const h = bearer(await t.jwt('acme', 'viewer'))
  const list = (await t.gateway.app.inject({ url: '/api/v1/dead-letters?limit=2', headers: h })).json()
  assert.equal(list.total, 4)
  assert.deepEqual(list.items.map((d: { code: string }) => d.code), ['bad_json', 'unknown_tenant'])
  assert.equal(list.items[0].rawBase64, Buffer.from('{"id": broken').toString('base64'))
  assert.equal(list.items[0].replayedAt, null)
  const filtered = (await t.gateway.app.inject({ url: '/api/v1/dead-letters?code=unknown_tenant&from=2026-03-10T11:15:00Z', headers: h })).json()
  assert.equal(filtered.total, 1)
  const counts = (await t.gateway.app.inject({ url: '/api/v1/dead-letters/counts', headers: h })).json()
  assert.deepEqual(counts, { total: 4, byCode: [{ code: 'unknown_tenant', count: 2 }, { code: 'bad_json', count: 1 }, { code: 'invalid_field', count: 1 }] })
  assert.equal((await t.gateway.app.inject({ url: '/api/v1/dead-letters?code=Bad-Code', headers: h })).json().error.field, 'querystring/code')
  assert.equal((await t.gateway.app.inject({ url: '/api/v1/dead-letters/counts?from=yesterday', headers: h })).json().error.field, 'querystring/from')
  assert.equal((await t.gateway.app.inject({ url: '/api/v1/dead-letters?limit=5000', headers: h })).json().error.field, 'querystring/limit')
  await t.close()
})

test('replay puts the exact bytes back on the stream once and marks them; refusals say why', async () => {
  const t = await seeded()
  const h = bearer(await t.jwt('acme', 'editor'))
  const ids = ['p1', 'p3', 'p4'].map((pos) => idOf({ stream: 'adwatch-events', shard: 'shardId-000000000000', pos }))
  const res = await t.gateway.app.inject({ method: 'POST', url: '/api/v1/dead-letters/replay', headers: h, payload: { ids: [...ids, idOf({ stream: 'adwatch-events', shard: 'x', pos: 'p9' })] } })
  assert.equal(res.statusCode, 200)
  const byStatus = res.json().results.map((r: { status: string }) => r.status)
  assert.deepEqual(byStatus, ['replayed', 'refused', 'refused', 'not_found'])
  assert.match(res.json().results[1].reason, /not JSON/)
  assert.match(res.json().results[2].reason, /globex/)
  assert.equal(t.events.puts.length, 1)
  assert.deepEqual(t.events.puts[0]!.map((r) => ('data' in r ? Buffer.from(r.data).toString() : '')), [event('acme', 'e1')], 'the exact bytes')
  const again = await t.gateway.app.inject({ method: 'POST', url: '/api/v1/dead-letters/replay', headers: h, payload: { ids: [ids[0]] } })
  assert.equal(again.json().results[0].status, 'already_replayed')
  const listed = (await t.gateway.app.inject({ url: '/api/v1/dead-letters?code=unknown_tenant', headers: h })).json()
  assert.equal(listed.items.find((d: { id: string }) => d.id === ids[0]).replayedBy, 'user:u1')
  // By reason code: the newest not yet replayed.
  const byCode = await t.gateway.app.inject({ method: 'POST', url: '/api/v1/dead-letters/replay', headers: h, payload: { code: 'unknown_tenant' } })
  assert.deepEqual(byCode.json().results.map((r: { status: string }) => r.status), ['replayed'])
  assert.equal(t.events.puts.length, 2)
  await t.close()
})

test('a failed put releases the claims, so the replay can be tried again', async () => {
  const t = await seeded()
  const h = bearer(await t.jwt('acme', 'editor'))
  const id = idOf({ stream: 'adwatch-events', shard: 'shardId-000000000000', pos: 'p1' })
  t.events.fail = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
  const failed = await t.gateway.app.inject({ method: 'POST', url: '/api/v1/dead-letters/replay', headers: h, payload: { ids: [id] } })
  assert.equal(failed.statusCode, 503)
  t.events.fail = undefined
  const retried = await t.gateway.app.inject({ method: 'POST', url: '/api/v1/dead-letters/replay', headers: h, payload: { ids: [id] } })
  assert.equal(retried.json().results[0].status, 'replayed')
  await t.close()
})

test('replay requests are validated: ids or a code, each id well formed, viewers may not replay', async () => {
  const t = await seeded()
  const h = bearer(await t.jwt('acme', 'editor'))
  const cases: Array<[unknown, string]> = [
    [{}, 'body/ids'], // neither ids nor code: the first alternative's field is named
    [{ ids: [] }, 'body/ids'],
    [{ ids: ['%%%'] }, 'body/ids/0'],
    [{ ids: Array.from({ length: 501 }, () => 'x') }, 'body/ids'],
    [{ code: 'unknown_tenant', limit: 0 }, 'body/limit'],
  ]
  for (const [payload, field] of cases) {
    const res = await t.gateway.app.inject({ method: 'POST', url: '/api/v1/dead-letters/replay', headers: h, payload: payload as object })
    assert.deepEqual([res.statusCode, res.json().error.field], [400, field], JSON.stringify(payload).slice(0, 60))
  }
  const viewer = bearer(await t.jwt('acme', 'viewer'))
  assert.equal((await t.gateway.app.inject({ method: 'POST', url: '/api/v1/dead-letters/replay', headers: viewer, payload: { code: 'bad_json' } })).statusCode, 403)
  await t.close()
})
