import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { RuleChangePush } from '../socket-events.ts'
import { bearer, buildTestGateway, TEST_NOW, type TestGateway } from '../testing/test-gateway.ts'

const rule = (over: Record<string, unknown> = {}) => ({
  id: 'high-cpc',
  name: 'CPC over $3',
  level: 'campaign',
  severity: 'warning',
  for: '5m',
  conditions: { all: [{ fact: 'cpc_15m', operator: 'greaterThan', value: 3 }] },
  ...over,
})

async function setup(): Promise<{ t: TestGateway; editor: { authorization: string }; viewer: { authorization: string }; pushes: RuleChangePush[] }> {
  const t = await buildTestGateway()
  const pushes: RuleChangePush[] = []
  // What the publisher sends to the tenant's room, seen at the Socket.IO server.
  const io = t.gateway.io as unknown as { to: (room: string) => { emit: (event: string, payload: RuleChangePush) => boolean } }
  io.to = (room) => ({ emit: (event, payload) => (room.includes('acme') && event === 'rule:changed' ? pushes.push(payload) > 0 : false) })
  return { t, editor: bearer(await t.jwt('acme', 'editor')), viewer: bearer(await t.jwt('acme', 'viewer')), pushes }
}

test('create, read, list, save new versions, list versions newest first, restore, delete', async () => {
  const { t, editor, viewer, pushes } = await setup()
  const app = t.gateway.app
  const created = await app.inject({ method: 'POST', url: '/api/v1/rules', headers: editor, payload: rule() })
  assert.equal(created.statusCode, 201)
  assert.deepEqual(created.json(), { rule: rule(), version: 1, author: 'user:u1', savedAt: new Date(TEST_NOW).toISOString() })
  // The same id again is a conflict: a new version is a PUT.
  const again = await app.inject({ method: 'POST', url: '/api/v1/rules', headers: editor, payload: rule() })
  assert.deepEqual([again.statusCode, again.json().error.code], [409, 'ADW_GATEWAY_CONFLICT'])

  const v2 = await app.inject({ method: 'PUT', url: '/api/v1/rules/high-cpc', headers: editor, payload: rule({ name: 'CPC over $4' }) })
  assert.deepEqual([v2.statusCode, v2.json().version, v2.json().rule.name], [200, 2, 'CPC over $4'])
  // PUT creates a rule that does not exist yet (the dashboard saves new rules this way); the id may be left to the URL.
  const { id: _omit, ...noId } = rule({ name: 'spend' })
  const other = await app.inject({ method: 'PUT', url: '/api/v1/rules/spend-spike', headers: editor, payload: noId })
  assert.deepEqual([other.statusCode, other.json().version, other.json().rule.id], [200, 1, 'spend-spike'])

  const one = (await app.inject({ url: '/api/v1/rules/high-cpc', headers: viewer })).json()
  assert.deepEqual([one.version, one.rule.name], [2, 'CPC over $4'])
  const list = (await app.inject({ url: '/api/v1/rules', headers: viewer })).json()
  assert.deepEqual(list.items.map((r: { rule: { id: string }; version: number }) => [r.rule.id, r.version]), [['high-cpc', 2], ['spend-spike', 1]])
  assert.equal(list.total, 2)
  assert.deepEqual((await app.inject({ url: '/api/v1/rules?limit=1&offset=1', headers: viewer })).json().items.map((r: { rule: { id: string } }) => r.rule.id), ['spend-spike'])

  const versions = (await app.inject({ url: '/api/v1/rules/high-cpc/versions', headers: viewer })).json()
  assert.deepEqual(versions.items.map((v: { version: number }) => v.version), [2, 1], 'newest first')

  const restored = await app.inject({ method: 'POST', url: '/api/v1/rules/high-cpc/versions/1/restore', headers: editor, payload: {} })
  assert.deepEqual([restored.statusCode, restored.json().version, restored.json().rule.name], [200, 3, 'CPC over $3'])

  const del = await app.inject({ method: 'DELETE', url: '/api/v1/rules/high-cpc', headers: editor })
  assert.equal(del.statusCode, 204)
  assert.equal((await app.inject({ url: '/api/v1/rules/high-cpc', headers: viewer })).statusCode, 404)
  assert.deepEqual((await app.inject({ url: '/api/v1/rules', headers: viewer })).json().items.map((r: { rule: { id: string } }) => r.rule.id), ['spend-spike'])
  // Deleted, its versions stay readable and restorable (undelete).
  assert.equal((await app.inject({ url: '/api/v1/rules/high-cpc/versions', headers: viewer })).json().total, 3)
  const undeleted = await app.inject({ method: 'POST', url: '/api/v1/rules/high-cpc/versions/2/restore', headers: editor })
  assert.deepEqual([undeleted.statusCode, undeleted.json().version], [200, 4])

  // Every change went to the tenant's sockets.
  assert.deepEqual(pushes.map((p) => [p.kind, p.ruleId, p.version]), [
    ['saved', 'high-cpc', 1], ['saved', 'high-cpc', 2], ['saved', 'spend-spike', 1], ['saved', 'high-cpc', 3], ['deleted', 'high-cpc', 3], ['saved', 'high-cpc', 4],
  ])
  await t.close()
})

