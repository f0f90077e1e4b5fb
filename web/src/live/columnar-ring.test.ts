import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ColumnarRing } from './columnar-ring.ts'

test('rows stay contiguous and oldest-first across many wraps', () => {
  const ring = new ColumnarRing(4, 2)
  for (let i = 0; i < 23; i++) {
    ring.push([i, i * 10])
    const [x, y] = ring.views()
    const n = Math.min(i + 1, 4)
    // The last n pushed rows, in push order, whatever the backing offset is.
    assert.deepEqual([...x!], Array.from({ length: n }, (_, k) => i - n + 1 + k))
    assert.deepEqual([...y!], [...x!].map((v) => v * 10))
  }
})

test('views are cached until the window moves, and set() writes through them', () => {
  const ring = new ColumnarRing(3, 1)
  ring.push([1])
  ring.push([2])
  const v1 = ring.views()
  assert.equal(ring.views(), v1, 'no new view objects while nothing was pushed')
  ring.set(-1, 0, 5)
  assert.deepEqual([...v1[0]!], [1, 5], 'the view shares the backing array')
  ring.push([3])
  assert.notEqual(ring.views(), v1)
})

test('missing cells are NaN and bad indexes throw', () => {
  const ring = new ColumnarRing(2, 3)
  ring.push([1])
  assert.ok(Number.isNaN(ring.get(0, 2)!))
  assert.equal(ring.get(5, 0), undefined)
  assert.throws(() => ring.set(3, 0, 1), RangeError)
  assert.throws(() => new ColumnarRing(0, 1), RangeError)
})
