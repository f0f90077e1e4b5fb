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
  now = 250 // the interval is over
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
