import { test } from 'node:test'
import assert from 'node:assert/strict'
import { pino } from 'pino'
import type { LiveFeed } from '../deps.ts'
import { GatewayMetrics } from '../metrics.ts'
import { MemoryEntityCatalog } from '../testing/fakes.ts'
import { WINDOW_BATCH_MAX, type WindowUpdate } from '../socket-events.ts'
import { entityRoom } from './rooms.ts'
import type { AdwatchServer } from './socket-server.ts'
import { WindowPusher } from './window-pusher.ts'

test('updates are coalesced per entity room and batched per socket: one message per socket per round, for rooms with local listeners only', async () => {
  const catalog = new MemoryEntityCatalog()
  const MIN = 60_000
  let polls = 0
  let restarted = false
  // Each poll applies five deltas to c1 (a busy campaign) and, on the first poll only, one to c2.
  const live: LiveFeed = {
    async poll(nowMs) {
      polls++
      for (let i = 0; i < 5; i++) catalog.state.applyMinute('acme', 'campaign', 'c1', Math.floor(nowMs / MIN) * MIN, [1, 0, 100, 0, 0], nowMs)
      if (polls === 1) catalog.state.applyMinute('acme', 'campaign', 'c2', Math.floor(nowMs / MIN) * MIN, [1, 0, 7, 0, 0], nowMs)
      if (restarted) catalog.state.applyMinute('acme', 'campaign', 'c3', Math.floor(nowMs / MIN) * MIN, [1, 0, 3, 0, 0], nowMs)
      catalog.state.applyMinute('globex', 'campaign', 'c1', Math.floor(nowMs / MIN) * MIN, [1, 0, 1, 0, 0], nowMs)
    },
    lastChangeMs: (t, l, id) => catalog.state.lastChangeMs(t, l, id),
  }
  const rooms = new Map<string, Set<string>>()
  // Messages as sent (to a socket's own room), and the updates in them one by one.
  const messages: Array<{ socket: string; updates: WindowUpdate[] }> = []
  const sent: Array<{ socket: string; room: string; update: WindowUpdate }> = []
  const io = {
    of: () => ({ adapter: { rooms } }),
    local: {
      to: (socket: string) => ({
        emit: (_event: string, updates: WindowUpdate[]) => {
          messages.push({ socket, updates })
          for (const update of updates) sent.push({ socket, room: entityRoom('acme', update.level, update.id), update })
        },
      }),
    },
  } as unknown as AdwatchServer
  const pusher = new WindowPusher(io, live, catalog, new GatewayMetrics({ now: Date.now, defaultMetrics: false }), 10, Date.now, pino({ level: 'silent' }))
  for (const id of ['c1', 'c2', 'c3']) rooms.set(pusher.watch('acme', 'campaign', id), new Set(['socket-1']))
  // A second socket watches c2 only.
  rooms.get(entityRoom('acme', 'campaign', 'c2'))!.add('socket-2')
  // globex's c1 changes every round too, but nobody here watches it.
  const roundsUntil = async (n: number) => {
    for (let waited = 0; polls < n && waited < 10_000; waited += 5) await new Promise((r) => setTimeout(r, 5))
  }
  pusher.start()
  await roundsUntil(4)
  await pusher.stop()

  const c1 = sent.filter((s) => s.room === entityRoom('acme', 'campaign', 'c1'))
  const rounds = polls
  assert.ok(rounds >= 3, `several rounds ran (${rounds})`)
  assert.equal(c1.length, rounds, 'one c1 message per round, not one per delta (5 per round)')
  assert.equal(c1.at(-1)!.update.windows['1m'].spendMicros, 500 * rounds, 'the last message carries every delta')
  assert.equal(sent.filter((s) => s.socket === 'socket-1' && s.room === entityRoom('acme', 'campaign', 'c2')).length, 1, 'c2 changed once: one update to each watcher')
  assert.equal(messages.filter((m) => m.socket === 'socket-1').length, rounds, 'socket-1: one message per round, c1 and c2 in the first together')
  assert.deepEqual(messages[0]!.updates.map((u) => u.id).sort(), ['c1', 'c2'])
  assert.deepEqual(messages.filter((m) => m.socket === 'socket-2').map((m) => m.updates.map((u) => u.id)), [['c2']], 'socket-2 gets c2 only, once')
  assert.equal(sent.filter((s) => s.room === entityRoom('acme', 'campaign', 'c3')).length, 0, 'c3 never changed')
  assert.ok(sent.every((s) => s.room.includes('acme')), 'no room of a tenant nobody here watches')
  // A room whose last socket left gets nothing more (and is forgotten); the others go on.
  rooms.delete(entityRoom('acme', 'campaign', 'c1'))
  restarted = true
  const before = sent.length
  const pollsBefore = polls
  pusher.start()
  await roundsUntil(pollsBefore + 2)
  await pusher.stop()
  const after = sent.slice(before)
  assert.equal(after.filter((s) => s.room === entityRoom('acme', 'campaign', 'c1')).length, 0)
  assert.ok(after.some((s) => s.room === entityRoom('acme', 'campaign', 'c3')), 'c3 changes now and is pushed')
})

test(`a socket watching more changed entities than ${WINDOW_BATCH_MAX} gets them in messages of at most ${WINDOW_BATCH_MAX}`, async () => {
  const catalog = new MemoryEntityCatalog()
  const ids = Array.from({ length: 1_200 }, (_, i) => `c${i}`)
  let polls = 0
  const live: LiveFeed = {
    async poll(nowMs) {
      if (polls++ === 0) for (const id of ids) catalog.state.applyMinute('acme', 'campaign', id, Math.floor(nowMs / 60_000) * 60_000, [1, 0, 5, 0, 0], nowMs)
    },
    lastChangeMs: (t, l, id) => catalog.state.lastChangeMs(t, l, id),
  }
  const rooms = new Map<string, Set<string>>()
  const messages: WindowUpdate[][] = []
  const io = {
    of: () => ({ adapter: { rooms } }),
    local: { to: () => ({ emit: (_event: string, updates: WindowUpdate[]) => messages.push(updates) }) },
  } as unknown as AdwatchServer
  const pusher = new WindowPusher(io, live, catalog, new GatewayMetrics({ now: Date.now, defaultMetrics: false }), 10, Date.now, pino({ level: 'silent' }))
  for (const id of ids) rooms.set(pusher.watch('acme', 'campaign', id), new Set(['socket-1']))
  pusher.start()
  for (let waited = 0; polls < 2 && waited < 10_000; waited += 5) await new Promise((r) => setTimeout(r, 5))
  await pusher.stop()
  assert.deepEqual(messages.map((m) => m.length), [500, 500, 200])
  assert.equal(new Set(messages.flat().map((u) => u.id)).size, 1_200, 'each entity once')
})
