import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { MetricSums } from '../stream/fold.ts'
import { LiveWindowState } from '../stream/live-windows.ts'
import { AdwatchError } from '../core/errors.ts'
import { Backtest, backtestRange, type BacktestInterval, type BacktestResult, type EntitySeries } from './backtest.ts'
import { computeFacts } from './compute-facts.ts'
import { FACTS } from './fact-catalogue.ts'
import { RuleEvaluator, type EntityInput } from './rule-evaluator.ts'
import type { Condition, Rule } from './rule-model.ts'
import type { EntityLabels } from './scope.ts'
import { factsRead } from './templates.ts'
import { validateRule } from './validate-rule.ts'
import { localDayOf } from './zoned-day.ts'

const MIN = 60_000

/** One synthetic entity: its labels, zone, budget and rollup rows (minute ms → rows of sums). */
interface FakeEntity {
  readonly labels: EntityLabels
  readonly timeZone: string
  readonly budgetMicros: number | undefined
  readonly rows: Map<number, MetricSums[]>
}

function entity(id: string, over: Partial<Omit<FakeEntity, 'labels' | 'rows'>> & { account?: string; platform?: string } = {}): FakeEntity {
  return {
    labels: { level: 'campaign', platform: over.platform ?? 'meta', account: over.account ?? 'act_1', campaign: id, adset: '', entity: id },
    timeZone: over.timeZone ?? 'UTC',
    budgetMicros: over.budgetMicros,
    rows: new Map(),
  }
}

function addRow(e: FakeEntity, minuteMs: number, sums: MetricSums): void {
  const list = e.rows.get(minuteMs) ?? []
  list.push(sums)
  e.rows.set(minuteMs, list)
}

const spendRow = (micros: number): MetricSums => [1, 0, micros, 0, 0]

/** Runs the backtest core, feeding the entities' rows slice by slice as the reader would. */
function runBacktest(rule: Rule, entities: readonly FakeEntity[], fromMs: number, toMs: number, sliceMinutes = 1_440, maxIntervals?: number): BacktestResult {
  assert.deepEqual(validateRule(rule), [], 'the test rule is valid')
  const bt = new Backtest({ tenant: 't', rule, fromMs, toMs, maxIntervals })
  for (const slice of bt.slices(sliceMinutes)) {
    const series: EntitySeries[] = []
    for (const e of entities) {
      const minutes: number[] = []
      const values: number[][] = [[], [], [], [], []]
      for (const [ms, rows] of e.rows) {
        if (ms < slice.fromMs || ms >= slice.toMs) continue
        for (const r of rows) {
          minutes.push((ms - bt.readStartMs) / MIN)
          r.forEach((v, k) => values[k]!.push(v))
        }
      }
      if (minutes.length === 0) continue
      series.push({
        entity: e.labels.entity, labels: e.labels, timeZone: e.timeZone, dailyBudgetMicros: e.budgetMicros,
        minutes: Uint16Array.from(minutes), values: values.map((v) => Float64Array.from(v)),
      })
    }
    bt.addSlice(slice, series)
  }
  return bt.finish()
}

function rule(conditions: Condition, over: Partial<Rule> = {}): Rule {
  return { id: 'r1', name: 'test rule', level: 'campaign', severity: 'warning', conditions, ...over }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())
const brief = (i: BacktestInterval) => ({ entity: i.entity, start: iso(i.startMs), end: iso(i.endMs), minutes: i.firingMinutes, spend: i.spend })

const T0 = Date.parse('2026-11-16T00:00:00Z')

