import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FrameCoalescer } from './frame-coalescer.ts'
import { ManualFrames } from './frame-scheduler.ts'

interface Msg { id: string; atMs: number; v: number }

function setup() {
  const frames = new ManualFrames()
  const batches: Msg[][] = []
  const c = new FrameCoalescer<Msg>(frames, (m) => m.id, (b) => batches.push([...b]), (a, b) => a.atMs >= b.atMs)
  return { frames, batches, c }
}

test('a burst of updates for 10 entities reaches the screen as one batch of 10 latest values', () => {
  const { frames, batches, c } = setup()
  for (let i = 0; i < 1000; i++) c.push({ id: `c${i % 10}`, atMs: i, v: i })
  assert.equal(frames.waiting, 1, 'one frame requested for the whole burst')
  frames.runFrame()
  assert.equal(batches.length, 1)
  assert.deepEqual(batches[0]!.map((m) => m.v).sort((a, b) => a - b), [990, 991, 992, 993, 994, 995, 996, 997, 998, 999])
  assert.deepEqual(c.stats, { received: 1000, delivered: 10, frames: 1 })
})

test('an update that arrives late (older atMs) does not replace a newer pending one', () => {
  const { frames, batches, c } = setup()
  c.push({ id: 'a', atMs: 200, v: 2 })
  c.push({ id: 'a', atMs: 100, v: 1 })
  frames.runFrame()
  assert.equal(batches[0]![0]!.v, 2)
})

test('no frame is requested while idle; each frame after a push delivers only what came since', () => {
  const { frames, batches, c } = setup()
  frames.runFrame()
  assert.equal(batches.length, 0)
  c.push({ id: 'a', atMs: 1, v: 1 })
  frames.runFrame()
  c.push({ id: 'b', atMs: 2, v: 2 })
  frames.runFrame()
  assert.deepEqual(batches.map((b) => b.map((m) => m.id)), [['a'], ['b']])
  c.push({ id: 'c', atMs: 3, v: 3 })
  c.dispose()
  frames.runFrame()
  assert.equal(batches.length, 2, 'disposed: the pending frame was cancelled')
})

test('a burst larger than a frame takes is spread over frames, the longest waiting first', () => {
  const frames = new ManualFrames()
  const batches: string[][] = []
  const c = new FrameCoalescer<Msg>(frames, (m) => m.id, (b) => batches.push(b.map((m) => `${m.id}=${m.v}`)), (a, b) => a.atMs >= b.atMs, 4)
  for (let i = 0; i < 10; i++) c.push({ id: `c${i}`, atMs: i, v: i })
  c.push({ id: 'c0', atMs: 99, v: 99 }) // replaced: keeps its place in the queue, with the newer value
  frames.runFrame()
  assert.deepEqual(batches, [['c0=99', 'c1=1', 'c2=2', 'c3=3']])
  assert.equal(frames.waiting, 1, 'the rest is due in the next frame')
  c.push({ id: 'c1', atMs: 100, v: 100 }) // delivered already: queued behind the rest
  frames.runFrame()
  frames.runFrame()
  assert.deepEqual(batches.slice(1), [['c4=4', 'c5=5', 'c6=6', 'c7=7'], ['c8=8', 'c9=9', 'c1=100']])
  frames.runFrame()
  assert.equal(frames.waiting, 0)
  assert.deepEqual(c.stats, { received: 12, delivered: 11, frames: 3 })
})
