import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { EntityRef, SubscribeAck, WindowUpdate } from '../../../gateway/socket-events.ts'
import { ManualFrames } from './frame-scheduler.ts'
import { LiveConnection, type DashboardSocket } from './live-connection.ts'

/** A stand-in for socket.io-client's Socket: records requests, answers subscribes as told. */
class FakeSocket {
  connected = false
  active = false
  readonly handlers = new Map<string, Array<(...args: unknown[]) => void>>()
  readonly subscribeRequests: EntityRef[][] = []
  readonly unsubscribed: EntityRef[] = []
  /** How many entities the fake gateway accepts per socket. */
  limit = Number.POSITIVE_INFINITY
  private held = 0

  on(event: string, fn: (...args: unknown[]) => void) {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), fn])
    return this
  }
  fire(event: string, ...args: unknown[]) {
    for (const fn of this.handlers.get(event) ?? []) fn(...args)
  }
  connect() {
    this.connected = true
    this.active = true
    this.held = 0
    this.fire('connect')
  }
  disconnect() {
    this.connected = false
    this.active = false
  }
  emit(event: string, req: { entities: EntityRef[] }, ack: () => void) {
    if (event === 'unsubscribe') {
      this.unsubscribed.push(...req.entities)
      this.held -= req.entities.length
      ack()
    }
  }
  timeout() {
    return {
      emit: (_event: string, req: { entities: EntityRef[] }, cb: (err: Error | null, res: SubscribeAck) => void) => {
        this.subscribeRequests.push(req.entities)
        if (this.held + req.entities.length > this.limit) {
          queueMicrotask(() => cb(null, { ok: false, error: { code: 'ADW_GATEWAY_TOO_MANY_SUBSCRIPTIONS', message: `at most ${this.limit} entities per socket` } }))
          return
        }
        this.held += req.entities.length
        queueMicrotask(() => cb(null, { ok: true, current: req.entities.map((e) => windowUpdate(e.id, 1)) }))
      },
    }
  }
}

function windowUpdate(id: string, atMs: number): WindowUpdate {
  const m = { impressions: 0, clicks: 0, spendMicros: atMs, conversions: 0, revenueMicros: 0, ctr: null, cpcMicros: null, cpmMicros: null, cpaMicros: null, roas: null }
  return { level: 'campaign', id, atMs, today: '2026-11-21', windows: { '1m': m, '5m': m, '15m': m, '1h': m, today: m }, pacing: null }
}

function campaigns(n: number, from = 0): EntityRef[] {
  return Array.from({ length: n }, (_, i) => ({ level: 'campaign' as const, id: `c${from + i}` }))
}

function setup(limit = Number.POSITIVE_INFINITY) {
  const socket = new FakeSocket()
  socket.limit = limit
  const frames = new ManualFrames()
  const live = new LiveConnection({ token: 't', socket: socket as unknown as DashboardSocket, frames, chunkSize: 100, syncDelayMs: 1, serverDisconnectRetryMs: 5 })
  const batches: WindowUpdate[][] = []
  live.onWindows((b) => batches.push([...b]))
  return { socket, frames, live, batches }
}

test('window pushes are coalesced per animation frame: the latest per entity, one batch', async () => {
  const { socket, frames, live, batches } = setup()
  live.open()
  // 100 messages of three updates each (as the gateway batches them per socket).
  for (let i = 0; i < 300; i += 3) socket.fire('windows', [0, 1, 2].map((k) => windowUpdate(`c${(i + k) % 3}`, i + k)))
  assert.equal(frames.waiting, 1)
  frames.runFrame()
  assert.equal(batches.length, 1)
  assert.deepEqual(batches[0]!.map((u) => [u.id, u.atMs]).sort(), [['c0', 297], ['c1', 298], ['c2', 299]])
  live.close()
})

