import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { MetricSums } from '../stream/fold.ts'
import { WINDOW_SLOTS } from '../stream/live-windows.ts'
import type { FactValue } from './compile-rule.ts'
import { computeFacts } from './compute-facts.ts'
import { DETECTOR_FACTS, FACTS } from './fact-catalogue.ts'
import { LiveFactPlan, liveFactContext } from './live-facts.ts'
import { localDayOf } from './zoned-day.ts'

const ZONES = ['UTC', 'America/New_York', 'Asia/Tokyo', 'Australia/Lord_Howe']
// Zeros are common (null ratios, null changes); some large amounts test the money arithmetic.
const amount = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 2 ** 40 }))
const sums = fc.tuple(amount, amount, amount, amount, amount) as fc.Arbitrary<MetricSums>
const score = fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined })

const caseArb = fc.record({
  windows: fc.record({ '1m': sums, '5m': sums, '15m': sums, '1h': sums, today: sums }),
  // Baselines unavailable (ClickHouse down), or per entity present or missing.
  baselines: fc.option(fc.record({ yesterday: fc.option(sums, { nil: undefined }), lastWeek: fc.option(sums, { nil: undefined }) }), { nil: undefined }),
  scores: fc.option(fc.record({ iforest: score, seasonal_z: score, ewma: score, flatline: score }), { nil: undefined }),
  budget: fc.option(fc.integer({ min: 0, max: 10 ** 12 }), { nil: undefined }),
  zone: fc.constantFrom(...ZONES),
  nowMs: fc.oneof(fc.integer({ min: Date.parse('2026-03-07T00:00:00Z'), max: Date.parse('2026-03-10T00:00:00Z') }), fc.integer({ min: Date.parse('2026-11-20T00:00:00Z'), max: Date.parse('2026-11-22T00:00:00Z') })),
})

test('the live plan over every catalogued fact computes exactly what computeFacts computes', () => {
  const plan = new LiveFactPlan(FACTS.keys())
  assert.deepEqual([...plan.names].sort(), [...FACTS.keys()].sort())
  const ctx = liveFactContext()
  // Facts of two entities in flat buffers, as the runner keeps them.
  const out: FactValue[] = []
  const nums = new Float64Array(2 * plan.names.length)
  fc.assert(
    fc.property(caseArb, (c) => {
      const day = localDayOf(c.nowMs, c.zone)
      const scores = c.scores === undefined ? undefined : Object.fromEntries(Object.entries(c.scores).filter(([, v]) => v !== undefined)) as Record<string, number>
      const live = computeFacts({
        windows: c.windows, platform: 'meta', account: 'act_1', campaign: 'c1', entity: 'c1', dailyBudgetMicros: c.budget, day, nowMs: c.nowMs,
        // As the runner passes them: no baselines at all, or the rows found for the entity.
        baselines: c.baselines === undefined ? undefined : { '1h': { ...(c.baselines.yesterday ? { yesterday: c.baselines.yesterday } : {}), ...(c.baselines.lastWeek ? { last_week: c.baselines.lastWeek } : {}) } },
        scores,
      })
      WINDOW_SLOTS.forEach((w, i) => ctx.windows.set(c.windows[w], i * 5))
      Object.assign(ctx, {
        nowMs: c.nowMs, dayStartMs: day.startMs, dayEndMs: day.endMs, dailyBudgetMicros: c.budget, platform: 'meta', account: 'act_1', campaign: 'c1', entity: 'c1',
        yesterday: c.baselines?.yesterday, lastWeek: c.baselines?.lastWeek, hasData: c.windows['1h'].some((v) => v !== 0), scores,
      })
      const base = plan.names.length
      plan.compute(ctx, nums, out, base)
      plan.names.forEach((name, i) => {
        const got = plan.numeric[i] ? (Number.isNaN(nums[base + i]) ? null : nums[base + i]) : out[base + i]
        assert.ok(Object.is(got, live[name]), `${name}: plan ${got}, computeFacts ${live[name]}`)
      })
    }),
    { numRuns: 500, seed: 4242 },
  )
})

test('a plan holds only the facts asked for, and says when it needs scores or baselines', () => {
  const plan = new LiveFactPlan(['spend_5m', 'cpc_15m', 'spend_5m'])
  assert.deepEqual([...plan.names].sort(), ['cpc_15m', 'spend_5m'])
  assert.equal(plan.readsScores, false)
  assert.equal(plan.readsBaselines, false)
  assert.equal(new LiveFactPlan([`anomaly_${DETECTOR_FACTS[0]}`]).readsScores, true)
  assert.equal(new LiveFactPlan(['clicks_1h_vs_last_week']).readsBaselines, true)
})
