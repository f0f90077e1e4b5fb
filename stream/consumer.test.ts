import { test } from 'node:test'
import assert from 'node:assert/strict'
import { pino } from 'pino'
import { loadConfig } from '../core/config.ts'
import { Consumer, type ConsumerDeps } from './consumer.ts'
import { deaggregateRecord } from './kpl.ts'
import type { Lease } from './lease-manager.ts'

/**
 * A consumer over fakes: one shard that is always caught up, leases that always renew, and a
 * coordination round whose Redis heartbeat hangs for `stallMs` after the first round.
 */
function stalledConsumer(stallMs: number) {
  const calls = { renewAll: 0, heartbeat: 0, released: [] as string[] }
  const lease: Lease = { shardId: 'A', token: 1, value: 'w|1' }
  const deps = {
    stream: 's',
    source: {
      listShards: async () => [{ shardId: 'A', parentShardId: undefined, adjacentParentShardId: undefined, isClosed: false }],
      iterator: async () => 'it',
      getRecords: async () => ({ records: [], nextIterator: 'it', millisBehindLatest: 0 }),
    },
    counters: { readCheckpoint: async () => undefined, readCheckpoints: async () => new Map() },
    history: { readCheckpoints: async () => new Map() },
    leases: {
      tryAcquire: async (shardId: string) => (shardId === 'A' ? lease : undefined),
      renewAll: async (ls: readonly Lease[]) => {
        calls.renewAll++
        return ls.map(() => true)
      },
      heartbeat: async () => {
        if (calls.heartbeat++ > 0) await new Promise((resolve) => setTimeout(resolve, stallMs))
        return 1
      },
      doneShards: async () => new Set<string>(),
      release: async (l: Lease) => {
        calls.released.push(l.shardId)
      },
      leave: async () => undefined,
      remainingMsOf: async (ls: readonly Lease[]) => ls.map(() => 10_000),
    },
    tenants: { refresh: async () => false, isKnown: () => true, timeZoneOf: () => 'UTC' },
    deaggregate: deaggregateRecord,
    now: Date.now,
    log: pino({ level: 'silent' }),
  } as unknown as ConsumerDeps
  const cfg = loadConfig({ ADW_LEASE_RENEW_MS: '50', ADW_LEASE_TTL_MS: '400', ADW_POLL_IDLE_MS: '20' }).consumer
  return { consumer: new Consumer(deps, cfg), calls }
}

test('leases are renewed on their own timer while a coordination round is stuck (a slow ListShards or Redis call)', async () => {
  const { consumer, calls } = stalledConsumer(600)
  await consumer.start()
  try {
    assert.deepEqual(consumer.heldShards(), ['A'])
    // The second round starts after 50 ms and hangs in its heartbeat for 600 ms.
    await new Promise((resolve) => setTimeout(resolve, 450))
    assert.equal(calls.heartbeat, 2, 'the second round is stuck in its heartbeat')
    assert.ok(calls.renewAll >= 4, `renewed ${calls.renewAll} times during the stuck round (every 50 ms, the lease lives 400 ms)`)
    assert.deepEqual(consumer.heldShards(), ['A'], 'no lease was lost')
  } finally {
    await consumer.stop()
  }
  assert.deepEqual(calls.released, ['A'])
})