test('interests are subscribed in priority order, in chunks, and what the ack holds is delivered', async () => {
  const { socket, frames, live, batches } = setup()
  live.open()
  live.setInterest('all', 3, campaigns(250))
  live.setInterest('chart', 0, [{ level: 'account', id: 'act_1' }])
  await live.settled()
  assert.deepEqual(socket.subscribeRequests.map((r) => r.length), [100, 100, 51])
  assert.deepEqual(socket.subscribeRequests[0]![0], { level: 'account', id: 'act_1' }, 'the chart entity first')
  assert.equal(live.subscriptionCount, 251)
  frames.runFrame()
  assert.equal(batches[0]!.length, 251, 'current windows from the acks go through the same frame batching')
  live.close()
})

test('over the gateway limit the budget is learned; visible rows then displace lower priorities', async () => {
  const { socket, live } = setup(150)
  live.open()
  live.setInterest('all', 3, campaigns(300))
  await live.settled()
  assert.equal(live.subscriptionCount, 100, 'the second chunk was refused')
  assert.equal(live.budget, 100)
  live.setInterest('visible', 2, campaigns(5, 250))
  await live.settled()
  assert.equal(live.subscriptionCount, 100, 'stays within the budget')
  assert.deepEqual(socket.unsubscribed.map((e) => e.id), ['c95', 'c96', 'c97', 'c98', 'c99'], 'the lowest-priority ones make room')
  assert.deepEqual(socket.subscribeRequests.at(-1)!.map((e) => e.id), ['c250', 'c251', 'c252', 'c253', 'c254'])
  live.close()
})

test('after a reconnect (gateway restart) every subscription is made again, and state goes live', async () => {
  const { socket, live } = setup()
  const states: string[] = []
  live.onState((s) => states.push(s.kind))
  live.open()
  live.setInterest('all', 3, campaigns(10))
  await live.settled()
  socket.connected = false
  socket.fire('disconnect', 'transport close')
  socket.fire('connect_error', new Error('xhr poll error'))
  assert.equal(live.state.kind, 'reconnecting')
  const before = socket.subscribeRequests.length
  socket.connect()
  await live.settled()
  assert.equal(socket.subscribeRequests.length, before + 1)
  assert.equal(socket.subscribeRequests.at(-1)!.length, 10)
  assert.deepEqual(states, ['live', 'reconnecting', 'reconnecting', 'live'])
  live.close()
})

test('a refused handshake (not active) is offline and reported as an auth failure', () => {
  const socket = new FakeSocket()
  let reported: string | undefined
  const live = new LiveConnection({ token: 'bad', socket: socket as unknown as DashboardSocket, frames: new ManualFrames(), onAuthRejected: (m) => (reported = m) })
  socket.active = false
  socket.fire('connect_error', new Error('invalid credentials: JWT expired'))
  assert.equal(live.state.kind, 'offline')
  assert.equal(reported, 'invalid credentials: JWT expired')
  live.close()
})

test('a handshake refused for its rate is not an auth failure: the page connects again after the wait', async () => {
  const socket = new FakeSocket()
  let reported: string | undefined
  const live = new LiveConnection({ token: 'ok', socket: socket as unknown as DashboardSocket, frames: new ManualFrames(), onAuthRejected: (m) => (reported = m), serverDisconnectRetryMs: 5 })
  socket.active = false
  socket.fire('connect_error', Object.assign(new Error('rate limit of 2 socket handshakes per 60 s per credential reached; retry in 1 s'), { data: { code: 'ADW_GATEWAY_RATE_LIMITED', retryAfterSec: 0 } }))
  assert.equal(live.state.kind, 'reconnecting')
  assert.equal(reported, undefined)
  await new Promise((r) => setTimeout(r, 20))
  assert.equal(socket.connected, true, 'connect() was called again')
  live.close()
})