test('a spike fires "spend_5m > X for 2m" two minutes in and resolves when it leaves the 5-minute window', () => {
  // $0.10 a minute, and $5 a minute for 10:00–10:09 (ten minutes) on c1 only.
  const c1 = entity('c1')
  const c2 = entity('c2')
  for (let m = T0; m < T0 + 86_400_000; m += MIN) {
    const spike = m >= T0 + 10 * 3_600_000 && m < T0 + 10 * 3_600_000 + 10 * MIN
    addRow(c1, m, spendRow(spike ? 5_000_000 : 100_000))
    addRow(c2, m, spendRow(100_000))
  }
  const r = runBacktest(rule({ all: [{ fact: 'spend_5m', operator: 'greaterThan', value: 3 }] }, { for: '2m' }), [c1, c2], T0 + 3_600_000 * 3, T0 + 86_400_000)
  // True from 10:00 (the spike's first bucket) to 10:13 (its last bucket, 10:09, is 5 minutes
  // old at 10:14): pending 10:00, firing 10:02, resolved 10:14. Spend: 8 spike minutes + 4 × $0.10.
  assert.deepEqual(r.intervals.map(brief), [{ entity: 'c1', start: '2026-11-16T10:02:00.000Z', end: '2026-11-16T10:14:00.000Z', minutes: 12, spend: 8 * 5 + 4 * 0.1 }])
  assert.equal(r.intervals[0]!.peaks.spend_5m, 25) // five spike minutes in the window
  assert.equal(r.intervals[0]!.lows.spend_5m, 5.4) // at 10:13: the last spike minute and four quiet ones
  assert.deepEqual({ ...r.totals, spend: Math.round(r.totals.spend * 100) / 100 }, {
    entities: 2, entitiesFired: 1, intervals: 1, openIntervals: 0, firingMinutes: 12, spendDuringIntervals: 40.4,
    spend: Math.round((2 * 21 * 60 * 0.1 + 10 * 4.9) * 100) / 100, evaluations: 2 * 21 * 60,
  })
})

test('keep_firing_for bridges a short gap; a gap longer than it gives two intervals', () => {
  // Spikes 10:00–10:04 and 10:12–10:16 on c1; "spend_1m > 1" (no pending period).
  const c1 = entity('c1')
  for (let m = T0; m < T0 + 12 * 3_600_000; m += MIN) {
    const minute = (m - T0) / MIN - 600
    addRow(c1, m, spendRow((minute >= 0 && minute < 5) || (minute >= 12 && minute < 17) ? 2_000_000 : 100_000))
  }
  const spike = rule({ all: [{ fact: 'spend_1m', operator: 'greaterThan', value: 1 }] })
  const short = runBacktest({ ...spike, keep_firing_for: '5m' }, [c1], T0 + 3 * 3_600_000, T0 + 12 * 3_600_000)
  // Last true at 10:04; 10:05–10:08 are within 5 minutes of it; 10:09 would resolve, but the
  // gap is 10:05–10:11 (7 minutes) > 5: resolved at 10:09, fired again at 10:12, resolved 10:21.
  assert.deepEqual(short.intervals.map(brief).map((i) => [i.start, i.end]), [
    ['2026-11-16T10:00:00.000Z', '2026-11-16T10:09:00.000Z'],
    ['2026-11-16T10:12:00.000Z', '2026-11-16T10:21:00.000Z'],
  ])
  const long = runBacktest({ ...spike, keep_firing_for: '10m' }, [c1], T0 + 3 * 3_600_000, T0 + 12 * 3_600_000)
  // A 10-minute keep bridges the 7-minute gap: one interval, resolved 10 minutes after 10:16.
  assert.deepEqual(long.intervals.map(brief).map((i) => [i.start, i.end]), [['2026-11-16T10:00:00.000Z', '2026-11-16T10:26:00.000Z']])
})

