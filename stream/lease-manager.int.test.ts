import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { RedisLeaseManager } from './lease-manager.ts'
import { RedisKeys } from './redis-keys.ts'
import { integrationConfig, requireServers } from './testing/integration-env.ts'

test('renewAll extends every held lease in one call and reports the ones lost to another worker', async () => {
  const { cfg } = integrationConfig('leases')
  await requireServers(cfg)
  const redis = new Redis(cfg.redis.url)
  const keys = new RedisKeys(cfg.redis.keyPrefix)
  const stream = 'lease-test'
  const a = new RedisLeaseManager(redis, cfg.redis.keyPrefix, stream, 'worker-a', 1_000)
  const b = new RedisLeaseManager(redis, cfg.redis.keyPrefix, stream, 'worker-b', 1_000)
  try {
    const held = await Promise.all(['s-0', 's-1', 's-2'].map((s) => a.tryAcquire(s)))
    assert.ok(held.every((l) => l !== undefined))
    const [l0, l1, l2] = held as [NonNullable<(typeof held)[0]>, NonNullable<(typeof held)[0]>, NonNullable<(typeof held)[0]>]
    // s-1's lease expires and worker b takes it (with a higher fencing token).
    await redis.del(keys.lease(stream, 's-1'))
    const stolen = await b.tryAcquire('s-1')
    assert.ok(stolen !== undefined && stolen.token > l1.token)
    await redis.pexpire(keys.lease(stream, 's-0'), 50)
    assert.deepEqual(await a.renewAll([l0, l1, l2]), [true, false, true])
    const [ttl0, ttl2] = await a.remainingMsOf([l0, l2])
    assert.ok(ttl0! > 500 && ttl2! > 500, `renewed leases have their full TTL again (${ttl0}, ${ttl2} ms)`)
    assert.equal(await redis.get(keys.lease(stream, 's-1')), stolen.value, "the other worker's lease is untouched")
    assert.deepEqual(await a.renewAll([]), [])
    // A shard's own keys outlive Kinesis' longest retention (365 days).
    await a.markDone('s-2')
    for (const key of [keys.leaseToken(stream, 's-2'), keys.shardDone(stream, 's-2')]) {
      const ttl = await redis.ttl(key)
      assert.ok(ttl > 365 * 86_400, `${key} lives ${ttl} s`)
    }
  } finally {
    const left = await redis.keys(`${cfg.redis.keyPrefix}:*`)
    if (left.length > 0) await redis.unlink(...left)
    await redis.quit()
  }
})
