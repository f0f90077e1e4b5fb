import { test } from 'node:test'
import assert from 'node:assert/strict'
import { alertEvent, liveAlert } from '../testing/alerting-fakes.ts'
import { bearer, buildTestGateway, signTestJwt, TEST_NOW, type TestGateway } from '../testing/test-gateway.ts'

const FP1 = '0123456789abcdef'
const FP2 = 'fedcba9876543210'
const FP3 = 'aaaaaaaaaaaaaaaa'

/** acme: a firing warning on c1 (FP1), a pending critical detector alert on c2 (FP2), a resolved one (FP3). */
async function withAlerts(): Promise<TestGateway> {
  const t = await buildTestGateway()
  t.alerting.addAlert(liveAlert('acme', FP1, { startsAtMs: TEST_NOW - 60_000, updatedAtMs: TEST_NOW - 60_000 }))
  t.alerting.addAlert(liveAlert('acme', FP2, { status: 'pending', source: 'detector', sourceId: 'ewma', severity: 'critical', entity: 'c2', campaign: 'c2', updatedAtMs: TEST_NOW - 30_000 }))
  t.alerting.addAlert(liveAlert('acme', FP3, { status: 'resolved', endsAtMs: TEST_NOW - 10_000, updatedAtMs: TEST_NOW - 10_000, account: '' }))
  return t
}

test('GET /alerts lists live alerts firing first, with filters and paging', async () => {
  const t = await withAlerts()
  const h = bearer(await t.jwt('acme', 'viewer'))
  const list = async (qs: string) => (await t.gateway.app.inject({ url: `/api/v1/alerts${qs}`, headers: h })).json()
  const all = await list('')
  assert.deepEqual(all.items.map((a: { fingerprint: string }) => a.fingerprint), [FP1, FP2, FP3], 'firing, pending, resolved')
  assert.equal(all.total, 3)
  const first = all.items[0]
  assert.deepEqual(
    [first.state, first.source, first.sourceId, first.level, first.entity, first.account, first.severity, first.startsAt, first.endsAt, first.acknowledgedBy, first.silencedBy],
    ['firing', 'rule', 'high-cpc', 'campaign', 'c1', 'a1', 'warning', new Date(TEST_NOW - 60_000).toISOString(), null, null, []],
  )
  assert.equal(all.items[2].account, null, "'' becomes null")
  assert.equal(all.items[2].endsAt, new Date(TEST_NOW - 10_000).toISOString())
  // Each filter narrows to what it names.
  assert.deepEqual((await list('?state=open')).items.map((a: { fingerprint: string }) => a.fingerprint), [FP1, FP2])
  assert.deepEqual((await list('?state=resolved')).items.map((a: { fingerprint: string }) => a.fingerprint), [FP3])
  assert.deepEqual((await list('?severity=critical')).items.map((a: { fingerprint: string }) => a.fingerprint), [FP2])
  assert.deepEqual((await list('?source=detector')).items.map((a: { fingerprint: string }) => a.fingerprint), [FP2])
  assert.deepEqual((await list('?entity=c2&level=campaign')).items.map((a: { fingerprint: string }) => a.fingerprint), [FP2])
  assert.deepEqual((await list('?sourceId=high-cpc&state=firing')).items.map((a: { fingerprint: string }) => a.fingerprint), [FP1])
  const page = await list('?limit=1&offset=1')
  assert.deepEqual([page.items.length, page.items[0].fingerprint, page.total, page.limit, page.offset], [1, FP2, 3, 1, 1])
  await t.close()
})

test('GET /alerts: bad filters are 400 naming the field', async () => {
  const t = await withAlerts()
  const h = bearer(await t.jwt('acme', 'viewer'))
  for (const [qs, field] of [['?state=burning', 'querystring/state'], ['?severity=loud', 'querystring/severity'], ['?source=human', 'querystring/source'], ['?limit=0', 'querystring/limit'], ['?tenant=globex', 'querystring/tenant'], ['?level=planet', 'querystring/level']] as const) {
    const res = await t.gateway.app.inject({ url: `/api/v1/alerts${qs}`, headers: h })
    assert.deepEqual([res.statusCode, res.json().error.field], [400, field], qs)
  }
  assert.equal((await t.gateway.app.inject({ url: '/api/v1/alerts' })).statusCode, 401, 'credentials required')
  await t.close()
})

