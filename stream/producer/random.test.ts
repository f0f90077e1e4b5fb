import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createRng } from './random.ts'

function draws(seed: number | string, n: number): number[] {
  const rng = createRng(seed)
  return Array.from({ length: n }, () => rng.next())
}

describe('createRng', () => {
  it('repeats the same sequence for the same seed and differs for another', () => {
    assert.deepEqual(draws(42, 100), draws(42, 100))
    assert.deepEqual(draws('acme', 10), draws('acme', 10))
    assert.notDeepEqual(draws(42, 100), draws(43, 100))
  })

  it('pins the first values, so a change of algorithm is noticed (seeds in docs stay meaningful)', () => {
    assert.deepEqual(draws(1, 3).map((x) => x.toFixed(6)), ['0.229692', '0.622282', '0.145748'])
  })

  it('next() is uniform in [0, 1): 10 buckets each near 10%', () => {
    const rng = createRng(7)
    const buckets = new Array<number>(10).fill(0)
    const n = 100_000
    for (let i = 0; i < n; i++) {
      const x = rng.next()
      assert.ok(x >= 0 && x < 1)
      buckets[Math.floor(x * 10)]!++
    }
    for (const b of buckets) assert.ok(Math.abs(b / n - 0.1) < 0.01, `bucket share ${b / n}`)
  })

  it('int() stays within its inclusive bounds and reaches both ends', () => {
    const rng = createRng(3)
    const seen = new Set<number>()
    for (let i = 0; i < 2000; i++) {
      const x = rng.int(1, 6)
      assert.ok(Number.isInteger(x) && x >= 1 && x <= 6)
      seen.add(x)
    }
    assert.deepEqual([...seen].sort(), [1, 2, 3, 4, 5, 6])
    assert.throws(() => rng.int(5, 1), RangeError)
  })

  it('normal() and poisson() have the requested mean', () => {
    const rng = createRng(11)
    const n = 50_000
    let sumNormal = 0
    let sumPoissonSmall = 0
    let sumPoissonLarge = 0
    for (let i = 0; i < n; i++) {
      sumNormal += rng.normal(10, 2)
      const small = rng.poisson(3.5)
      assert.ok(Number.isInteger(small) && small >= 0)
      sumPoissonSmall += small
      sumPoissonLarge += rng.poisson(400)
    }
    assert.ok(Math.abs(sumNormal / n - 10) < 0.05)
    assert.ok(Math.abs(sumPoissonSmall / n - 3.5) < 0.05)
    assert.ok(Math.abs(sumPoissonLarge / n - 400) < 1)
    assert.equal(rng.poisson(0), 0)
  })

  it('pickWeighted() follows weights and never picks a zero weight', () => {
    const rng = createRng(5)
    const counts = { a: 0, b: 0, c: 0 }
    const weights = { a: 1, b: 3, c: 0 }
    for (let i = 0; i < 40_000; i++) counts[rng.pickWeighted(['a', 'b', 'c'] as const, (k) => weights[k])]++
    assert.equal(counts.c, 0)
    assert.ok(Math.abs(counts.b / counts.a - 3) < 0.15)
    assert.throws(() => rng.pickWeighted(['x'], () => 0), RangeError)
  })

  it('fork() gives independent, reproducible streams regardless of draws made before', () => {
    const a = createRng(9)
    const b = createRng(9)
    b.next()
    b.next()
    const fa = a.fork('traffic')
    const fb = b.fork('traffic')
    assert.equal(fa.next(), fb.next())
    assert.notEqual(a.fork('x').next(), a.fork('y').next())
  })

  it('shuffle() permutes a copy', () => {
    const rng = createRng(1)
    const items = Array.from({ length: 50 }, (_, i) => i)
    const shuffled = rng.shuffle(items)
    assert.notDeepEqual(shuffled, items)
    assert.deepEqual([...shuffled].sort((x, y) => x - y), items)
    assert.equal(items[0], 0)
  })
})
