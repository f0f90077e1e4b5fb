import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ForestPool } from './forest-pool.ts'
import { IsolationForest } from './isolation-forest.ts'
import { createSeededRandom } from './random.ts'

const DIMS = 6

function gaussianRows(n: number, seed: number): Float64Array {
  const rnd = createSeededRandom(seed)
  const rows = new Float64Array(n * DIMS)
  for (let i = 0; i < rows.length; i += 2) {
    // Box–Muller; every 97th row far out, so range-aware scoring's out-of-range branch runs too.
    const r = Math.sqrt(-2 * Math.log(1 - rnd.next())) * (Math.floor(i / DIMS) % 97 === 0 ? 12 : 1)
    const th = 2 * Math.PI * rnd.next()
    rows[i] = r * Math.cos(th)
    rows[i + 1] = r * Math.sin(th)
  }
  return rows
}

const forest = IsolationForest.fit(gaussianRows(20_000, 1), DIMS, { trees: 50, sampleSize: 256, seed: 3 })

for (const threads of [1, 2]) {
  test(`${threads} scoring thread(s) give the same bits as IsolationForest.scoreMany, for any batch size`, async () => {
    const degraded: string[] = []
    const pool = new ForestPool(threads, { onDegraded: (r) => degraded.push(r) })
    try {
      await pool.whenStarted()
      assert.equal(pool.parallel, true)
      for (const count of [1, 100, 1_024, 5_003, 10_000, 40_001]) assertSameAsForest(pool, count, count)
      // A second forest: its layout is sent to the threads on first use.
      const other = IsolationForest.fit(gaussianRows(5_000, 9), DIMS, { trees: 20, sampleSize: 128, seed: 4 })
      const rows = gaussianRows(3_000, 77)
      const want = new Float64Array(3_000)
      other.scoreMany(rows, 3_000, want)
      const got = new Float64Array(3_000)
      pool.scoreMany(other, rows, 3_000, got)
      assert.deepEqual(got, want)
      assert.deepEqual(degraded, [])
    } finally {
      await pool.close()
    }
  })
}

/** What the pool scores for `count` rows equals IsolationForest.scoreMany's. */
function assertSameAsForest(pool: ForestPool, count: number, seed: number): void {
  const rows = gaussianRows(count, seed)
  const want = new Float64Array(count)
  forest.scoreMany(rows, count, want)
  const got = new Float64Array(count).fill(Number.NaN)
  pool.scoreMany(forest, rows, count, got)
  assert.deepEqual(got, want, `${count} rows`)
}

test('a closed pool scores on the calling thread, with the same results', async () => {
  const pool = new ForestPool(1)
  await pool.whenStarted()
  await pool.close()
  assert.equal(pool.parallel, false)
  assertSameAsForest(pool, 2_000, 5)
})

test('with no threads the pool is serial from the start', async () => {
  const pool = new ForestPool(0)
  await pool.whenStarted()
  assert.equal(pool.parallel, false)
  assertSameAsForest(pool, 2_000, 6)
})
