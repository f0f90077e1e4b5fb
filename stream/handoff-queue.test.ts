import { test } from 'node:test'
import assert from 'node:assert/strict'
import { HandoffQueue } from './handoff-queue.ts'

const tick = () => new Promise((r) => setImmediate(r))

test('takeAll takes what is queued, in order, up to the bound; a push waits for room', async () => {
  const q = new HandoffQueue<string>(5)
  await q.push('a', 2)
  await q.push('b', 3)
  let pushed = false
  const c = q.push('c', 1).then(() => (pushed = true))
  await tick()
  assert.equal(pushed, false, 'no room: 2 + 3 + 1 > 5')
  assert.deepEqual(await q.takeAll(), ['a', 'b'])
  await c
  assert.equal(q.queuedWeight, 1)
  await q.push('d', 4)
  let settled = ''
  const e = q.push('e', 1).then(() => (settled = 'pushed'), (err: Error) => (settled = err.message))
  await tick()
  assert.equal(settled, '', 'no room for e: 1 + 4 + 1 > 5')
  q.close()
  await e
  assert.match(settled, /push after close/, 'a push still waiting when the queue closes fails')
})

test('takeAll stops at the bound but always takes one; an item heavier than the bound passes an empty queue', async () => {
  const q = new HandoffQueue<string>(4)
  await q.push('big', 10)
  let second = false
  const p = q.push('small', 1).then(() => (second = true))
  await tick()
  assert.equal(second, false)
  assert.deepEqual(await q.takeAll(), ['big'])
  await p
  assert.deepEqual(await q.takeAll(), ['small'])
})

test('takeAll waits for an item; after close it drains, then returns undefined; a push after close fails', async () => {
  const q = new HandoffQueue<number>(10)
  const taken = q.takeAll()
  await tick()
  await q.push(1, 1)
  assert.deepEqual(await taken, [1])
  await q.push(2, 1)
  q.close()
  assert.deepEqual(await q.takeAll(), [2])
  assert.equal(await q.takeAll(), undefined)
  await assert.rejects(q.push(3, 1), /push after close/)
  assert.throws(() => new HandoffQueue(0), RangeError)
})

test('takeAll with a fill time waits for more items until then, unless the queue fills or closes', async () => {
  const q = new HandoffQueue<string>(3)
  await q.push('a', 1)
  const t0 = Date.now()
  const taken = q.takeAll(t0 + 80)
  setTimeout(() => void q.push('b', 1), 10)
  assert.deepEqual(await taken, ['a', 'b'])
  assert.ok(Date.now() - t0 >= 75, 'waited for the fill time')
  await q.push('c', 1)
  const full = q.takeAll(Date.now() + 10_000)
  await q.push('d', 2)
  assert.deepEqual(await full, ['c', 'd'], 'a full queue is taken at once')
  await q.push('f', 2)
  const askedAt = Date.now()
  const waiting = q.takeAll(askedAt + 5_000)
  const g = q.push('g', 2) // 2 + 2 > 3: waits for room, so the taker takes at once
  assert.deepEqual(await waiting, ['f'])
  assert.ok(Date.now() - askedAt < 1_000, 'a push waiting for room makes the queue full: no waiting for the fill time')
  await g
  assert.deepEqual(await q.takeAll(), ['g'])
  await q.push('e', 1)
  const closing = q.takeAll(Date.now() + 10_000)
  q.close()
  assert.deepEqual(await closing, ['e'], 'a closed queue is drained at once')
})
