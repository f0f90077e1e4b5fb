import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { FencedError } from './errors.ts'
import type { AdEvent } from './event.ts'
import { foldEvents } from './fold.ts'
import { RedisLeaseManager } from './lease-manager.ts'
import { encodePosition } from './positions.ts'
import { RedisCounterStore } from './redis-counter-store.ts'
import { RedisKeys } from './redis-keys.ts'
import { integrationConfig, requireServers } from './testing/integration-env.ts'

const NOW = Math.floor(Date.now() / 60_000) * 60_000 + 30_000
const day = (e: AdEvent) => new Date(e.tsMs).toISOString().slice(0, 10)
const ev = (id: string, campaign: string, spend: number, tenant = 'acme'): AdEvent => ({
  id, tsMs: NOW, tenant, platform: 'meta', account: 'act 1 ✓', campaign, adset: '', ad: '', type: 'spend',
  impressions: 0, clicks: 0, spendMicros: spend, conversions: 0, revenueMicros: 0, currency: 'USD',
})
const pos = (seq: number) => encodePosition(String(seq))

/** Runs `body` against real Redis under a fresh key prefix, which is cleared after. */
async function withStore(tag: string, body: (o: { redis: Redis; keys: RedisKeys; store: RedisCounterStore; leases: RedisLeaseManager }) => Promise<void>): Promise<void> {
  const { cfg } = integrationConfig(tag)
  await requireServers(cfg)
  const redis = new Redis(cfg.redis.url)
  try {
    await body({
      redis,
      keys: new RedisKeys(cfg.redis.keyPrefix),
      store: new RedisCounterStore(redis, cfg.redis.keyPrefix, 900),
      leases: new RedisLeaseManager(redis, cfg.redis.keyPrefix, 's', 'w', 10_000),
    })
  } finally {
    const found = await redis.keys(`${cfg.redis.keyPrefix}:*`)
    if (found.length > 0) await redis.unlink(...found)
    await redis.quit()
  }
}

test('the apply script writes several shards in one step, and refuses all of it if any lease is not current', async () => {
  await withStore('rcs', async ({ redis, keys, store, leases }) => {
    const [a, b] = [(await leases.tryAcquire('A'))!, (await leases.tryAcquire('B'))!]
    // 5e15 micros: a Lua number HINCRBY must still receive as an integer.
    const big = 5_000_000_000_000_000
    await store.applyBatch({
      stream: 's',
      shards: [{ shard: 'A', leaseValue: a.value, firstPos: pos(1), lastPos: pos(2) }, { shard: 'B', leaseValue: b.value, firstPos: pos(10), lastPos: pos(11) }],
      folded: foldEvents([ev('1', 'c1', 5), ev('2', 'c2', big), ev('3', 'c😀', 1, 'globex')], day),
      duplicates: 1, deadLetters: 2, nowMs: NOW,
    })
    assert.deepEqual(await redis.mget(keys.checkpoint('s', 'A'), keys.checkpoint('s', 'B')), [pos(2), pos(11)])
    const hour = NOW - (NOW % 3_600_000)
    const minute = Math.floor((NOW % 3_600_000) / 60_000)
    assert.equal(await redis.hget(keys.minuteBuckets('acme', 'campaign', 'c2', hour), `${minute}:s`), String(big))
    assert.equal(await redis.hget(keys.dayTotals('acme', 'account', 'act 1 ✓', day(ev('x', 'c', 0))), 's'), String(big + 5))
    assert.ok((await redis.ttl(keys.minuteBuckets('acme', 'campaign', 'c1', hour))) > 0, 'minute buckets expire')
    assert.equal(await redis.hget(keys.entityMeta('globex', 'campaign', 'c😀'), 'account'), 'act 1 ✓')
    assert.equal(Number(await redis.zscore(keys.activeEntities('globex', 'campaign'), 'c😀')), NOW)
    const feed = await redis.xrange(keys.changes('acme'), '-', '+')
    assert.equal(feed.length, 1, 'one change-feed entry per tenant and batch')
    assert.deepEqual(feed[0]![1].filter((_, i) => i % 2 === 0), ['m', 'd'])
    assert.deepEqual(await redis.hgetall(keys.ingestStats('s')), { events: '3', duplicates: '1', dead_letters: '2', batches: '1' })

    // Another worker takes B over: a batch naming A and B is refused whole, A included.
    await redis.set(keys.lease('s', 'B'), 'other|9')
    const before = await redis.hgetall(keys.minuteBuckets('acme', 'campaign', 'c1', hour))
    await assert.rejects(
      store.applyBatch({
        stream: 's',
        shards: [{ shard: 'A', leaseValue: a.value, firstPos: pos(3), lastPos: pos(3) }, { shard: 'B', leaseValue: b.value, firstPos: pos(12), lastPos: pos(12) }],
        folded: foldEvents([ev('4', 'c1', 7)], day), duplicates: 0, deadLetters: 0, nowMs: NOW,
      }),
      (err: unknown) => err instanceof FencedError && err.reason === 'lease' && err.shardIds.join() === 'B',
    )
    assert.deepEqual(await redis.hgetall(keys.minuteBuckets('acme', 'campaign', 'c1', hour)), before, 'nothing of the refused batch was written')
    assert.equal(await redis.get(keys.checkpoint('s', 'A')), pos(2))
    // A batch whose start a checkpoint already covers (a replay) is refused too.
    await assert.rejects(
      store.applyBatch({ stream: 's', shards: [{ shard: 'A', leaseValue: a.value, firstPos: pos(2), lastPos: pos(3) }], folded: foldEvents([], day), duplicates: 0, deadLetters: 0, nowMs: NOW }),
      (err: unknown) => err instanceof FencedError && err.reason === 'checkpoint' && err.shardIds.join() === 'A',
    )
    assert.deepEqual(await store.readCheckpoints('s', ['A', 'B', 'C']), new Map([['A', pos(2)], ['B', pos(11)]]))
  })
})

