import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Redis } from 'ioredis'
import type { AdEvent, Level } from './event.ts'
import { foldEvents } from './fold.ts'
import { encodePosition } from './positions.ts'
import { encodeChanges, REDIS_TTL_SEC, RedisCounterStore } from './redis-counter-store.ts'
import { RedisKeys } from './redis-keys.ts'

const T0 = Date.parse('2026-11-21T10:07:30Z')
const ev = (o: Partial<AdEvent>): AdEvent => ({
  id: 'x', tsMs: T0, tenant: 'acme', platform: 'meta', account: 'act_1', campaign: 'c1', adset: '', ad: '', type: 'click',
  impressions: 0, clicks: 1, spendMicros: 250, conversions: 0, revenueMicros: 0, currency: 'USD', ...o,
})
const utcDay = (e: AdEvent) => new Date(e.tsMs).toISOString().slice(0, 10)
const LEVEL_INDEX: Record<Level, number> = { account: 0, campaign: 1, adset: 2, ad: 3 }

test('change-feed fields are exactly the JSON of the [level, entity, minute|day, sums] arrays readers parse', () => {
  const folded = foldEvents(
    [
      ev({ campaign: 'c "quoted" \\ é' }),
      ev({ campaign: 'lone \ud800 surrogate', tsMs: T0 + 60_000, impressions: 12 }),
      ev({ tenant: 'globex', ad: 'ad😀', adset: 'as 1', revenueMicros: 5_000_000_000_000_000 }),
    ],
    utcDay,
  )
  const feeds = encodeChanges(folded)
  assert.deepEqual([...feeds.keys()], ['acme', 'globex'])
  for (const [tenant, entry] of feeds) {
    const minutes = folded.minutes.filter((c) => c.tenant === tenant).map((c) => [LEVEL_INDEX[c.level], c.entity, c.minuteMs, ...c.sums])
    const days = folded.days.filter((c) => c.tenant === tenant).map((c) => [LEVEL_INDEX[c.level], c.entity, c.day, ...c.sums])
    assert.equal(entry.minutes, JSON.stringify(minutes))
    assert.equal(entry.days, JSON.stringify(days))
  }
})

