import assert from 'node:assert/strict'
import { test } from 'node:test'
import { backtestSeries } from './backtest-series.ts'

const H = 3_600_000
const FROM = Date.UTC(2026, 10, 20, 0, 0)

function interval(entity: string, startMs: number, endMs: number | null, spend: number) {
  return { entity, labels: { level: 'campaign', platform: 'meta', account: 'a', campaign: entity, adset: '', entity }, startMs, endMs, firingMinutes: 0, spend, peaks: {}, lows: {} }
}

test('intervals become buckets: the most entities firing at once and their spend spread over the minutes', () => {
  const s = backtestSeries({ fromMs: FROM, toMs: FROM + 24 * H, intervals: [interval('c1', FROM + H, FROM + 3 * H, 200), interval('c2', FROM + 2 * H, FROM + 2 * H + 30 * 60_000, 10)] }, 24)
  assert.equal(s.stepSec, 3600, '24 h in 24 buckets of an hour')
  assert.equal(s.timesSec.length, 24)
  assert.deepEqual([...s.firing.slice(0, 4)], [0, 1, 2, 0], 'c2 overlaps c1 in the third hour; c1 resolves at 3:00')
  assert.deepEqual([...s.spend.slice(0, 4)], [0, 100, 110, 0], 'c1\'s $200 over two hours; c2\'s $10 in its half hour')
})

test('an open interval runs to the end of the range; spend sums to the intervals\' spend', () => {
  const s = backtestSeries({ fromMs: FROM, toMs: FROM + 6 * H, intervals: [interval('c1', FROM + 5 * H, null, 60)] }, 6)
  assert.deepEqual([...s.firing], [0, 0, 0, 0, 0, 1])
  assert.equal(s.spend.reduce((a, b) => a + b, 0), 60)
})
