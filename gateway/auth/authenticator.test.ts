import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadConfig } from '../../core/config.ts'
import { MemoryApiKeyStore, MemoryTenants } from '../testing/fakes.ts'
import { signTestJwt, TEST_JWT_SECRET, TEST_NOW } from '../testing/test-gateway.ts'
import { parseApiKey } from './api-key-format.ts'
import { Authenticator } from './authenticator.ts'
import { JwtVerifier } from './jwt-verifier.ts'

function setup(cacheMs = 5_000) {
  let now = TEST_NOW
  const keys = new MemoryApiKeyStore()
  const tenants = new MemoryTenants(new Set(['acme']))
  const jwt = new JwtVerifier({ ...loadConfig({ ADW_JWT_SECRET: TEST_JWT_SECRET }).gateway.jwt, now: () => now })
  const auth = new Authenticator({ jwt, apiKeys: keys, tenants, apiKeyCacheMs: cacheMs, now: () => now })
  return { auth, keys, tenants, advance: (ms: number) => (now += ms) }
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(() => undefined, (e: { code?: string }) => e.code)
}

test('an API key authenticates as its tenant and role; only its hash is stored', async () => {
  const { auth, keys } = setup()
  const { key, record } = await keys.create({ tenant: 'acme', role: 'editor', name: 'ingest', createdBy: 'user:u1', nowMs: TEST_NOW })
  assert.deepEqual(await auth.authenticate(key), { kind: 'api-key', tenant: 'acme', role: 'editor', subject: `key:${record.id}`, keyId: record.id })
  assert.ok(!JSON.stringify(record).includes(parseApiKey(key)!.secret), 'the secret is not stored')
})

test('bad API keys are rejected', async () => {
  const { auth, keys } = setup()
  const { key } = await keys.create({ tenant: 'acme', role: 'editor', name: 'k', createdBy: 'u', nowMs: TEST_NOW })
  const { id } = parseApiKey(key)!
  // Right id, wrong secret: the hash does not match.
  assert.equal(await codeOf(auth.authenticate(`adw_${id}_${'A'.repeat(43)}`)), 'ADW_AUTH_INVALID')
  // Not shaped like a key at all.
  assert.equal(await codeOf(auth.authenticate('adw_nope')), 'ADW_AUTH_INVALID')
  // An id nobody has.
  assert.equal(await codeOf(auth.authenticate(`adw_${'0'.repeat(16)}_${'A'.repeat(43)}`)), 'ADW_AUTH_INVALID')
  assert.equal(await codeOf(auth.authenticate(undefined)), 'ADW_AUTH_MISSING')
})

test('a revoked key stops at once where it was forgotten, elsewhere after the cache time', async () => {
  const { auth, keys, advance } = setup(5_000)
  const { key, record } = await keys.create({ tenant: 'acme', role: 'viewer', name: 'k', createdBy: 'u', nowMs: TEST_NOW })
  await auth.authenticate(key) // cached now
  await keys.revoke('acme', record.id, TEST_NOW)
  // Another gateway that missed the revocation message still trusts its cache for up to 5 s…
  assert.equal((await auth.authenticate(key)).tenant, 'acme')
  advance(5_000)
  // …then asks the store again.
  assert.equal(await codeOf(auth.authenticate(key)), 'ADW_AUTH_INVALID')
  const second = setup()
  const k2 = await second.keys.create({ tenant: 'acme', role: 'viewer', name: 'k', createdBy: 'u', nowMs: TEST_NOW })
  await second.auth.authenticate(k2.key)
  await second.keys.revoke('acme', k2.record.id, TEST_NOW)
  second.auth.forget(k2.record.id)
  assert.equal(await codeOf(second.auth.authenticate(k2.key)), 'ADW_AUTH_INVALID', 'forget() makes a revocation immediate')
})

test('credentials of an unregistered tenant are forbidden', async () => {
  const { auth } = setup()
  assert.equal(await codeOf(auth.authenticate(await signTestJwt({ app_metadata: { tenant: 'initech', role: 'admin' } }))), 'ADW_AUTH_FORBIDDEN')
})

test('a verified JWT is cached until it expires, not beyond', async () => {
  const { auth, advance } = setup()
  const token = await signTestJwt({ app_metadata: { tenant: 'acme', role: 'viewer' } }, { expiresInSec: 120 })
  assert.equal((await auth.authenticate(token)).role, 'viewer')
  advance(60_000)
  assert.equal((await auth.authenticate(token)).role, 'viewer')
  advance(70_000) // past exp (+ the 5 s tolerance)
  assert.equal(await codeOf(auth.authenticate(token)), 'ADW_AUTH_INVALID')
})
