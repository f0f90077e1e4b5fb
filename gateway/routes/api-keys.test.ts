import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bearer, buildTestGateway } from '../testing/test-gateway.ts'

test('an admin creates a key (shown once), lists keys without secrets, revokes one and it stops working', async () => {
  const t = await buildTestGateway()
  const app = t.gateway.app
  const admin = bearer(await t.jwt('acme', 'admin'))
  const created = await app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: admin, payload: { name: 'ingest box', role: 'editor' } })
  assert.equal(created.statusCode, 201)
  assert.equal(created.headers['cache-control'], 'no-store')
  const { id, key, role, name, createdBy, revokedAt } = created.json()
  assert.match(key, /^adw_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/)
  assert.deepEqual([role, name, createdBy, revokedAt], ['editor', 'ingest box', 'user:u1', null])
  const me = await app.inject({ url: '/api/v1/me', headers: bearer(key) })
  assert.deepEqual(me.json(), { tenant: 'acme', role: 'editor', subject: `key:${id}`, kind: 'api-key' })
  const list = await app.inject({ url: '/api/v1/api-keys', headers: admin })
  assert.deepEqual(list.json().items.map((k: { id: string }) => k.id), [id])
  assert.ok(!list.body.includes(key.slice(-43)), 'the secret is never listed')
  assert.notEqual(list.json().items[0].lastUsedAt, null, 'the use above was recorded')
  const revoked = await app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${id}`, headers: admin })
  assert.equal(revoked.statusCode, 204)
  const after = await app.inject({ url: '/api/v1/me', headers: bearer(key) })
  assert.deepEqual([after.statusCode, after.json().error.code], [401, 'ADW_AUTH_INVALID'], 'revoked at once on this gateway')
  assert.match(after.json().error.message, /revoked/)
  assert.notEqual((await app.inject({ url: '/api/v1/api-keys', headers: admin })).json().items[0].revokedAt, null)
  await t.close()
})

test('bad key requests name the field; unknown ids are 404', async () => {
  const t = await buildTestGateway()
  const admin = bearer(await t.jwt('acme', 'admin'))
  const cases: Array<[unknown, string]> = [
    [{ name: 'x', role: 'owner' }, 'body/role'],
    [{ role: 'viewer' }, 'body/name'],
    [{ name: 'x'.repeat(101), role: 'viewer' }, 'body/name'],
    [{ name: 'x', role: 'viewer', tenant: 'globex' }, 'body/tenant'],
  ]
  for (const [payload, field] of cases) {
    const res = await t.gateway.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: admin, payload: payload as object })
    assert.deepEqual([res.statusCode, res.json().error.field], [400, field], JSON.stringify(payload))
  }
  assert.equal((await t.gateway.app.inject({ method: 'DELETE', url: '/api/v1/api-keys/not-hex', headers: admin })).json().error.field, 'params/id')
  assert.equal((await t.gateway.app.inject({ method: 'DELETE', url: '/api/v1/api-keys/0123456789abcdef', headers: admin })).statusCode, 404)
  await t.close()
})
