import { test } from 'node:test'
import assert from 'node:assert/strict'
import { averagePathLength, IsolationForest } from './isolation-forest.ts'
import { createSeededRandom } from './random.ts'

const DIMS = 6

/** Standard normal draws (Box–Muller) from a seeded source. */
function gaussian(rng: ReturnType<typeof createSeededRandom>): number {
  let u = 0
  while (u === 0) u = rng.next()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next())
}

/**
 * 10,000 points of a 6-D standard Gaussian, then 50 clear outliers: random directions at a
 * radius of 6–9 (a 6-D standard Gaussian point lies beyond radius 6 with probability ~1e-6).
 */
function gaussianWithOutliers(seed: number): { data: Float64Array; labels: Uint8Array } {
  const rng = createSeededRandom(seed)
  const normal = 10_000
  const outliers = 50
  const data = new Float64Array((normal + outliers) * DIMS)
  const labels = new Uint8Array(normal + outliers)
  for (let i = 0; i < normal * DIMS; i++) data[i] = gaussian(rng)
  for (let k = 0; k < outliers; k++) {
    const dir = Array.from({ length: DIMS }, () => gaussian(rng))
    const norm = Math.hypot(...dir)
    const radius = 6 + 3 * rng.next()
    for (let d = 0; d < DIMS; d++) data[(normal + k) * DIMS + d] = (dir[d]! / norm) * radius
    labels[normal + k] = 1
  }
  return { data, labels }
}

/** Area under the ROC curve: the chance that a random outlier outscores a random inlier (ties half). */
function auc(scores: Float64Array, labels: Uint8Array): number {
  const order = Array.from(scores.keys()).sort((a, b) => scores[a]! - scores[b]!)
  let rankSum = 0
  let positives = 0
  for (let i = 0; i < order.length; ) {
    let j = i
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++
    const midRank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) if (labels[order[k]!] === 1) {
      rankSum += midRank
      positives++
    }
    i = j + 1
  }
  const negatives = order.length - positives
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives)
}

test('AUC ≥ 0.99 on 10,000 6-D Gaussian points and 50 outliers', () => {
  const { data, labels } = gaussianWithOutliers(7)
  const forest = IsolationForest.fit(data, DIMS, { trees: 100, sampleSize: 256, seed: 42 })
  const scores = forest.scoreAll(data)
  const a = auc(scores, labels)
  assert.ok(a >= 0.99, `AUC ${a.toFixed(4)}`)
  // Calibration the npm package lacked: outliers score above 0.5, the bulk below it.
  let outliersAbove = 0
  for (let i = 10_000; i < scores.length; i++) if (scores[i]! > 0.5) outliersAbove++
  assert.ok(outliersAbove >= 45, `${outliersAbove} of 50 outliers above 0.5`)
})

test('the same seed gives identical scores; another seed gives another forest', () => {
  const { data } = gaussianWithOutliers(3)
  const a = IsolationForest.fit(data, DIMS, { seed: 9 }).scoreAll(data)
  const b = IsolationForest.fit(data, DIMS, { seed: 9 }).scoreAll(data)
  assert.deepEqual(a, b)
  const c = IsolationForest.fit(data, DIMS, { seed: 10 }).scoreAll(data)
  assert.notDeepEqual(a, c)
})

test('a model round-trips through JSON unchanged and is under 5 MB for 100 trees', () => {
  const { data } = gaussianWithOutliers(5)
  const forest = IsolationForest.fit(data, DIMS, { trees: 100, sampleSize: 256, seed: 1 })
  const text = JSON.stringify(forest)
  assert.ok(text.length < 5 * 1024 * 1024, `${text.length} bytes`)
  const loaded = IsolationForest.fromJSON(JSON.parse(text))
  assert.equal(JSON.stringify(loaded), text, 'saving the loaded model gives the same JSON')
  assert.deepEqual(loaded.scoreAll(data), forest.scoreAll(data))
})

test('training on 100,000 points takes < 1 s', () => {
  const rng = createSeededRandom(11)
  const data = new Float64Array(100_000 * DIMS)
  for (let i = 0; i < data.length; i++) data[i] = gaussian(rng)
  const t0 = performance.now()
  const forest = IsolationForest.fit(data, DIMS, { trees: 100, sampleSize: 256, seed: 2 })
  const ms = performance.now() - t0
  assert.ok(ms < 1000, `${ms.toFixed(0)} ms`)
  assert.equal(forest.trees, 100)
})