test('when the gateway closes the socket (shutdown), the page connects again by itself', async () => {
  const { socket, live } = setup()
  live.open()
  live.setInterest('all', 3, campaigns(3))
  await live.settled()
  // socket.io does not retry an "io server disconnect" on its own.
  socket.connected = false
  socket.active = false
  socket.fire('disconnect', 'io server disconnect')
  assert.equal(live.state.kind, 'reconnecting')
  await new Promise((r) => setTimeout(r, 20))
  assert.equal(socket.connected, true, 'connect() was called again')
  await live.settled()
  assert.equal(live.state.kind, 'live')
  assert.equal(live.subscriptionCount, 3)
  live.close()
})

test('re-declaring visible rows that are watched already sends nothing; dropping a group unsubscribes only what no other group wants', async () => {
  const { socket, live } = setup()
  live.open()
  live.setInterest('all', 3, campaigns(300))
  await live.settled()
  const requests = socket.subscribeRequests.length
  for (let from = 0; from < 200; from += 12) live.setInterest('visible', 2, campaigns(30, from))
  await live.settled()
  assert.equal(socket.subscribeRequests.length, requests, 'scrolling within watched rows subscribes nothing')
  assert.equal(socket.unsubscribed.length, 0)
  live.setInterest('visible', 2, campaigns(2, 1000))
  await live.settled()
  assert.deepEqual(socket.subscribeRequests.at(-1)!.map((e) => e.id), ['c1000', 'c1001'], 'only the new ones')
  live.setInterest('all', 3, [])
  await live.settled()
  assert.equal(socket.unsubscribed.length, 300)
  assert.equal(live.subscriptionCount, 2, 'the visible rows stay watched')
  live.setInterest('visible', 2, campaigns(2, 1000))
  live.setInterest('visible', 2, [...campaigns(2, 1000), ...campaigns(2, 1000)])
  await live.settled()
  assert.equal(live.subscriptionCount, 2, 'duplicates count once')
  live.close()
})

test('a subscribe request that times out is retried with a full plan, without waiting for an interest change', async () => {
  const socket = new FakeSocket()
  const live = new LiveConnection({ token: 't', socket: socket as unknown as DashboardSocket, frames: new ManualFrames(), chunkSize: 100, syncDelayMs: 1, ackTimeoutMs: 5, retryDelayMs: 5 })
  const answer = socket.timeout
  let dropped = 0
  // The first request gets no answer (a loaded gateway): it times out.
  socket.timeout = () => ({
    emit: (event: string, req: { entities: EntityRef[] }, cb: (err: Error | null, res: SubscribeAck) => void) => {
      if (dropped++ === 0) return void setTimeout(() => cb(new Error('operation has timed out'), undefined as never), 5)
      answer.call(socket).emit(event, req, cb)
    },
  })
  live.open()
  live.setInterest('all', 3, campaigns(150))
  await new Promise((r) => setTimeout(r, 60))
  await live.settled()
  assert.equal(live.syncFailures, 1)
  assert.equal(live.subscriptionCount, 150)
  live.close()
})

test('a list arriving in pages is watched page by page; the whole list then drops what is gone', async () => {
  const { socket, live } = setup()
  live.open()
  live.addInterest('all', 3, campaigns(100))
  await live.settled()
  assert.equal(live.subscriptionCount, 100)
  live.addInterest('all', 3, campaigns(150, 50)) // 50 known, 100 new
  await live.settled()
  assert.equal(live.interestSize('all'), 200)
  assert.deepEqual(socket.subscribeRequests.at(-1)!.map((e) => e.id).slice(0, 2), ['c100', 'c101'], 'only the new ones are requested')
  const requests = socket.subscribeRequests.length
  live.addInterest('all', 3, campaigns(10))
  await live.settled()
  assert.equal(socket.subscribeRequests.length, requests, 'nothing new, nothing sent')
  live.setInterest('all', 3, campaigns(190, 10))
  await live.settled()
  assert.deepEqual(socket.unsubscribed.map((e) => e.id), ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9'])
  assert.equal(live.subscriptionCount, 190)
  live.close()
})
