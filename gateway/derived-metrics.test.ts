import { test } from 'node:test'
import assert from 'node:assert/strict'
import { toWindowMetrics } from './derived-metrics.ts'

test('ratios use the window sums and are null for zero denominators', () => {
  // 1000 impressions, 20 clicks, $10 spent, 2 conversions, $40 revenue.
  const m = toWindowMetrics([1000, 20, 10_000_000, 2, 40_000_000])
  assert.equal(m.ctr, 0.02)
  assert.equal(m.cpcMicros, 500_000) // $0.50 a click
  assert.equal(m.cpmMicros, 10_000_000) // $10 per thousand impressions
  assert.equal(m.cpaMicros, 5_000_000)
  assert.equal(m.roas, 4)
  // Nothing happened: every ratio is null, not NaN.
  const zero = toWindowMetrics([0, 0, 0, 0, 0])
  assert.deepEqual([zero.ctr, zero.cpcMicros, zero.cpmMicros, zero.cpaMicros, zero.roas], [null, null, null, null, null])
  // Clicks without spend: CPC is 0, ROAS has no spend to divide by.
  const free = toWindowMetrics([10, 5, 0, 0, 0])
  assert.equal(free.cpcMicros, 0)
  assert.equal(free.roas, null)
})