test('a second fit is a new model, never trees appended to the old one', () => {
  const { data } = gaussianWithOutliers(1)
  const first = IsolationForest.fit(data, DIMS, { trees: 50, seed: 1 })
  const second = IsolationForest.fit(data.subarray(0, 500 * DIMS), DIMS, { trees: 50, seed: 1 })
  assert.equal(first.trees, 50)
  assert.equal(second.trees, 50)
})

test('c(n) follows the paper: c(2) = 1, c(256) ≈ 10.24', () => {
  assert.equal(averagePathLength(1), 0)
  assert.equal(averagePathLength(2), 1)
  assert.ok(Math.abs(averagePathLength(256) - 10.2448) < 1e-3)
})

test('constant data gives leaves at the root and score 2^(-c(ψ)/c(ψ)) = 0.5', () => {
  const data = new Float64Array(300 * 2).fill(3)
  const forest = IsolationForest.fit(data, 2, { trees: 10, sampleSize: 64, seed: 1 })
  assert.equal(forest.nodes, 10)
  assert.ok(Math.abs(forest.score([3, 3]) - 0.5) < 1e-6)
})

test('malformed JSON and bad options are coded errors', () => {
  assert.throws(() => IsolationForest.fit(new Float64Array(0), 3), { code: 'ADW_DETECT_MODEL' })
  assert.throws(() => IsolationForest.fit(new Float64Array(9), 3, { sampleSize: 1 }), { code: 'ADW_DETECT_MODEL' })
  const good = IsolationForest.fit(new Float64Array([1, 2, 3, 4, 5, 6]), 1, { trees: 2 }).toJSON()
  assert.throws(() => IsolationForest.fromJSON({ ...good, nodes: good.nodes.slice(0, 12) }), { code: 'ADW_DETECT_MODEL' })
  assert.throws(() => IsolationForest.fromJSON({ ...good, format: 'other' as 'adwatch-iforest/2' }), { code: 'ADW_DETECT_MODEL' })
})

test('feature contributions point at the feature that isolates a point', () => {
  const rng = createSeededRandom(4)
  const data = new Float64Array(2000 * 3)
  for (let i = 0; i < data.length; i++) data[i] = gaussian(rng)
  const forest = IsolationForest.fit(data, 3, { seed: 3 })
  const c = forest.featureContributions([0, 12, 0])
  assert.ok(c[1]! > c[0]! && c[1]! > c[2]!, `contributions ${Array.from(c).map((v) => v.toFixed(2)).join(', ')}`)
})

test('scoring many rows tree by tree gives exactly the scores of one row at a time', () => {
  const { data } = gaussianWithOutliers(8)
  const forest = IsolationForest.fit(data, DIMS, { trees: 40, seed: 5 })
  const rows = data.subarray(9_900 * DIMS)
  const many = new Float64Array(151) // an odd count: the last row walks alone
  forest.scoreMany(rows, 151, many)
  for (let i = 0; i < 151; i++) assert.equal(many[i], forest.score(rows, i * DIMS))
})

test('batch scoring equals one row at a time for classic and small forests, small batches, and rows with NaN, ±Infinity and far-out values', () => {
  const { data } = gaussianWithOutliers(9)
  const rows = Float64Array.from(data.subarray(9_800 * DIMS))
  const specials = [NaN, Infinity, -Infinity, 1e300, -1e300, 40]
  for (let k = 0; k < 60; k++) rows[k * 5 + (k % DIMS)] = specials[k % specials.length] as number
  const count = rows.length / DIMS
  for (const forest of [
    IsolationForest.fit(data, DIMS, { trees: 30, seed: 6 }),
    IsolationForest.fit(data, DIMS, { trees: 30, seed: 6, rangeAware: false }),
    IsolationForest.fit(data.subarray(0, 40 * DIMS), DIMS, { trees: 20, sampleSize: 32, seed: 7 }), // shallow trees: leaves padded down
    IsolationForest.fit(new Float64Array(3 * DIMS).fill(1), DIMS, { trees: 5, seed: 8 }), // constant data: every root is a leaf
  ]) {
    for (const n of [count, 15, 16, 17, 3]) {
      const many = new Float64Array(n)
      forest.scoreMany(rows, n, many)
      for (let i = 0; i < n; i++) assert.ok(Object.is(many[i], forest.score(rows, i * DIMS)), `row ${i} of ${n}: ${many[i]} vs ${forest.score(rows, i * DIMS)}`)
    }
  }
})
