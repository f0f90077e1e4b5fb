import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { RedisKeys } from '../../stream/redis-keys.ts'
import { integrationConfig, requireServers } from '../../stream/testing/integration-env.ts'
import { parseApiKey, secretMatches } from './api-key-format.ts'
import { RedisApiKeyStore } from './api-key-store.ts'

test('API keys in Redis: hashed, listed per tenant, revoked only by their tenant', async () => {
  const { cfg } = integrationConfig('gwkeys')
  await requireServers(cfg)
  const redis = new Redis(cfg.redis.url)
  try {
    const store = new RedisApiKeyStore(redis, cfg.redis.keyPrefix)
    const a = await store.create({ tenant: 'acme', role: 'editor', name: 'ingest', createdBy: 'user:u1', nowMs: 1000 })
    const b = await store.create({ tenant: 'globex', role: 'admin', name: 'ops', createdBy: 'user:u2', nowMs: 2000 })
    const stored = await redis.hgetall(new RedisKeys(cfg.redis.keyPrefix).apiKey(a.record.id))
    assert.ok(!Object.values(stored).some((v) => v.includes(parseApiKey(a.key)!.secret)), 'the secret is not stored')
    assert.ok(secretMatches(parseApiKey(a.key)!.secret, stored.hash!))
    assert.deepEqual((await store.list('acme')).map((k) => [k.id, k.role, k.name]), [[a.record.id, 'editor', 'ingest']])
    assert.equal((await store.find(b.record.id))?.tenant, 'globex')
    assert.equal(await store.revoke('acme', b.record.id, 3000), false, 'acme cannot revoke globex\'s key')
    assert.equal((await store.find(b.record.id))?.revokedAtMs, undefined)
    assert.equal(await store.revoke('acme', a.record.id, 3000), true)
    await store.touch(a.record.id, 4000)
    const after = await store.find(a.record.id)
    assert.deepEqual([after?.revokedAtMs, after?.lastUsedAtMs], [3000, 4000])
    assert.equal(await store.find('0000000000000000'), undefined)
  } finally {
    const keys = await redis.keys(`${cfg.redis.keyPrefix}:*`)
    if (keys.length > 0) await redis.unlink(...keys)
    await redis.quit()
  }
})