test('"today" restarts at local midnight in the account\'s zone, across the 25-hour day when DST ends', () => {
  // New York, Sunday 2026-11-01: clocks go back at 02:00, so the day is 25 hours long
  // (04:00Z to 05:00Z the next day). $1 a minute all the time; fire when today > $1,450.
  const ny = entity('c1', { timeZone: 'America/New_York' })
  const utc = entity('c2', { timeZone: 'UTC' })
  const from = Date.parse('2026-10-31T12:00:00Z')
  const to = Date.parse('2026-11-02T12:00:00Z')
  for (let m = from - 2 * 86_400_000; m < to; m += MIN) {
    addRow(ny, m, spendRow(1_000_000))
    addRow(utc, m, spendRow(1_000_000))
  }
  const r = runBacktest(rule({ all: [{ fact: 'spend_today', operator: 'greaterThan', value: 1_450 }] }), [ny, utc], from, to)
  // Today exceeds $1,450 at its 1,451st minute. New York: Oct 31 (a 24 h day from 04:00Z)
  // reaches it 1,450 minutes after 04:00Z, i.e. at 04:10Z Nov 1 — after that day ended at
  // 04:00Z, so never; Nov 1 (25 h from 04:00Z) reaches it at 04:10Z Nov 2 and resolves at the
  // day's end, 05:00Z. UTC days never get there (1,440 minutes).
  assert.deepEqual(r.intervals.map(brief), [{ entity: 'c1', start: '2026-11-02T04:10:00.000Z', end: '2026-11-02T05:00:00.000Z', minutes: 50, spend: 50 }])
  assert.equal(r.intervals[0]!.peaks.spend_today, 1_500) // the 25-hour day's full total
})

test('pacing and budget facts use the entity\'s budget and its local day', () => {
  // Budget $1,440 a day, spend $2 a minute from UTC midnight: pacing is 2 all day.
  const c1 = entity('c1', { budgetMicros: 1_440_000_000 })
  const c2 = entity('c2') // no budget: pacing is null, the condition is false
  for (let m = T0 - 86_400_000; m < T0 + 86_400_000; m += MIN) {
    addRow(c1, m, spendRow(2_000_000))
    addRow(c2, m, spendRow(2_000_000))
  }
  const r = runBacktest(rule({ all: [{ fact: 'pacing', operator: 'greaterThan', value: 1.5 }, { fact: 'budget_remaining', operator: 'greaterThan', value: 0 }] }), [c1, c2], T0, T0 + 86_400_000)
  // Budget runs out when today reaches $1,440: after 720 minutes, at 12:00 (remaining 0 is not > 0).
  assert.deepEqual(r.intervals.map(brief), [{ entity: 'c1', start: '2026-11-16T00:00:00.000Z', end: '2026-11-16T11:59:00.000Z', minutes: 719, spend: 1_438 }])
  assert.ok(Math.abs(r.intervals[0]!.peaks.pacing! - 2) < 1e-12)
})

test('an interval still firing at the end is open, and counted as such', () => {
  const c1 = entity('c1')
  for (let m = T0; m < T0 + 6 * 3_600_000; m += MIN) addRow(c1, m, spendRow(m >= T0 + 5 * 3_600_000 ? 3_000_000 : 0) as MetricSums)
  // Zero rows are not data; give the quiet hours a click so the entity is known throughout.
  for (const [ms, rows] of c1.rows) if (ms < T0 + 5 * 3_600_000) rows[0] = [1, 1, 0, 0, 0]
  const r = runBacktest(rule({ all: [{ fact: 'spend_15m', operator: 'greaterThanInclusive', value: 30 }] }), [c1], T0 + 3_600_000, T0 + 6 * 3_600_000)
  // $3 a minute from 05:00: the 15-minute window reaches $30 at 05:09.
  assert.deepEqual(r.intervals.map(brief), [{ entity: 'c1', start: '2026-11-16T05:09:00.000Z', end: null, minutes: 51, spend: 153 }])
  assert.equal(r.totals.openIntervals, 1)
})

