import { test } from 'node:test'
import assert from 'node:assert/strict'
import { binomialZ, erfc, logNormalTail, normalTail, robustSummary, scoreToZ, zFromLogTail, zToScore } from './stats.ts'

test('score mapping: 0 at z ≤ 0, 0.5 at 3σ, 0.8 at 6σ, 0.9 at 9σ, and scoreToZ inverts it', () => {
  const cases: Array<[number, number]> = [
    [-2, 0], // below expectation: nothing unusual in the detector's direction
    [0, 0],
    [3, 0.5],
    [6, 0.8],
    [9, 0.9],
  ]
  for (const [z, score] of cases) assert.ok(Math.abs(zToScore(z) - score) < 1e-12, `z ${z}`)
  for (const z of [0.5, 2, 6, 20]) assert.ok(Math.abs(scoreToZ(zToScore(z)) - z) < 1e-9)
  assert.equal(zToScore(NaN), 0)
  assert.equal(zToScore(Infinity), 1)
})

test('erfc and the normal tail match known values', () => {
  // Q(1.96) = 0.0249979, Q(3) = 0.0013499, Q(6) = 9.8659e-10 (tables).
  assert.ok(Math.abs(normalTail(1.96) - 0.0249979) < 1e-6)
  assert.ok(Math.abs(normalTail(3) / 0.0013499 - 1) < 1e-4)
  assert.ok(Math.abs(normalTail(6) / 9.8659e-10 - 1) < 1e-4)
  assert.ok(Math.abs(erfc(0) - 1) < 1e-7)
  assert.ok(Math.abs(erfc(-1) - 1.8427008) < 1e-6)
})

test('zFromLogTail inverts the normal tail, far past what doubles can hold', () => {
  for (const z of [-1, 0.5, 2, 6, 12, 30]) {
    assert.ok(Math.abs(zFromLogTail(logNormalTail(z)) - z) < 1e-6, `z ${z}`)
  }
  // e^(−1000) underflows a double; its z is still finite and about 44.7.
  const far = zFromLogTail(-1000)
  assert.ok(far > 44 && far < 45, `z ${far}`)
  assert.equal(zFromLogTail(0), -Infinity)
})

test('robust scale: σ for normal data, and not 0 when most values are one value', () => {
  const normal = Float64Array.from({ length: 2001 }, (_, i) => Math.SQRT2 * inverseErf((2 * (i + 0.5)) / 2001 - 1))
  const s = robustSummary(normal)
  assert.ok(Math.abs(s.median) < 1e-6 && Math.abs(s.scale - 1) < 0.02, `scale ${s.scale}`)
  // 80 % zeros (a small campaign's night): MAD is 0, the quantile spread is not.
  const zeroHeavy = Float64Array.from({ length: 100 }, (_, i) => (i < 80 ? 0 : 5 + i - 80))
  assert.ok(robustSummary(zeroHeavy).scale > 1)
})

/** Inverse error function by bisection (test helper). */
function inverseErf(y: number): number {
  let lo = -6
  let hi = 6
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2
    if (1 - erfc(mid) < y) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}

test('binomialZ: close to the exact binomial tail in both directions; 0 within half a count; NaN with nothing to test', () => {
  // Exact tails where they have a closed form: P(X = 0) = (1 − p)^n, P(X = n) = p^n.
  for (const [n, p] of [[32, 0.14], [100, 0.14], [400, 0.01], [20, 0.3]] as const) {
    const exact = -zFromLogTail(n * Math.log(1 - p))
    assert.ok(Math.abs(binomialZ(0, n, p) - exact) < 0.15, `0 of ${n} at ${p}: ${binomialZ(0, n, p)} vs ${exact}`)
  }
  for (const [n, p] of [[8, 0.5], [5, 0.3]] as const) {
    const exact = zFromLogTail(n * Math.log(p))
    assert.ok(Math.abs(binomialZ(n, n, p) - exact) < 0.2, `${n} of ${n} at ${p}: ${binomialZ(n, n, p)} vs ${exact}`)
  }
  assert.equal(binomialZ(4, 32, 0.14), 0)
  assert.ok(binomialZ(40, 3000, 0.003) > 7)
  for (const [k, n, p] of [[0, 0, 0.1], [1, 10, 0], [1, 10, 1], [1, 10, NaN]] as const) assert.ok(Number.isNaN(binomialZ(k, n, p)))
})