test('GET /alerts/:fingerprint answers one alert; unknown is 404, malformed 400', async () => {
  const t = await withAlerts()
  const h = bearer(await t.jwt('acme', 'viewer'))
  const one = await t.gateway.app.inject({ url: `/api/v1/alerts/${FP2}`, headers: h })
  assert.deepEqual([one.statusCode, one.json().state, one.json().severity], [200, 'pending', 'critical'])
  const missing = await t.gateway.app.inject({ url: '/api/v1/alerts/1111111111111111', headers: h })
  assert.deepEqual([missing.statusCode, missing.json().error.code], [404, 'ADW_GATEWAY_NOT_FOUND'])
  const bad = await t.gateway.app.inject({ url: '/api/v1/alerts/NOT-A-FP', headers: h })
  assert.deepEqual([bad.statusCode, bad.json().error.field], [400, 'params/fingerprint'])
  await t.close()
})

test('acknowledging records who and when, is idempotent, needs editor, and only a firing alert can be', async () => {
  const t = await withAlerts()
  const editor = bearer(await signTestJwt({ app_metadata: { tenant: 'acme', role: 'editor' } }, { subject: 'ann' }))
  const viewer = bearer(await t.jwt('acme', 'viewer'))
  const denied = await t.gateway.app.inject({ method: 'POST', url: `/api/v1/alerts/${FP1}/ack`, headers: viewer, payload: {} })
  assert.deepEqual([denied.statusCode, denied.json().error.code], [403, 'ADW_AUTH_FORBIDDEN'])
  const ack = await t.gateway.app.inject({ method: 'POST', url: `/api/v1/alerts/${FP1}/ack`, headers: editor, payload: { comment: 'on it' } })
  assert.equal(ack.statusCode, 200)
  assert.deepEqual([ack.json().fingerprint, ack.json().acknowledgedBy, ack.json().acknowledgedAt], [FP1, 'user:ann', new Date(TEST_NOW).toISOString()])
  assert.equal(t.alerting.ackMap.get('acme')?.get(FP1)?.comment, 'on it')
  // A second acknowledgement (another editor) keeps the first: same answer, nothing rewritten.
  const again = await t.gateway.app.inject({ method: 'POST', url: `/api/v1/alerts/${FP1}/ack`, headers: bearer(await signTestJwt({ app_metadata: { tenant: 'acme', role: 'admin' } }, { subject: 'bob' })) })
  assert.deepEqual([again.statusCode, again.json().acknowledgedBy], [200, 'user:ann'])
  // The list shows it.
  const listed = (await t.gateway.app.inject({ url: `/api/v1/alerts/${FP1}`, headers: viewer })).json()
  assert.equal(listed.acknowledgedBy, 'user:ann')
  // Pending and resolved alerts cannot be acknowledged; unknown ones are 404.
  for (const fp of [FP2, FP3]) {
    const res = await t.gateway.app.inject({ method: 'POST', url: `/api/v1/alerts/${fp}/ack`, headers: editor, payload: {} })
    assert.deepEqual([res.statusCode, res.json().error.code], [409, 'ADW_GATEWAY_CONFLICT'], fp)
  }
  const unknown = await t.gateway.app.inject({ method: 'POST', url: '/api/v1/alerts/1111111111111111/ack', headers: editor, payload: {} })
  assert.equal(unknown.statusCode, 404)
  const badBody = await t.gateway.app.inject({ method: 'POST', url: `/api/v1/alerts/${FP1}/ack`, headers: editor, payload: { comment: 'x'.repeat(501) } })
  assert.deepEqual([badBody.statusCode, badBody.json().error.field], [400, 'body/comment'])
  const extra = await t.gateway.app.inject({ method: 'POST', url: `/api/v1/alerts/${FP1}/ack`, headers: editor, payload: { author: 'someone else' } })
  assert.deepEqual([extra.statusCode, extra.json().error.field], [400, 'body/author'], 'the author is the caller, never the body')
  // Withdraw: 204, then the alert is unacknowledged; a second withdrawal is 404.
  const unack = await t.gateway.app.inject({ method: 'DELETE', url: `/api/v1/alerts/${FP1}/ack`, headers: editor })
  assert.equal(unack.statusCode, 204)
  assert.equal((await t.gateway.app.inject({ url: `/api/v1/alerts/${FP1}`, headers: viewer })).json().acknowledgedBy, null)
  assert.equal((await t.gateway.app.inject({ method: 'DELETE', url: `/api/v1/alerts/${FP1}/ack`, headers: editor })).statusCode, 404)
  await t.close()
})

test('acknowledging without a body works (curl -X POST)', async () => {
  const t = await withAlerts()
  const res = await t.gateway.app.inject({ method: 'POST', url: `/api/v1/alerts/${FP1}/ack`, headers: bearer(await t.jwt('acme', 'editor')) })
  assert.deepEqual([res.statusCode, res.json().acknowledgedBy], [200, 'user:u1'])
  await t.close()
})