test('no data: "alert" fires after an hour without data; the entity is paused two hours after its last data, as live', () => {
  const c1 = entity('c1')
  const lastData = T0 + 4 * 3_600_000
  for (let m = T0; m < lastData; m += MIN) addRow(c1, m, spendRow(100_000))
  for (let m = T0 + 9 * 3_600_000; m < T0 + 10 * 3_600_000; m += MIN) addRow(c1, m, spendRow(100_000))
  const noData = rule({ all: [{ fact: 'spend_1h', operator: 'greaterThan', value: 1_000 }] }, { no_data: 'alert', for: '10m' })
  const r = runBacktest(noData, [c1], T0 + 3_600_000, T0 + 10 * 3_600_000)
  // Last row at 03:59. The hour window is empty from 04:59: no-data ⇒ true, pending at 04:59,
  // firing at 05:09. From 05:59 (120 minutes after 03:59 ... the 2 h window holds no row) the
  // entity is no longer evaluated, so it stays firing until data returns at 09:00 and the
  // condition (spend_1h > $1,000) is false: resolved at 09:00.
  assert.deepEqual(r.intervals.map(brief).map((i) => [i.start, i.end]), [['2026-11-16T05:09:00.000Z', '2026-11-16T09:00:00.000Z']])
  // With the default policy the silent entity is simply not true: nothing fires.
  const ok = runBacktest({ ...noData, no_data: 'ok' }, [c1], T0 + 3_600_000, T0 + 10 * 3_600_000)
  assert.equal(ok.totals.intervals, 0)
  // "spend_1h < $1" holds while the hour still has some data but less than $1 (its last nine
  // minutes, 04:50–04:58, as it drains; and 09:00–09:08 as data returns), never while silent:
  // an empty hour is no data, and "ok" counts that as false (the live hasData).
  const low = runBacktest(rule({ all: [{ fact: 'spend_1h', operator: 'lessThan', value: 1 }] }), [c1], T0 + 3_600_000, T0 + 10 * 3_600_000)
  assert.deepEqual(low.intervals.map(brief).map((i) => [i.start, i.end]), [
    ['2026-11-16T04:50:00.000Z', '2026-11-16T04:59:00.000Z'],
    ['2026-11-16T09:00:00.000Z', '2026-11-16T09:09:00.000Z'],
  ])
})

test('scope and level: only the rule\'s level, accounts, platforms and matchers are evaluated', () => {
  const a = entity('c-a', { account: 'act_1', platform: 'meta' })
  const b = entity('c-b', { account: 'act_2', platform: 'meta' })
  const c = entity('c-c', { account: 'act_1', platform: 'google' })
  const adLevel: FakeEntity = { ...entity('ad-1'), labels: { level: 'ad', platform: 'meta', account: 'act_1', campaign: 'c-a', adset: 's1', entity: 'ad-1' } }
  for (const e of [a, b, c, adLevel]) for (let m = T0; m < T0 + 3 * 3_600_000; m += MIN) addRow(e, m, spendRow(1_000_000))
  const always = rule({ all: [{ fact: 'spend_1m', operator: 'greaterThan', value: 0 }] }, { scope: { accounts: ['act_1'], matchers: [{ name: 'platform', op: '=~', value: 'me.*' }] } })
  const r = runBacktest(always, [a, b, c, adLevel], T0 + 3_600_000, T0 + 3 * 3_600_000)
  assert.deepEqual(r.intervals.map((i) => i.entity), ['c-a'])
  assert.equal(r.totals.entities, 1)
})

test('every: the rule is evaluated on every n-th minute only, as RuleEvaluator does per tick', () => {
  const c1 = entity('c1')
  for (let m = T0; m < T0 + 4 * 3_600_000; m += MIN) addRow(c1, m, spendRow(m === T0 + 2 * 3_600_000 + 3 * MIN ? 9_000_000 : 100_000))
  const spike = rule({ all: [{ fact: 'spend_1m', operator: 'greaterThan', value: 1 }] }, { every: '5m' })
  // Evaluated at 01:00, 01:05 … 02:00, 02:05: the spike at 02:03 is never looked at.
  assert.equal(runBacktest(spike, [c1], T0 + 3_600_000, T0 + 4 * 3_600_000).totals.intervals, 0)
  assert.equal(runBacktest({ ...spike, every: '1m' }, [c1], T0 + 3_600_000, T0 + 4 * 3_600_000).totals.intervals, 1)
})

