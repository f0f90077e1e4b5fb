import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import type { AdEvent } from './event.ts'
import { RedisChangeFeed } from './change-feed.ts'
import { foldEvents } from './fold.ts'
import { RedisLeaseManager } from './lease-manager.ts'
import { LiveWindowState } from './live-windows.ts'
import { encodePosition } from './positions.ts'
import { RedisCounterStore } from './redis-counter-store.ts'
import { integrationConfig, requireServers } from './testing/integration-env.ts'

const NOW = Math.floor(Date.now() / 60_000) * 60_000 + 30_000
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10)

function ev(campaign: string, back: number, spend: number): AdEvent {
  return {
    id: `${campaign}-${back}-${spend}`, tsMs: NOW - back * 60_000, tenant: 'acme', platform: 'meta', account: 'act_1', campaign, adset: '', ad: '',
    type: 'spend', impressions: 1, clicks: 0, spendMicros: spend, conversions: 0, revenueMicros: 0, currency: 'USD',
  }
}

test('the change feed keeps live windows equal to the counters: snapshot, then deltas, new entities loaded', async () => {
  const { cfg } = integrationConfig('feed')
  await requireServers(cfg)
  const redis = new Redis(cfg.redis.url)
  try {
    const store = new RedisCounterStore(redis, cfg.redis.keyPrefix, 900)
    const leases = new RedisLeaseManager(redis, cfg.redis.keyPrefix, 's', 'w', 10_000)
    const lease = (await leases.tryAcquire('shard-0'))!
    let seq = 1
    const apply = async (events: AdEvent[]) => {
      const first = encodePosition(String(seq++))
      await store.applyBatch({ stream: 's', shard: 'shard-0', leaseValue: lease.value, firstPos: first, lastPos: first, folded: foldEvents(events, (e) => utcDay(e.tsMs)), duplicates: 0, deadLetters: 0, nowMs: NOW })
    }
    await apply([ev('c1', 0, 100), ev('c1', 3, 50), ev('c1', 20, 7)])
    const state = new LiveWindowState()
    const feed = new RedisChangeFeed(redis, cfg.redis.keyPrefix, state, (_t, _a, ms) => utcDay(ms))
    await feed.start('acme', NOW)
    const today = utcDay(NOW)
    assert.deepEqual(state.windows('acme', 'campaign', 'c1', NOW, today)['5m'], [2, 0, 150, 0, 0], 'snapshot loaded from the hashes')
    await apply([ev('c1', 0, 1000)]) // a delta for a known entity
    await apply([ev('c2', 1, 5), ev('c2', 0, 6)]) // an entity the snapshot did not have
    assert.equal(await feed.poll(NOW), 2)
    const w1 = state.windows('acme', 'campaign', 'c1', NOW, today)
    assert.deepEqual(w1['1m'], [2, 0, 1100, 0, 0])
    assert.deepEqual(w1['1h'], [4, 0, 1157, 0, 0])
    assert.deepEqual(state.windows('acme', 'campaign', 'c2', NOW, today)['5m'], [2, 0, 11, 0, 0], 'a new entity is loaded once, not double counted')
    assert.deepEqual(state.windows('acme', 'account', 'act_1', NOW, today)['15m'], [5, 0, 1161, 0, 0], 'roll-up to the account')
    assert.equal(feed.account('acme', 'campaign', 'c2'), 'act_1')
    const expectToday = [ev('c1', 0, 100), ev('c1', 3, 50), ev('c1', 20, 7), ev('c1', 0, 1000)].filter((e) => utcDay(e.tsMs) === today).reduce((s, e) => s + e.spendMicros, 0)
    assert.equal(state.windows('acme', 'campaign', 'c1', NOW, today).today[2], expectToday)
    assert.equal(await feed.poll(NOW), 0, 'nothing new, nothing applied')
  } finally {
    const keys = await redis.keys(`${cfg.redis.keyPrefix}:*`)
    if (keys.length > 0) await redis.unlink(...keys)
    await redis.quit()
  }
})
