import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { MetricSums } from '../stream/fold.ts'
import type { EntityWindows } from '../stream/live-windows.ts'
import { KNOWN_FOR_MINUTES, LONGEST_DAY_MINUTES, METRIC_INDEX, planFacts, type FactContext } from './backtest-facts.ts'
import { computeFacts } from './compute-facts.ts'
import { FACTS } from './fact-catalogue.ts'
import { localDayOf } from './zoned-day.ts'

const ZONES = ['UTC', 'America/New_York', 'Asia/Tokyo', 'Australia/Lord_Howe', 'Asia/Kathmandu']
// Small integers make zeros (and so null ratios) common; some large ones test money arithmetic.
const amount = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 2 ** 40 }))
const sums = fc.tuple(amount, amount, amount, amount, amount) as fc.Arbitrary<MetricSums>
const WINDOW_OF_MINUTES: Record<number, keyof EntityWindows> = { 1: '1m', 5: '5m', 15: '15m', 60: '1h' }

const caseArb = fc.record({
  windows: fc.record({ '1m': sums, '5m': sums, '15m': sums, '1h': sums, today: sums }),
  yesterday: sums,
  lastWeek: sums,
  budget: fc.option(fc.integer({ min: 0, max: 10 ** 12 }), { nil: undefined }),
  zone: fc.constantFrom(...ZONES),
  // Around the 2026 DST changes as well as ordinary days.
  nowMs: fc.oneof(fc.integer({ min: Date.parse('2026-03-07T00:00:00Z'), max: Date.parse('2026-03-10T00:00:00Z') }), fc.integer({ min: Date.parse('2026-10-30T00:00:00Z'), max: Date.parse('2026-11-03T00:00:00Z') })),
})

test('every catalogued fact computes exactly what computeFacts computes (same windows, clock and day)', () => {
  const plans = [...FACTS.keys()].map((name) => ({ name, plan: planFacts([name]) }))
  fc.assert(
    fc.property(caseArb, (c) => {
      const day = localDayOf(c.nowMs, c.zone)
      const live = computeFacts({
        windows: c.windows, platform: 'meta', account: 'act_1', campaign: 'c1', entity: 'c1', dailyBudgetMicros: c.budget, day, nowMs: c.nowMs,
        baselines: { '1h': { yesterday: c.yesterday, last_week: c.lastWeek } },
      })
      for (const { name, plan } of plans) {
        // The backtest's running sums, as they stand at this minute.
        const values = plan.slots.map((s) => {
          if (s.metric === METRIC_INDEX.rows) return 1
          if (s.minutes === 0) return c.windows.today[s.metric]!
          if (s.lagMinutes === 1_440) return c.yesterday[s.metric]!
          if (s.lagMinutes === 10_080) return c.lastWeek[s.metric]!
          return c.windows[WINDOW_OF_MINUTES[s.minutes]!][s.metric]!
        })
        const ctx: FactContext = {
          sums: Float64Array.from(values), nowMs: c.nowMs, dayStartMs: day.startMs, dayEndMs: day.endMs, dailyBudgetMicros: c.budget,
          platform: 'meta', account: 'act_1', campaign: 'c1', entity: 'c1',
        }
        const fact = plan.facts.find((f) => f.name === name)!
        const got = fact.compute(ctx)
        assert.ok(Object.is(got, live[name]) || (name.startsWith('anomaly_') && got === null), `${name}: backtest ${got}, live ${live[name]}`)
      }
    }),
    { numRuns: 400 },
  )
})

test('a zero baseline gives null change facts, as the live evaluator without a baseline row does', () => {
  // No data a day ago: the live runner finds no row and passes no baseline; the backtest sums 0.
  const plan = planFacts(['spend_1h_vs_yesterday'])
  const s = new Float64Array(plan.slots.length)
  plan.slots.forEach((slot, i) => (s[i] = slot.lagMinutes === 0 && slot.metric === METRIC_INDEX.spend ? 5_000_000 : 0))
  const ctx: FactContext = { sums: s, nowMs: 0, dayStartMs: 0, dayEndMs: 1, dailyBudgetMicros: undefined, platform: '', account: '', campaign: '', entity: '' }
  assert.equal(plan.facts[0]!.compute(ctx), null)
})

test('the plan reads only what the facts need, and warms up as far back as they look', () => {
  // spend_5m alone: spend, plus the row counts every plan keeps (had data in 1 h, known for 2 h).
  const a = planFacts(['spend_5m'])
  assert.deepEqual(a.metrics, [METRIC_INDEX.spend])
  assert.equal(a.warmupMinutes, KNOWN_FOR_MINUTES - 1)
  assert.equal(a.readsClock, false)
  // CPC needs clicks too; nothing needs impressions.
  assert.deepEqual(planFacts(['cpc_15m']).metrics, [METRIC_INDEX.clicks, METRIC_INDEX.spend])
  // "today" may have begun up to 25 hours before the first evaluated minute.
  const b = planFacts(['pacing'])
  assert.equal(b.warmupMinutes, LONGEST_DAY_MINUTES)
  assert.equal(b.readsClock, true)
  // Last week's hour ends 7 days back and starts 59 minutes before that.
  assert.equal(planFacts(['clicks_1h_vs_last_week']).warmupMinutes, 10_080 + 59)
  // Detector scores have no history: always null, and said so.
  assert.deepEqual(planFacts(['anomaly_iforest', 'spend_1m']).unavailable, ['anomaly_iforest'])
  assert.throws(() => planFacts(['spend_2m']), /unknown fact/)
})
