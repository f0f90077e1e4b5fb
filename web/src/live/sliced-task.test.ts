import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sortIndices } from './sliced-sort.ts'
import { runSliced, runToEnd, type SliceScheduler } from './sliced-task.ts'

/** A clock that advances 1 ms per reading, and tasks that run when the test says so. */
function fakeScheduler() {
  let t = 0
  const queue: Array<() => void> = []
  const scheduler: SliceScheduler = {
    now: () => t++,
    later(cb) {
      queue.push(cb)
      return () => queue.splice(queue.indexOf(cb), 1)
    },
  }
  return { scheduler, queue, runTask: () => queue.shift()?.() }
}

function* countTo(n: number) {
  let sum = 0
  for (let i = 1; i <= n; i++) {
    sum += i
    yield
  }
  return sum
}

test('a sliced job runs its first slice in the caller, continues in later tasks within the budget, and hands over its result', () => {
  const { scheduler, queue, runTask } = fakeScheduler()
  const results: number[] = []
  const run = runSliced(countTo(10), (r) => results.push(r), 3, scheduler)
  assert.equal(run.running, true)
  assert.equal(queue.length, 1, 'the rest waits for a later task')
  while (queue.length > 0) runTask()
  assert.deepEqual(results, [55])
  assert.equal(run.running, false)
  assert.ok(run.slices >= 3, `several slices (${run.slices})`)
})

test('a job that fits in one slice finishes in the caller; a cancelled one never reports', () => {
  const { scheduler, queue, runTask } = fakeScheduler()
  const results: number[] = []
  const small = runSliced(countTo(1), (r) => results.push(r), 100, scheduler)
  assert.equal(small.running, false)
  assert.deepEqual(results, [1])
  const big = runSliced(countTo(100), (r) => results.push(r), 2, scheduler)
  runTask()
  big.cancel()
  assert.equal(big.running, false)
  assert.equal(queue.length, 0)
  assert.deepEqual(results, [1])
})

test('sortIndices orders like Array.prototype.sort, stably, for every size around its run length', () => {
  let seed = 7
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647
  for (const n of [0, 1, 2, 7, 8, 9, 15, 16, 17, 100, 1000, 5003]) {
    const keys = Array.from({ length: n }, () => Math.floor(rand() * 50)) // many ties
    const got = [...runToEnd(sortIndices(n, (a, b) => keys[a]! - keys[b]!))]
    const want = Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b)
    assert.deepEqual(got, want, `n=${n}`)
  }
})

test('sorting 5,000 indices yields at least every thousand comparisons', () => {
  const n = 5000
  let compares = 0
  let most = 0
  const job = sortIndices(n, (a, b) => {
    compares++
    return ((a * 7919) % n) - ((b * 7919) % n)
  })
  for (let last = 0; ; ) {
    const step = job.next()
    most = Math.max(most, compares - last)
    last = compares
    if (step.done === true) break
  }
  assert.ok(most <= 1000, `at most ${most} comparisons between yields`)
})