test('amounts beyond 32 bits arrive as extra rows and add up', () => {
  const bt = new Backtest({ tenant: 't', rule: rule({ all: [{ fact: 'spend_1m', operator: 'greaterThan', value: 5_000 }] }), fromMs: T0 + 3 * 3_600_000, toMs: T0 + 4 * 3_600_000 })
  const [slice] = bt.slices()
  const minute = (T0 + 3 * 3_600_000 + 30 * MIN - bt.readStartMs) / MIN
  const labels = entity('c1').labels
  // One row of $6,000: 6e9 micros is sent as its low 32 bits plus 2^32 apart.
  bt.addSlice(slice!, [{ entity: 'c1', labels, timeZone: 'UTC', dailyBudgetMicros: undefined, minutes: [minute], values: [[1], [0], [6e9 - 2 ** 32], [0], [0]], extra: [[minute, 2, 2 ** 32]] }])
  const r = bt.finish()
  assert.deepEqual(r.intervals.map(brief), [{ entity: 'c1', start: '2026-11-16T03:30:00.000Z', end: '2026-11-16T03:31:00.000Z', minutes: 1, spend: 6_000 }])
})

test('at most maxIntervals intervals, the earliest; totals count all of them', () => {
  // One one-minute spike each: c3 at 01:50, c1 at 02:40, c2 at 02:50.
  const spikes: Record<string, number> = { c3: T0 + 110 * MIN, c1: T0 + 160 * MIN, c2: T0 + 170 * MIN }
  const es = Object.keys(spikes).map((id) => entity(id))
  for (const e of es) for (let m = T0; m < T0 + 3 * 3_600_000; m += MIN) addRow(e, m, spendRow(m === spikes[e.labels.entity] ? 9_000_000 : 100_000))
  const r = runBacktest(rule({ all: [{ fact: 'spend_1m', operator: 'greaterThan', value: 1 }] }), es, T0 + 3_600_000, T0 + 3 * 3_600_000, 1_440, 2)
  assert.equal(r.truncated, true)
  assert.equal(r.totals.intervals, 3)
  assert.deepEqual(r.intervals.map((i) => [i.entity, iso(i.startMs)]), [['c3', '2026-11-16T01:50:00.000Z'], ['c1', '2026-11-16T02:40:00.000Z']])
})

test('detector scores have no history: rules reading them never fire, and the result says why', () => {
  const c1 = entity('c1')
  for (let m = T0; m < T0 + 3 * 3_600_000; m += MIN) addRow(c1, m, spendRow(100_000))
  const r = runBacktest(rule({ any: [{ fact: 'anomaly_iforest', operator: 'greaterThan', value: 0.5 }, { fact: 'anomaly_iforest', operator: 'equal', value: 0.7 }] }), [c1], T0 + 3_600_000, T0 + 3 * 3_600_000)
  assert.equal(r.totals.intervals, 0)
  assert.deepEqual(r.unavailableFacts, ['anomaly_iforest'])
})

test('bad ranges are refused with ADW_BACKTEST_INVALID', () => {
  for (const days of [0, 32, 1.5]) {
    assert.throws(() => backtestRange(days, T0), (e: unknown) => e instanceof AdwatchError && e.code === 'ADW_BACKTEST_INVALID')
  }
  assert.deepEqual(backtestRange(7, T0 + 30_500), { fromMs: T0 - 7 * 86_400_000, toMs: T0 }) // the current minute is not over yet
  const r = rule({ all: [{ fact: 'spend_1m', operator: 'greaterThan', value: 1 }] })
  for (const [fromMs, toMs] of [[T0, T0], [T0 + 1, T0 + MIN], [T0, T0 + 32 * 86_400_000]] as const) {
    assert.throws(() => new Backtest({ tenant: 't', rule: r, fromMs, toMs }), (e: unknown) => e instanceof AdwatchError && e.code === 'ADW_BACKTEST_INVALID')
  }
})

// ─── The property: the backtest equals the live evaluator stepped minute by minute ───────────

