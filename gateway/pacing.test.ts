import { test } from 'node:test'
import assert from 'node:assert/strict'
import { localDayOf } from '../rules/zoned-day.ts'
import { computePacing } from './pacing.ts'

const H = 3_600_000

test('pacing is spend over the budget share of the day elapsed; exhaustion extrapolates 15 minutes', () => {
  const day = { date: '2026-03-10', startMs: 0, endMs: 24 * H }
  // Six hours in (a quarter of the day) with 300 of 1000 spent: 300 / 250 = 1.2, over pace.
  const p = computePacing({ dailyBudgetMicros: 1000, spendTodayMicros: 300, spend15mMicros: 15, nowMs: 6 * H, day })
  assert.equal(p.dayElapsedShare, 0.25)
  assert.equal(p.pacing, 1.2)
  assert.equal(p.remainingMicros, 700)
  // 15 per 15 min = 1 per minute: 700 left runs out 700 minutes later, before midnight.
  assert.equal(p.projectedExhaustionAt, new Date(6 * H + 700 * 60_000).toISOString())
  assert.equal(p.exhaustsToday, true)
})

test('pacing edge cases give null, never Infinity or NaN', () => {
  const day = { date: '2026-03-10', startMs: 0, endMs: 24 * H }
  // At the first instant of the day the target is 0: no pacing ratio.
  assert.equal(computePacing({ dailyBudgetMicros: 1000, spendTodayMicros: 0, spend15mMicros: 0, nowMs: 0, day }).pacing, null)
  // No spend in the last 15 minutes: nothing to extrapolate.
  const idle = computePacing({ dailyBudgetMicros: 1000, spendTodayMicros: 10, spend15mMicros: 0, nowMs: 12 * H, day })
  assert.equal(idle.projectedExhaustionAt, null)
  assert.equal(idle.exhaustsToday, false)
  // Budget already spent: exhausted today, no future exhaustion time.
  const spent = computePacing({ dailyBudgetMicros: 1000, spendTodayMicros: 1200, spend15mMicros: 50, nowMs: 12 * H, day })
  assert.equal(spent.exhaustsToday, true)
  assert.equal(spent.projectedExhaustionAt, null)
  // A slow rate runs out after the day ends: not today.
  const slow = computePacing({ dailyBudgetMicros: 1000, spendTodayMicros: 100, spend15mMicros: 1, nowMs: 12 * H, day })
  assert.equal(slow.exhaustsToday, false)
  assert.ok(Date.parse(slow.projectedExhaustionAt!) > day.endMs)
})

test('on a 23-hour DST day the elapsed share uses the real length of the local day', () => {
  // New York springs forward on 2026-03-08: noon local is 11 real hours into a 23-hour day.
  const nowMs = Date.parse('2026-03-08T16:00:00Z')
  const p = computePacing({ dailyBudgetMicros: 2300, spendTodayMicros: 1100, spend15mMicros: 0, nowMs, day: localDayOf(nowMs, 'America/New_York') })
  assert.equal(p.dayElapsedShare, 11 / 23)
  assert.equal(p.pacing, 1)
})