test('invalid rules answer 400 ADW_RULE_INVALID naming the JSON path of each problem; nothing is saved', async () => {
  const { t, editor } = await setup()
  const app = t.gateway.app
  const bad = rule({ conditions: { all: [{ fact: 'cpc_15mm', operator: 'greaterThan', value: 3 }, { fact: 'clicks_15m', operator: 'greaterThan', value: 'many' }] } })
  for (const [method, url] of [['POST', '/api/v1/rules'], ['PUT', '/api/v1/rules/high-cpc']] as const) {
    const res = await app.inject({ method, url, headers: editor, payload: bad })
    assert.equal(res.statusCode, 400, `${method} ${url}`)
    const e = res.json().error
    assert.equal(e.code, 'ADW_RULE_INVALID')
    assert.equal(e.field, '$.conditions.all[0].fact')
    assert.deepEqual(e.problems.map((p: { path: string }) => p.path), ['$.conditions.all[0].fact', '$.conditions.all[1].value'])
    assert.match(e.message, /unknown fact "cpc_15mm"/)
  }
  assert.equal(t.rules.history.size, 0, 'nothing saved')
  const cases: Array<[string, string, unknown, string]> = [
    // An envelope problem: a required field.
    ['POST', '/api/v1/rules', { ...rule(), severity: undefined, name: undefined }, '$.name'],
    // A duration that is not one.
    ['PUT', '/api/v1/rules/high-cpc', rule({ for: '5 minutes' }), '$.for'],
    // The id in the body must be the URL's.
    ['PUT', '/api/v1/rules/high-cpc', rule({ id: 'other' }), '$.id'],
  ]
  for (const [method, url, payload, field] of cases) {
    const res = await app.inject({ method: method as 'POST', url, headers: editor, payload: payload as object })
    assert.deepEqual([res.statusCode, res.json().error.field], [400, field], JSON.stringify(payload).slice(0, 80))
  }
  // Not an object at all: the request schema answers, naming the body.
  const arr = await app.inject({ method: 'POST', url: '/api/v1/rules', headers: editor, payload: [rule()] })
  assert.deepEqual([arr.statusCode, arr.json().error.field], [400, 'body'])
  // A bad id in the URL, and a bad version.
  assert.equal((await app.inject({ method: 'PUT', url: '/api/v1/rules/Bad%20Id', headers: editor, payload: rule() })).json().error.field, 'params/id')
  assert.equal((await app.inject({ method: 'POST', url: '/api/v1/rules/high-cpc/versions/0/restore', headers: editor })).json().error.field, 'params/version')
  assert.equal((await app.inject({ url: '/api/v1/rules?limit=0', headers: editor })).json().error.field, 'querystring/limit')
  await t.close()
})

test('validate answers ok and the problems at their paths without saving; viewers may validate', async () => {
  const { t, viewer } = await setup()
  const app = t.gateway.app
  const ok = await app.inject({ method: 'POST', url: '/api/v1/rules/validate', headers: viewer, payload: rule() })
  assert.deepEqual([ok.statusCode, ok.json()], [200, { ok: true, problems: [] }])
  const bad = await app.inject({ method: 'POST', url: '/api/v1/rules/validate', headers: viewer, payload: rule({ severity: 'loud', conditions: { any: [] } }) })
  assert.equal(bad.statusCode, 200)
  assert.equal(bad.json().ok, false)
  assert.deepEqual(bad.json().problems.map((p: { path: string }) => p.path), ['$.severity'])
  const deep = await app.inject({ method: 'POST', url: '/api/v1/rules/validate', headers: viewer, payload: rule({ conditions: { any: [] } }) })
  assert.deepEqual(deep.json().problems, [{ path: '$.conditions.any', message: 'must be a non-empty array of conditions' }])
  assert.equal(t.rules.history.size, 0)
  await t.close()
})

test('missing rules and versions are 404; viewers may not write; no credentials is 401', async () => {
  const { t, editor, viewer } = await setup()
  const app = t.gateway.app
  await app.inject({ method: 'POST', url: '/api/v1/rules', headers: editor, payload: rule() })
  const notFound: Array<[string, string]> = [
    ['GET', '/api/v1/rules/nope'],
    ['GET', '/api/v1/rules/nope/versions'],
    ['DELETE', '/api/v1/rules/nope'],
    ['POST', '/api/v1/rules/nope/versions/1/restore'],
    ['POST', '/api/v1/rules/high-cpc/versions/9/restore'],
  ]
  for (const [method, url] of notFound) {
    const res = await app.inject({ method: method as 'GET', url, headers: editor })
    assert.deepEqual([res.statusCode, res.json().error.code], [404, 'ADW_GATEWAY_NOT_FOUND'], `${method} ${url}`)
  }
  const writes: Array<[string, string, object | undefined]> = [
    ['POST', '/api/v1/rules', rule({ id: 'x' })],
    ['PUT', '/api/v1/rules/high-cpc', rule()],
    ['DELETE', '/api/v1/rules/high-cpc', undefined],
    ['POST', '/api/v1/rules/high-cpc/versions/1/restore', undefined],
  ]
  for (const [method, url, payload] of writes) {
    const res = await app.inject({ method: method as 'POST', url, headers: viewer, ...(payload === undefined ? {} : { payload }) })
    assert.deepEqual([res.statusCode, res.json().error.code], [403, 'ADW_AUTH_FORBIDDEN'], `${method} ${url}`)
  }
  assert.equal((await app.inject({ url: '/api/v1/rules' })).statusCode, 401)
  assert.equal(t.rules.history.get('acme\u0000high-cpc')?.length, 1, 'the viewer changed nothing')
  await t.close()
})

test('a store failure is 503, not 500', async () => {
  const { t, viewer } = await setup()
  t.rules.list = async () => {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' })
  }
  const res = await t.gateway.app.inject({ url: '/api/v1/rules', headers: viewer })
  assert.deepEqual([res.statusCode, res.json().error.code], [503, 'ADW_GATEWAY_UNAVAILABLE'])
  await t.close()
})
