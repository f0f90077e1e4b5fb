import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { MetricSums } from '../stream/fold.ts'
import type { EntityWindows } from '../stream/live-windows.ts'
import { computeFacts, type FactInput } from './compute-facts.ts'
import { FACTS } from './fact-catalogue.ts'
import { localDayOf } from './zoned-day.ts'

const zero = (): MetricSums => [0, 0, 0, 0, 0]
const windows = (over: Partial<EntityWindows> = {}): EntityWindows => ({ '1m': zero(), '5m': zero(), '15m': zero(), '1h': zero(), today: zero(), ...over })
const NOW = Date.parse('2026-11-21T17:00:00Z') // 12:00 in New York
function input(over: Partial<FactInput> = {}): FactInput {
  return { windows: windows(), platform: 'meta', account: 'act_1', campaign: 'c1', entity: 'c1', dailyBudgetMicros: undefined, day: localDayOf(NOW, 'America/New_York'), nowMs: NOW, ...over }
}

test('every catalogued fact is computed, and nothing else', () => {
  const f = computeFacts(input())
  assert.deepEqual(Object.keys(f).sort(), [...FACTS.keys()].sort())
})

test('counts and ratios per window; money in currency units', () => {
  // 2,000 impressions, 40 clicks, $120 spend, 4 conversions, $600 revenue over 15 minutes.
  const f = computeFacts(input({ windows: windows({ '15m': [2000, 40, 120_000_000, 4, 600_000_000] }) }))
  assert.equal(f.spend_15m, 120)
  assert.equal(f.ctr_15m, 0.02)
  assert.equal(f.cpc_15m, 3)
  assert.equal(f.cpm_15m, 60)
  assert.equal(f.cpa_15m, 30)
  assert.equal(f.roas_15m, 5)
})

test('zero denominators give null, never Infinity or NaN', () => {
  const f = computeFacts(input({ windows: windows({ '5m': [0, 0, 5_000_000, 0, 0] }) }))
  for (const name of ['ctr_5m', 'cpc_5m', 'cpm_5m', 'cpa_5m']) assert.equal(f[name], null, name) // spend without impressions/clicks/conversions
  assert.equal(f.roas_5m, 0) // revenue 0 over spend 5 is a real 0
  assert.equal(f.roas_1m, null) // no spend at all
  for (const v of Object.values(computeFacts(input()))) assert.ok(v === null || typeof v === 'string' || Number.isFinite(v))
})

test('pacing against the share of the local day elapsed, and budget exhaustion', () => {
  // Noon in New York: half the day. $60 of a $100 budget spent; $1/min over the last 15 min.
  const f = computeFacts(input({ dailyBudgetMicros: 100_000_000, windows: windows({ today: [0, 0, 60_000_000, 0, 0], '15m': [0, 0, 15_000_000, 0, 0] }) }))
  assert.equal(f.day_elapsed, 0.5)
  assert.equal(f.pacing, 1.2) // 60 ÷ (100 × 0.5)
  assert.equal(f.budget_remaining, 40)
  assert.equal(f.budget_exhaust_in_min, 40) // $40 left at $1/min
  assert.equal(f.projected_spend_today, 60 + 12 * 60) // 12 h left at $1/min
})

test('pacing on the day DST ends uses the 25-hour day', () => {
  const now = Date.parse('2026-11-01T17:00:00Z') // 12:00 EST, 13 h after local midnight (04:00Z)
  const f = computeFacts(input({ nowMs: now, day: localDayOf(now, 'America/New_York'), dailyBudgetMicros: 100_000_000, windows: windows({ today: [0, 0, 52_000_000, 0, 0] }) }))
  assert.equal(f.day_elapsed, 13 / 25)
  assert.equal(f.pacing, 52 / (100 * (13 / 25)))
})

test('no budget, no spend: pacing facts are null, exhaustion too', () => {
  const f = computeFacts(input({ dailyBudgetMicros: 100_000_000 }))
  assert.equal(f.pacing, 0)
  assert.equal(f.budget_exhaust_in_min, null) // no spend rate: it never runs out
  const none = computeFacts(input())
  assert.equal(none.pacing, null)
  assert.equal(none.daily_budget, null)
})

test('change against yesterday and last week; unknown or zero baselines are null', () => {
  const f = computeFacts(input({
    windows: windows({ '1h': [100, 10, 30_000_000, 1, 0] }),
    baselines: { '1h': { yesterday: [50, 10, 10_000_000, 0, 0] } },
  }))
  assert.equal(f.impressions_1h_vs_yesterday, 1) // +100 %
  assert.equal(f.spend_1h_vs_yesterday, 2)
  assert.equal(f.clicks_1h_vs_yesterday, 0)
  assert.equal(f.conversions_1h_vs_yesterday, null) // from 0
  assert.equal(f.spend_1h_vs_last_week, null) // unknown
})

test('detector scores become anomaly facts', () => {
  const f = computeFacts(input({ scores: { iforest: 0.93 } }))
  assert.equal(f.anomaly_iforest, 0.93)
  assert.equal(f.anomaly_ewma, null)
})
