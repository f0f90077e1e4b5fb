import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { integrationConfig, requireServers } from '../stream/testing/integration-env.ts'
import { RuleInvalidError } from './errors.ts'
import { RedisRuleStore } from './rule-store.ts'

const rule = (threshold: number) => ({
  id: 'high-cpc', name: 'High CPC', level: 'campaign', severity: 'warning',
  conditions: { all: [{ fact: 'cpc_15m', operator: 'greaterThan', value: threshold }] },
})

test('every save is a new version with author and time; versions can be read and restored', async () => {
  const { cfg } = integrationConfig('rulestore')
  await requireServers(cfg)
  const redis = new Redis(cfg.redis.url)
  let clock = 1_000
  const store = new RedisRuleStore(redis, cfg.redis.keyPrefix, () => clock)
  try {
    const v1 = await store.save('acme', rule(3), 'ana')
    clock = 2_000
    const v2 = await store.save('acme', rule(4), 'ben')
    assert.deepEqual([v1.version, v1.author, v1.savedAtMs], [1, 'ana', 1_000])
    assert.deepEqual([v2.version, v2.author, v2.savedAtMs], [2, 'ben', 2_000])
    assert.equal((await store.get('acme', 'high-cpc')).version, 2)
    assert.deepEqual((await store.versions('acme', 'high-cpc')).map((s) => s.version), [1, 2])
    const restored = await store.restore('acme', 'high-cpc', 1, 'cy')
    assert.equal(restored.version, 3, 'a restore is a new version')
    assert.deepEqual(restored.rule, v1.rule)
    // Concurrent saves never share a version number.
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => store.save('acme', rule(10 + i), 'load')))
    assert.equal(new Set(many.map((s) => s.version)).size, 20)
    // Tenants are apart.
    assert.deepEqual(await store.list('globex'), [])
    // An invalid rule is refused with its paths and changes nothing.
    const revision = await store.revision('acme')
    await assert.rejects(store.save('acme', { ...rule(1), level: 'keyword' }, 'x'), (err: unknown) => err instanceof RuleInvalidError && err.problems[0]?.path === '$.level')
    assert.equal(await store.revision('acme'), revision)
    await store.remove('acme', 'high-cpc')
    assert.deepEqual(await store.list('acme'), [])
    assert.equal((await store.versions('acme', 'high-cpc')).length, 23, 'versions survive removal')
    await assert.rejects(store.get('acme', 'high-cpc'), { code: 'ADW_RULE_NOT_FOUND' })
    // Creates race in one script: of 10 concurrent creates of one id exactly one succeeds.
    const creates = await Promise.allSettled(Array.from({ length: 10 }, () => store.save('acme', { ...rule(5), id: 'fresh' }, 'racer', { onlyIfNew: true })))
    assert.equal(creates.filter((c) => c.status === 'fulfilled').length, 1)
    assert.ok(creates.every((c) => c.status === 'fulfilled' || (c.reason as { code?: string }).code === 'ADW_RULE_EXISTS'))
    assert.equal((await store.versions('acme', 'fresh')).length, 1)
    // A removed rule's id can be created again (as its next version).
    const again = await store.save('acme', rule(6), 'ana', { onlyIfNew: true })
    assert.equal(again.version, 24)
  } finally {
    const keys = await redis.keys(`${cfg.redis.keyPrefix}:*`)
    if (keys.length > 0) await redis.unlink(...keys)
    await redis.quit()
  }
})
