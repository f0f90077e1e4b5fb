import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { DecodedRecord } from './batch-plan.ts'
import { encodePosition } from './positions.ts'
import { WorkerBatcher } from './worker-batcher.ts'

const recs = (from: number, n: number): DecodedRecord[] =>
  Array.from({ length: n }, (_, i) => ({ pos: encodePosition(String(from + i)), event: undefined, letter: undefined }))
const seqs = (rs: readonly DecodedRecord[] | undefined) => (rs ?? []).map((r) => Number(r.pos.slice(3, -6)))

/** A batcher on a fake clock; `tick` moves it. */
function setup(o: { maxRecords: number; maxWaitMs: number; readAheadRecords: number }) {
  let now = 1_000
  const batcher = new WorkerBatcher<string>({ ...o, now: () => now })
  return { batcher, tick: (ms: number) => (now += ms), signal: new AbortController().signal }
}

test('a full batch is taken at once, across shards and pages, in arrival order and split at the maximum', async () => {
  const { batcher, signal } = setup({ maxRecords: 10, maxWaitMs: 60_000, readAheadRecords: 100 })
  batcher.open('A')
  batcher.open('B')
  batcher.push('A', recs(1, 4))
  batcher.push('B', recs(101, 4))
  batcher.push('A', recs(5, 4)) // only 2 of these fit the first batch
  const first = await batcher.take(signal)
  assert.equal(first?.records, 10)
  assert.deepEqual(seqs(first?.lanes.get('A')), [1, 2, 3, 4, 5, 6])
  assert.deepEqual(seqs(first?.lanes.get('B')), [101, 102, 103, 104])
  assert.equal(batcher.queuedOf('A'), 2)
  batcher.close('A')
  batcher.close('B')
  // Every lane closed: nothing more can come, so the rest is taken without waiting.
  const second = await batcher.take(signal)
  assert.deepEqual(seqs(second?.lanes.get('A')), [7, 8])
})

test('a partial batch waits until its oldest record has waited the maximum wait', async () => {
  const { batcher, tick } = setup({ maxRecords: 10, maxWaitMs: 30, readAheadRecords: 100 })
  batcher.open('A')
  batcher.push('A', recs(1, 3))
  const t0 = Date.now()
  const taking = batcher.take(new AbortController().signal)
  tick(30) // the fake clock says the wait is over; the real timer fires within ~30 ms
  const batch = await taking
  assert.equal(batch?.records, 3)
  assert.ok(Date.now() - t0 < 1_000)
})

test('a batch is taken at once when every open shard has its read-ahead full', async () => {
  const { batcher, signal } = setup({ maxRecords: 100, maxWaitMs: 60_000, readAheadRecords: 5 })
  batcher.open('A')
  batcher.push('A', recs(1, 5))
  // The reader of A would wait for room now; nothing more can arrive, so waiting for more is pointless.
  const batch = await batcher.take(signal)
  assert.equal(batch?.records, 5)
})

test('a reader pauses at its read-ahead and resumes when a batch takes its records', async () => {
  const { batcher, signal } = setup({ maxRecords: 4, maxWaitMs: 60_000, readAheadRecords: 4 })
  batcher.open('A')
  batcher.push('A', recs(1, 4))
  let resumed = false
  const waiting = batcher.waitForRoom('A', signal).then(() => (resumed = true))
  await new Promise((r) => setImmediate(r))
  assert.equal(resumed, false, 'a full read-ahead holds the reader')
  await batcher.take(signal)
  await waiting
  assert.equal(resumed, true)
})

test('dropping a shard removes its queued records; an aborted take resolves undefined', async () => {
  const { batcher } = setup({ maxRecords: 10, maxWaitMs: 60_000, readAheadRecords: 100 })
  batcher.open('A')
  batcher.open('B')
  batcher.push('A', recs(1, 3))
  batcher.push('B', recs(101, 3))
  batcher.drop('A')
  assert.equal(batcher.queuedOf('A'), 0)
  batcher.push('A', recs(4, 3)) // a page fetched after the drop is ignored
  const stop = new AbortController()
  batcher.close('B')
  const batch = await batcher.take(stop.signal)
  assert.deepEqual([...(batch?.lanes.keys() ?? [])], ['B'])
  const taking = batcher.take(stop.signal)
  stop.abort()
  assert.equal(await taking, undefined)
})

test('a shard that caught up (an empty fetch) is not waited for', async () => {
  const { batcher, signal } = setup({ maxRecords: 100, maxWaitMs: 60_000, readAheadRecords: 50 })
  batcher.open('A')
  batcher.open('B')
  batcher.push('A', recs(1, 3))
  batcher.caughtUp('A')
  batcher.caughtUp('B')
  // Both readers found nothing new: the 3 ready records go now, not after a minute.
  assert.equal((await batcher.take(signal))?.records, 3)
})

test('however many shards, the worker holds at most two batches of records waiting', async () => {
  const { batcher, signal } = setup({ maxRecords: 10, maxWaitMs: 60_000, readAheadRecords: 100 })
  for (const lane of ['A', 'B', 'C']) batcher.open(lane)
  batcher.push('A', recs(1, 8))
  batcher.push('B', recs(101, 8))
  batcher.push('C', recs(201, 4)) // 20 queued: the worker's bound
  assert.equal(batcher.hasRoom('C', 1), false)
  let resumed = false
  const waiting = batcher.waitForRoom('C', signal).then(() => (resumed = true))
  await new Promise((r) => setImmediate(r))
  assert.equal(resumed, false, 'a shard far under its own read-ahead still waits')
  await batcher.take(signal)
  await waiting
  assert.equal(resumed, true)
})