test('history merges ClickHouse rows with the event log tail, newest first, without duplicates', async () => {
  const t = await withAlerts()
  const h = bearer(await t.jwt('acme', 'viewer'))
  const stored = alertEvent('acme', FP1, { kind: 'pending', atMs: TEST_NOW - 120_000 })
  const id1 = t.alerting.append(stored, TEST_NOW - 120_000)
  t.alerting.rows.push({ ...stored, tenant: 'acme', eventId: id1, labels: { ...stored.labels }, annotations: {}, values: { ...stored.values } })
  // In the log only (ClickHouse not written yet), and another alert's.
  t.alerting.append(alertEvent('acme', FP1, { kind: 'firing', atMs: TEST_NOW - 60_000 }), TEST_NOW - 60_000)
  t.alerting.append(alertEvent('acme', FP2, { kind: 'pending', atMs: TEST_NOW - 30_000 }), TEST_NOW - 30_000)
  const one = await t.gateway.app.inject({ url: `/api/v1/alerts/${FP1}/history`, headers: h })
  assert.equal(one.statusCode, 200)
  assert.deepEqual(one.json().items.map((x: { kind: string }) => x.kind), ['firing', 'pending'])
  assert.equal(one.json().hasMore, false)
  assert.equal(one.json().items[1].id, id1)
  const all = await t.gateway.app.inject({ url: '/api/v1/alerts/history', headers: h })
  assert.deepEqual(all.json().items.map((x: { fingerprint: string }) => x.fingerprint), [FP2, FP1, FP1])
  const firingOnly = await t.gateway.app.inject({ url: '/api/v1/alerts/history?kind=firing', headers: h })
  assert.deepEqual(firingOnly.json().items.map((x: { kind: string }) => x.kind), ['firing'])
  const page = await t.gateway.app.inject({ url: '/api/v1/alerts/history?limit=2', headers: h })
  assert.deepEqual([page.json().items.length, page.json().hasMore], [2, true])
  const range = await t.gateway.app.inject({ url: `/api/v1/alerts/history?from=${TEST_NOW - 90_000}&to=${new Date(TEST_NOW - 45_000).toISOString()}`, headers: h })
  assert.deepEqual(range.json().items.map((x: { kind: string; fingerprint: string }) => `${x.fingerprint}:${x.kind}`), [`${FP1}:firing`])
  await t.close()
})

test('history: bad ranges are 400 naming the field; an alert never seen is 404', async () => {
  const t = await withAlerts()
  const h = bearer(await t.jwt('acme', 'viewer'))
  const cases: Array<[string, string]> = [
    ['/api/v1/alerts/history?from=yesterday', 'querystring/from'],
    ['/api/v1/alerts/history?to=soon', 'querystring/to'],
    [`/api/v1/alerts/history?from=${TEST_NOW}&to=${TEST_NOW - 1}`, 'querystring/from'],
    [`/api/v1/alerts/history?from=${TEST_NOW - 91 * 86_400_000}&to=${TEST_NOW}`, 'querystring/from'],
    ['/api/v1/alerts/history?kind=exploded', 'querystring/kind/0'],
    ['/api/v1/alerts/history?fingerprint=xyz', 'querystring/fingerprint'],
  ]
  for (const [url, field] of cases) {
    const res = await t.gateway.app.inject({ url, headers: h })
    assert.deepEqual([res.statusCode, res.json().error.field], [400, field], url)
  }
  const never = await t.gateway.app.inject({ url: '/api/v1/alerts/1111111111111111/history', headers: h })
  assert.equal(never.statusCode, 404)
  // A live alert without transitions in the range is an empty page, not 404.
  const live = await t.gateway.app.inject({ url: `/api/v1/alerts/${FP2}/history`, headers: h })
  assert.deepEqual([live.statusCode, live.json().items], [200, []])
  await t.close()
})

test('the OpenAPI document has every alert, silence and routing-config route', async () => {
  const t = await buildTestGateway()
  const doc = (await t.gateway.app.inject('/docs/json')).json() as { paths: Record<string, Record<string, unknown>> }
  const want: Array<[string, string]> = [
    ['/api/v1/alerts', 'get'], ['/api/v1/alerts/history', 'get'], ['/api/v1/alerts/{fingerprint}', 'get'], ['/api/v1/alerts/{fingerprint}/history', 'get'],
    ['/api/v1/alerts/{fingerprint}/ack', 'post'], ['/api/v1/alerts/{fingerprint}/ack', 'delete'],
    ['/api/v1/silences', 'get'], ['/api/v1/silences', 'post'], ['/api/v1/silences/{id}', 'get'], ['/api/v1/silences/{id}', 'delete'],
    ['/api/v1/alerting/config', 'get'], ['/api/v1/alerting/config', 'put'], ['/api/v1/alerting/config', 'delete'], ['/api/v1/alerting/config/validate', 'post'],
  ]
  for (const [path, method] of want) assert.ok(doc.paths[path]?.[method] !== undefined, `${method.toUpperCase()} ${path}`)
  await t.close()
})
