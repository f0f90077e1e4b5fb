import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RowCache } from './row-cache.ts'

test('rows are built once per interval and each derived value computed once per key; forget() and failures rebuild', async () => {
  let now = 0
  let builds = 0
  let sorts = 0
  const cache = new RowCache<number>(250, () => now)
  const build = async () => {
    builds++
    return [3, 1, 2]
  }
  const asc = (r: readonly number[]) => (sorts++, [...r].sort((a, b) => a - b))
  const desc = (r: readonly number[]) => (sorts++, [...r].sort((a, b) => b - a))
  assert.deepEqual(await cache.derived('acme', 'asc', build, asc), [1, 2, 3])
  assert.deepEqual(await cache.derived('acme', 'asc', build, asc), [1, 2, 3])
  assert.deepEqual(await cache.derived('acme', 'desc', build, desc), [3, 2, 1], 'another order of the same rows')
  assert.deepEqual([builds, sorts], [1, 2])
  await cache.derived('globex', 'asc', build, asc)
  assert.equal(builds, 2, 'tenants have their own rows')
  now = 250 // the interval is over: the old rows answer while one rebuild runs
  await cache.derived('acme', 'asc', build, asc)
  await cache.derived('acme', 'asc', build, asc)
  assert.equal(builds, 3)
  cache.forget('acme')
  await cache.derived('acme', 'asc', build, asc)
  assert.equal(builds, 4, 'a change made here is visible at once')
  await assert.rejects(cache.derived('x', 'asc', async () => Promise.reject(new Error('redis down')), asc))
  assert.deepEqual(await cache.derived('x', 'asc', build, asc), [1, 2, 3], 'a failed build is not kept')
  const uncached = new RowCache<number>(0, () => now)
  await uncached.derived('acme', 'asc', build, asc)
  await uncached.derived('acme', 'asc', build, asc)
  assert.equal(builds, 7, 'ttl 0 builds every time')
})

test('stale rows answer while one rebuild runs, the rebuilt ones after it; past 8 TTLs a request waits for fresh rows and sees a failure', async () => {
  let now = 0
  let version = 0
  let fail = false
  let release: () => void = () => undefined
  let gate: Promise<void> = Promise.resolve()
  const build = async () => {
    const v = ++version
    await gate
    if (fail) throw new Error('redis down')
    return [v]
  }
  const cache = new RowCache<number>(250, () => now)
  const same = (r: readonly number[]) => r
  assert.deepEqual(await cache.derived('acme', 'k', build, same), [1])
  now = 300
  gate = new Promise((r) => (release = r))
  assert.deepEqual(await cache.derived('acme', 'k', build, same), [1], 'stale, not waiting for the rebuild')
  assert.deepEqual(await cache.derived('acme', 'k', build, same), [1])
  assert.equal(version, 2, 'one rebuild for both requests')
  release()
  await new Promise((r) => setImmediate(r))
  assert.deepEqual(await cache.derived('acme', 'k', build, same), [2], 'the rebuilt rows once they are in')
  // Rebuilds failing: stale rows still answer within the limit…
  fail = true
  now = 600
  assert.deepEqual(await cache.derived('acme', 'k', build, same), [2])
  await new Promise((r) => setImmediate(r))
  now = 300 + 8 * 250 - 1
  assert.deepEqual(await cache.derived('acme', 'k', build, same), [2])
  await new Promise((r) => setImmediate(r))
  // …and past it the request waits for a build, and its failure is the answer.
  now = 300 + 8 * 250
  await assert.rejects(cache.derived('acme', 'k', build, same), /redis down/)
  fail = false
  assert.deepEqual(await cache.derived('acme', 'k', build, same), [version])
})