const POOL_NUMBER = ['spend_1m', 'spend_5m', 'clicks_15m', 'cpc_15m', 'ctr_1h', 'roas_1h', 'spend_today', 'pacing', 'budget_exhaust_in_min', 'projected_spend_today', 'day_elapsed', 'spend_1h_vs_yesterday', 'anomaly_iforest'] as const
const THRESHOLD: Record<string, fc.Arbitrary<number>> = {
  spend_1m: fc.double({ min: 0, max: 4, noNaN: true }), spend_5m: fc.double({ min: 0, max: 15, noNaN: true }), clicks_15m: fc.integer({ min: 0, max: 30 }),
  cpc_15m: fc.double({ min: 0, max: 2, noNaN: true }), ctr_1h: fc.double({ min: 0, max: 0.05, noNaN: true }), roas_1h: fc.double({ min: 0, max: 3, noNaN: true }),
  spend_today: fc.integer({ min: 0, max: 2_000 }), pacing: fc.double({ min: 0, max: 3, noNaN: true }), budget_exhaust_in_min: fc.integer({ min: 0, max: 2_000 }),
  projected_spend_today: fc.integer({ min: 0, max: 3_000 }), day_elapsed: fc.double({ min: 0, max: 1, noNaN: true }), spend_1h_vs_yesterday: fc.double({ min: -1, max: 2, noNaN: true }),
  anomaly_iforest: fc.double({ min: 0, max: 1, noNaN: true }),
}
const leafArb: fc.Arbitrary<Condition> = fc.oneof(
  fc.constantFrom(...POOL_NUMBER).chain((fact) =>
    fc.record({ fact: fc.constant(fact), operator: fc.constantFrom('greaterThan', 'greaterThanInclusive', 'lessThan', 'lessThanInclusive', 'notEqual'), value: THRESHOLD[fact]! }),
  ),
  fc.record({ fact: fc.constantFrom('spend_5m', 'cpc_15m'), operator: fc.constantFrom('greaterThan', 'lessThan'), value: fc.constantFrom(...POOL_NUMBER.filter((f) => f !== 'anomaly_iforest')).map((fact) => ({ fact })) }),
  fc.record({ fact: fc.constant('account'), operator: fc.constantFrom('equal', 'notEqual'), value: fc.constantFrom('act_1', 'act_2') }),
) as fc.Arbitrary<Condition>
const conditionArb: fc.Arbitrary<Condition> = fc.oneof(
  fc.array(leafArb, { minLength: 1, maxLength: 3 }).map((all) => ({ all })),
  fc.array(leafArb, { minLength: 1, maxLength: 3 }).map((any) => ({ any })),
  leafArb.map((l) => ({ all: [{ not: l }] })),
)
const ruleArb: fc.Arbitrary<Rule> = fc.record({
  conditions: conditionArb,
  for: fc.constantFrom('0s', '1m', '2m', '5m', '90s'),
  keep_firing_for: fc.constantFrom('0s', '1m', '3m'),
  no_data: fc.constantFrom('ok', 'alert', 'keep_last'),
  every: fc.constantFrom(undefined, '2m', '90s'),
  scoped: fc.boolean(),
}).map(({ conditions, scoped, every, ...rest }) => ({
  ...rule(conditions, rest as Partial<Rule>),
  ...(every === undefined ? {} : { every }),
  ...(scoped ? { scope: { matchers: [{ name: 'account' as const, op: '!=' as const, value: 'act_3' }] } } : {}),
}))