test('a batch is one script call: leases and checkpoints first, increments packed per hash, one feed entry per tenant', async () => {
  const calls: Array<{ keys: string[]; args: string[] }> = []
  const fake = { defineCommand() {}, adwApplyBatch: async (_n: number, keys: string[], args: string[]) => calls.push({ keys, args }) }
  const store = new RedisCounterStore(fake as unknown as Redis, 'adw', 900)
  const folded = foldEvents([ev({}), ev({ tsMs: T0 + 60_000, clicks: 2 }), ev({ tenant: 'globex' })], utcDay)
  const pos = (n: number) => encodePosition(String(n))
  await store.applyBatch({
    stream: 's',
    shards: [{ shard: 'A', leaseValue: 'w|1', firstPos: pos(1), lastPos: pos(2), expectedCheckpoint: null }, { shard: 'B', leaseValue: 'w|2', firstPos: pos(5), lastPos: pos(9), expectedCheckpoint: pos(4) }],
    folded, duplicates: 1, deadLetters: 2, nowMs: T0,
  })
  assert.equal(calls.length, 1)
  const { keys, args } = calls[0]!
  const k = new RedisKeys('adw')
  assert.deepEqual(keys.slice(0, 5), [k.ingestStats('s'), k.lease('s', 'A'), k.checkpoint('s', 'A'), k.lease('s', 'B'), k.checkpoint('s', 'B')])
  // Per shard: lease value, first and last position, the checkpoint expected ('' for none).
  assert.deepEqual(args.slice(0, 14), ['2', String(REDIS_TTL_SEC.checkpoint), '3', '1', '2', '100000', 'w|1', pos(1), pos(2), '', 'w|2', pos(5), pos(9), pos(4)])
  // Increments: [key index, ttl, n, field, value, …]; acme's campaign c1 has two minutes in one hour hash.
  const incr = JSON.parse(args[14]!) as Array<string | number>
  const hourMs = T0 - (T0 % 3_600_000)
  const ops = new Map<string, { ttl: number; pairs: Array<string | number> }>()
  for (let i = 0; i < incr.length; ) {
    const n = incr[i + 2] as number
    // A data key's index counts from 1 after the stats, lease and checkpoint keys (Lua's KEYS[d + i]).
    ops.set(keys[4 + (incr[i] as number)]!, { ttl: incr[i + 1] as number, pairs: incr.slice(i + 3, i + 3 + 2 * n) })
    i += 3 + 2 * n
  }
  assert.deepEqual(ops.get(k.minuteBuckets('acme', 'campaign', 'c1', hourMs)), { ttl: REDIS_TTL_SEC.minuteBuckets, pairs: ['7:c', 1, '7:s', 250, '8:c', 2, '8:s', 250] })
  assert.deepEqual(ops.get(k.dayTotals('globex', 'account', 'act_1', '2026-11-21')), { ttl: REDIS_TTL_SEC.dayTotals, pairs: ['c', 1, 's', 250] })
  const feedCount = Number(args[17])
  assert.equal(feedCount, 2, 'one change-feed entry per tenant')
  assert.equal(keys[4 + Number(args[18])], k.changes('acme'))
  // Entity metadata is written once per entity, then refreshed only every ten minutes.
  assert.ok((JSON.parse(args[15]!) as unknown[]).length > 0)
  await store.applyBatch({ stream: 's', shards: [{ shard: 'A', leaseValue: 'w|1', firstPos: pos(3), lastPos: pos(3) }], folded, duplicates: 0, deadLetters: 0, nowMs: T0 + 1_000 })
  // No expected checkpoint given: '*', not checked.
  assert.equal(calls[1]!.args[9], '*')
  assert.deepEqual(JSON.parse(calls[1]!.args[11]!), [])
})

test('a counter hash gets its expiry on the first write and then at most every ten minutes; a failed call sets none', async () => {
  const calls: string[][] = []
  let failNext = false
  const fake = {
    defineCommand() {},
    adwApplyBatch: async (_n: number, _keys: string[], args: string[]) => {
      calls.push(args)
      if (failNext) {
        failNext = false
        throw new Error('connection reset')
      }
    },
  }
  const store = new RedisCounterStore(fake as unknown as Redis, 'adw', 900)
  const folded = foldEvents([ev({})], utcDay)
  const pos = encodePosition('1')
  const apply = (nowMs: number) => store.applyBatch({ stream: 's', shard: 'A', leaseValue: 'w|1', firstPos: pos, lastPos: pos, folded, duplicates: 0, deadLetters: 0, nowMs })
  /** The ttl of every increment op of a call (args after the head: 6 + 4 per shard). */
  const ttls = (args: string[]) => {
    const incr = JSON.parse(args[10]!) as number[]
    const out: number[] = []
    for (let i = 0; i < incr.length; i += 3 + 2 * incr[i + 2]!) out.push(incr[i + 1]!)
    return out
  }
  failNext = true
  await assert.rejects(apply(T0))
  await apply(T0 + 1_000)
  await apply(T0 + 2_000)
  await apply(T0 + 11 * 60_000)
  const [failed, first, second, later] = calls.map(ttls)
  assert.ok(failed!.length > 0 && failed!.every((t) => t > 0))
  assert.deepEqual(first, failed, 'the failed call set no expiry: the next one sets them')
  assert.ok(second!.every((t) => t === 0), 'written again within ten minutes: expiry left alone')
  assert.deepEqual(later, first, 'ten minutes on: set again')
  assert.ok(first!.includes(REDIS_TTL_SEC.minuteBuckets) && first!.includes(REDIS_TTL_SEC.dayTotals))
})