test('the apply script refuses a batch whose shard checkpoint is not the one the writer expects (Redis lost writes), writing nothing', async () => {
  await withStore('rcs-moved', async ({ redis, keys, store, leases }) => {
    const a = (await leases.tryAcquire('A'))!
    const batch = (firstPos: string, lastPos: string, expectedCheckpoint: string | null, id: string) => ({
      stream: 's', shards: [{ shard: 'A', leaseValue: a.value, firstPos, lastPos, expectedCheckpoint }],
      folded: foldEvents([ev(id, 'c1', 5)], day), duplicates: 0, deadLetters: 0, nowMs: NOW,
    })
    // No checkpoint yet, and none expected; then the one just written is expected.
    await store.applyBatch(batch(pos(1), pos(2), null, '1'))
    await store.applyBatch(batch(pos(3), pos(4), pos(2), '2'))
    // Redis loses the last write (a restart without it, a failover to a replica behind): the
    // checkpoint is back at pos(2) while the worker left pos(4).
    await redis.set(keys.checkpoint('s', 'A'), pos(2))
    const hour = NOW - (NOW % 3_600_000)
    const before = await redis.hgetall(keys.minuteBuckets('acme', 'campaign', 'c1', hour))
    await assert.rejects(
      store.applyBatch(batch(pos(5), pos(6), pos(4), '3')),
      (err: unknown) => err instanceof FencedError && err.reason === 'moved' && err.shardIds.join() === 'A',
    )
    // A checkpoint that vanished is refused the same way.
    await redis.del(keys.checkpoint('s', 'A'))
    await assert.rejects(store.applyBatch(batch(pos(5), pos(6), pos(2), '3')), (err: unknown) => err instanceof FencedError && err.reason === 'moved')
    assert.deepEqual(await redis.hgetall(keys.minuteBuckets('acme', 'campaign', 'c1', hour)), before, 'nothing of the refused batches was written')
    assert.equal(await redis.get(keys.checkpoint('s', 'A')), null)
    // Not checked when the writer does not say what it expects (the single-shard form of earlier versions).
    await store.applyBatch({ ...batch(pos(5), pos(6), null, '3'), shards: [{ shard: 'A', leaseValue: a.value, firstPos: pos(5), lastPos: pos(6) }] })
    assert.equal(await redis.get(keys.checkpoint('s', 'A')), pos(6))
  })
})

test('claims in one call: the first claimer keeps an id, within the call too; a replay keeps its own', async () => {
  await withStore('claims', async ({ redis, keys, store }) => {
    const c = (id: string, claimer: string, tenant = 'acme', tsMs = NOW) => ({ tenant, tsMs, id, claimer })
    // Odd ids too: spaces, quotes, newlines, non-ASCII and a lone surrogate (stored as U+FFFD).
    const odd = ['a b', 'q"uote', 'new\nline', 'ü😀', 'x\ud800y']
    assert.deepEqual([...(await store.claimIds([c('e1', 'r1'), c('e2', 'r2'), c('e1', 'r3'), ...odd.map((id, i) => c(id, `o${i}`)), c('e1', 'r4', 'globex')]))], [0, 0, 1, 0, 0, 0, 0, 0, 0])
    // Later: the replay of r1 is not a duplicate; another record with e2 is; a new id in another minute is new.
    assert.deepEqual([...(await store.claimIds([c('e1', 'r1'), c('e2', 'r9'), c('e3', 'r5', 'acme', NOW + 60_000), ...odd.map((id, i) => c(id, `o${i}`))]))], [0, 1, 0, 0, 0, 0, 0, 0])
    const ttl = await redis.ttl(keys.dedupe('acme', NOW - (NOW % 60_000)))
    assert.ok(ttl > 0 && ttl <= 900, `claims expire after the dedupe window (ttl ${ttl})`)
  })
})