/** Random traffic per minute with bursts and silences (gaps longer than two hours included). */
function trafficArb(fromMs: number, toMs: number): fc.Arbitrary<FakeEntity[]> {
  const oneEntity = (id: string, account: string, timeZone: string) =>
    fc.record({ seed: fc.integer({ min: 1, max: 2 ** 30 }), density: fc.double({ min: 0.2, max: 1, noNaN: true }), gapStart: fc.integer({ min: 0, max: 2_000 }), gapLen: fc.integer({ min: 0, max: 200 }), budget: fc.option(fc.integer({ min: 100_000_000, max: 3_000_000_000 }), { nil: undefined }) })
      .map(({ seed, density, gapStart, gapLen, budget }) => {
        const e = entity(id, { account, timeZone, budgetMicros: budget })
        let s = seed
        const rnd = () => ((s = (s * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648)
        let i = 0
        for (let m = fromMs; m < toMs; m += MIN, i++) {
          if (i >= gapStart && i < gapStart + gapLen) continue
          if (rnd() > density) continue
          const burst = rnd() < 0.05 ? 10 : 1
          const rows = rnd() < 0.2 ? 2 : 1 // finer grains: several rows in one minute
          for (let r = 0; r < rows; r++) {
            const clicks = Math.floor(rnd() * 4)
            addRow(e, m, [1 + Math.floor(rnd() * 100), clicks, Math.floor(rnd() * 700_000 * burst), rnd() < 0.1 ? 1 : 0, Math.floor(rnd() * 1_000_000)])
          }
        }
        return e
      })
  return fc.tuple(oneEntity('c1', 'act_1', 'America/New_York'), oneEntity('c2', 'act_2', 'UTC'), oneEntity('c3', 'act_3', 'Asia/Kathmandu'))
}

/** The live pieces composed by hand: LiveWindowState, computeFacts and RuleEvaluator, minute by minute. */
function oracle(r: Rule, entities: readonly FakeEntity[], readStartMs: number, fromMs: number, toMs: number): BacktestInterval[] {
  const windows = new LiveWindowState()
  const evaluator = new RuleEvaluator('t')
  evaluator.setRules([{ rule: r, version: 1, author: 'test', savedAtMs: 0 }])
  const read = [...factsRead(r.conditions)].filter((f) => FACTS.get(f)!.type === 'number' && !f.startsWith('anomaly_')).sort()
  const spendAt = (e: FakeEntity, ms: number) => (e.rows.get(ms) ?? []).reduce((s, row) => s + row[2], 0)
  const hourSum = (e: FakeEntity, endMs: number): MetricSums => {
    const out: MetricSums = [0, 0, 0, 0, 0]
    for (let m = endMs - 59 * MIN; m <= endMs; m += MIN) for (const row of e.rows.get(m) ?? []) row.forEach((v, k) => (out[k] = out[k]! + v))
    return out
  }
  const lastData = new Map<string, number>()
  const needsBaselines = [...factsRead(r.conditions)].some((f) => f.includes('_vs_'))
  // localDayOf formats dates with Intl: keep each entity's day until the minute leaves it.
  const days = new Map<string, ReturnType<typeof localDayOf>>()
  const dayOf = (e: FakeEntity, ms: number) => {
    let d = days.get(e.labels.entity)
    if (d === undefined || ms < d.startMs || ms >= d.endMs) days.set(e.labels.entity, (d = localDayOf(ms, e.timeZone)))
    return d
  }
  const open = new Map<string, { startMs: number; peaks: Record<string, number>; lows: Record<string, number>; minutes: number; spend: number }>()
  const out: BacktestInterval[] = []
  const everyMin = Math.max(1, Math.ceil(({ '2m': 120_000, '90s': 90_000 }[r.every ?? ''] ?? 0) / MIN))
  for (let ms = readStartMs; ms < toMs; ms += MIN) {
    for (const e of entities) {
      const rows = e.rows.get(ms)
      if (rows === undefined) continue
      const sums = rows.reduce<MetricSums>((s, row) => s.map((v, k) => v + row[k]!) as MetricSums, [0, 0, 0, 0, 0])
      windows.applyMinute('t', 'campaign', e.labels.entity, ms, sums, ms)
      windows.applyDay('t', 'campaign', e.labels.entity, dayOf(e, ms).date, sums, ms)
      lastData.set(e.labels.entity, ms)
    }
    if (ms < fromMs) continue
    const inputs: EntityInput[] = []
    for (const e of entities) {
      const last = lastData.get(e.labels.entity)
      if (last === undefined || ms - last >= 120 * MIN) continue // evicted two hours after its last data
      const day = dayOf(e, ms)
      const w = windows.windows('t', 'campaign', e.labels.entity, ms + MIN - 1, day.date)
      const facts = computeFacts({
        windows: w, platform: e.labels.platform, account: e.labels.account, campaign: e.labels.campaign, entity: e.labels.entity,
        dailyBudgetMicros: e.budgetMicros, day, nowMs: ms + MIN,
        baselines: needsBaselines ? { '1h': { yesterday: hourSum(e, ms - 1_440 * MIN), last_week: hourSum(e, ms - 10_080 * MIN) } } : undefined,
      })
      inputs.push({ level: 'campaign', entity: e.labels.entity, labels: e.labels, facts, hasData: w['1h'].some((v) => v !== 0) })
    }
    const evaluated = (ms - fromMs) / MIN % everyMin === 0
    const { transitions } = evaluator.evaluate(inputs, ms)
    for (const t of transitions) {
      const id = t.input.entity
      if (t.transition.kind === 'firing') open.set(id, { startMs: t.transition.startsAtMs, peaks: {}, lows: {}, minutes: 0, spend: 0 })
      if (t.transition.kind === 'resolved') {
        const o = open.get(id)!
        open.delete(id)
        out.push(finishInterval(entities.find((e) => e.labels.entity === id)!, o, ms, read))
      }
    }
    for (const [id, o] of open) {
      const input = inputs.find((i) => i.entity === id)
      if (evaluated && input !== undefined) {
        for (const f of read) {
          const v = input.facts[f]
          if (typeof v !== 'number') continue
          o.peaks[f] = Math.max(o.peaks[f] ?? -Infinity, v)
          o.lows[f] = Math.min(o.lows[f] ?? Infinity, v)
        }
      }
      o.minutes++
      o.spend += spendAt(entities.find((e) => e.labels.entity === id)!, ms)
    }
  }
  for (const [id, o] of open) out.push(finishInterval(entities.find((e) => e.labels.entity === id)!, o, null, read))
  return out.sort((a, b) => a.startMs - b.startMs || a.entity.localeCompare(b.entity))
}

function finishInterval(e: FakeEntity, o: { startMs: number; peaks: Record<string, number>; lows: Record<string, number>; minutes: number; spend: number }, endMs: number | null, read: readonly string[]): BacktestInterval {
  return {
    entity: e.labels.entity, labels: e.labels, startMs: o.startMs, endMs, firingMinutes: o.minutes, spend: o.spend / 1_000_000,
    peaks: Object.fromEntries(read.map((f) => [f, o.peaks[f] ?? null])), lows: Object.fromEntries(read.map((f) => [f, o.lows[f] ?? null])),
  }
}

test('property: on random rules and traffic, the backtest returns what the live evaluator would have fired', () => {
  // Six hours evaluated across New York's spring-forward night and Kathmandu's +05:45 midnight.
  const fromMs = Date.parse('2026-03-08T03:00:00Z')
  const toMs = fromMs + 6 * 3_600_000
  const historyFrom = fromMs - 1_600 * MIN // enough for "today" and yesterday's hour
  let fired = 0
  fc.assert(
    fc.property(ruleArb, trafficArb(historyFrom, toMs), fc.constantFrom(1, 7, 60, 1_440), (r, entities, sliceMinutes) => {
      const got = runBacktest(r, entities, fromMs, toMs, sliceMinutes)
      const readStartMs = new Backtest({ tenant: 't', rule: r, fromMs, toMs }).readStartMs
      const want = oracle(r, entities, readStartMs, fromMs, toMs)
      fired += want.length
      assert.deepEqual(got.intervals, want)
    }),
    { numRuns: 40 },
  )
  assert.ok(fired > 20, `the random rules fired ${fired} times: the property tested firing, not only silence`)
})
