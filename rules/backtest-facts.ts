import { ratio } from './compute-facts.ts'
import { COUNT_METRICS, FACTS, RATIO_METRICS, type FactType } from './fact-catalogue.ts'

/**
 * The backtest's fact arithmetic: for the facts one rule reads, which running sums an entity
 * needs and how each fact follows from them, with exactly the operations of computeFacts
 * (compute-facts.ts), so a backtest and the live evaluator see the same numbers bit for bit
 * (backtest-facts.test.ts holds every fact of the catalogue equal to computeFacts). Pure.
 */

/**
 * Metric indexes in MetricSums order, plus `rows`: rollup rows with some non-zero metric, so a
 * window's row count is non-zero exactly when one of its live sums is (the live `hasData`).
 */
export const METRIC_INDEX = { impressions: 0, clicks: 1, spend: 2, conversions: 3, revenue: 4, rows: 5 } as const
/** A metric a backtest can keep running sums of. */
export type MetricName = keyof typeof METRIC_INDEX
/** The rollup column of each metric the reader can fetch (rows has none: it counts rows). */
export const METRIC_COLUMNS = ['impressions', 'clicks', 'spend_micros', 'conversions', 'revenue_micros'] as const

/**
 * The live runner forgets an entity two hours after its last data (IDLE_EVICT_MS in
 * evaluation-runner.ts) and evaluates it again when data returns; a backtest does the same.
 */
export const KNOWN_FOR_MINUTES = 120
/** Minutes of each live window (the current minute included), as stream/live-windows.ts defines them. */
const WINDOW_LENGTH: Record<string, number> = { '1m': 1, '5m': 5, '15m': 15, '1h': 60, '2h': KNOWN_FOR_MINUTES }
/** How far back each change baseline looks, in minutes. */
const BASELINE_LAG: Record<string, number> = { yesterday: 1_440, last_week: 10_080 }
/** The longest local day (a 25-hour DST day), for how far back "today" may begin. */
export const LONGEST_DAY_MINUTES = 25 * 60

/**
 * A running sum kept per entity: one metric over the `minutes` buckets ending `lagMinutes`
 * before the evaluated minute (that minute included), or, with `minutes` 0, over the account's
 * local day up to the evaluated minute.
 */
export interface SumSlot {
  readonly metric: number
  readonly minutes: number
  readonly lagMinutes: number
}

/** What a fact is computed from at one evaluated minute. Mutated in place by the backtest. */
export interface FactContext {
  /** Values of the plan's slots, by slot index. */
  readonly sums: Float64Array
  /** The instant the facts describe: the end of the evaluated minute (its bucket complete). */
  nowMs: number
  /** The account-local day containing the evaluated minute. */
  dayStartMs: number
  dayEndMs: number
  readonly dailyBudgetMicros: number | undefined
  readonly platform: string
  readonly account: string
  readonly campaign: string
  readonly entity: string
}

/** One fact of the plan and how to compute it. */
export interface PlannedFact {
  readonly name: string
  readonly type: FactType
  readonly compute: (c: FactContext) => number | string | null
}

/** Everything a backtest must keep and read to compute the facts of one rule. */
export interface FactPlan {
  readonly slots: readonly SumSlot[]
  /** Metric indexes to read from the rollups (spend always, for the spend during intervals). */
  readonly metrics: readonly number[]
  readonly facts: readonly PlannedFact[]
  /** Index of the slot counting rows over the last hour (the live "had data in the last hour"). */
  readonly rowsHourSlot: number
  /** Index of the slot counting rows over the last two hours (the live runner still knows the entity). */
  readonly rowsKnownSlot: number
  /** Index of the slot holding the evaluated minute's own spend (for the spend during intervals). */
  readonly spendMinuteSlot: number
  /** Minutes of history needed before the first evaluated minute. */
  readonly warmupMinutes: number
  /** True when some fact depends on the time of day (day_elapsed, pacing, projections). */
  readonly readsClock: boolean
  /** Facts the backtest cannot know (detector scores): always null. */
  readonly unavailable: readonly string[]
}

const MICROS = 1_000_000
const COUNT_RE = new RegExp(`^(${COUNT_METRICS.join('|')})_(1m|5m|15m|1h|today)$`)
const RATIO_RE = new RegExp(`^(${RATIO_METRICS.join('|')})_(1m|5m|15m|1h|today)$`)
const CHANGE_RE = new RegExp(`^(${COUNT_METRICS.join('|')})_(1h)_vs_(yesterday|last_week)$`)

/** Builds the plan for a set of fact names (the facts a validated rule reads). */
export function planFacts(names: Iterable<string>): FactPlan {
  const slots: SumSlot[] = []
  const slotOf = (metric: MetricName, window: string, lagMinutes = 0): number => {
    const m = METRIC_INDEX[metric]
    const minutes = window === 'today' ? 0 : WINDOW_LENGTH[window]!
    const i = slots.findIndex((s) => s.metric === m && s.minutes === minutes && s.lagMinutes === lagMinutes)
    if (i >= 0) return i
    slots.push({ metric: m, minutes, lagMinutes })
    return slots.length - 1
  }
  const rowsHourSlot = slotOf('rows', '1h')
  const rowsKnownSlot = slotOf('rows', '2h')
  const spendMinuteSlot = slotOf('spend', '1m')
  const facts: PlannedFact[] = []
  const unavailable: string[] = []
  let readsClock = false
  for (const name of [...new Set(names)].sort()) {
    const spec = FACTS.get(name)
    if (spec === undefined) throw new Error(`unknown fact ${name}: validate the rule before planning its backtest`)
    const made = planOne(name, slotOf)
    if (made.clock) readsClock = true
    if (made.unavailable) unavailable.push(name)
    facts.push({ name, type: spec.type, compute: made.compute })
  }
  const metrics = [...new Set([METRIC_INDEX.spend, ...slots.map((s) => s.metric).filter((m) => m !== METRIC_INDEX.rows)])].sort()
  const needsToday = slots.some((s) => s.minutes === 0)
  const warmupMinutes = Math.max(needsToday ? LONGEST_DAY_MINUTES : 0, ...slots.map((s) => s.minutes + s.lagMinutes - 1))
  return { slots, metrics, facts, rowsHourSlot, rowsKnownSlot, spendMinuteSlot, warmupMinutes, readsClock, unavailable }
}

type SlotOf = (metric: MetricName, window: string, lagMinutes?: number) => number
type Planned = { compute: PlannedFact['compute']; clock?: boolean; unavailable?: boolean }

/** Money metrics are facts in currency units, counts as they are (countsOf in compute-facts.ts). */
function unitOf(metric: string): number {
  return metric === 'spend' || metric === 'revenue' ? MICROS : 1
}

function planOne(name: string, slotOf: SlotOf): Planned {
  const count = COUNT_RE.exec(name)
  if (count !== null) {
    const [, metric, window] = count as unknown as [string, MetricName, string]
    const s = slotOf(metric, window)
    return unitOf(metric) === MICROS ? { compute: (c) => c.sums[s]! / MICROS } : { compute: (c) => c.sums[s]! }
  }
  const r = RATIO_RE.exec(name)
  if (r !== null) {
    const [, kind, window] = r as unknown as [string, string, string]
    const imp = () => slotOf('impressions', window)
    const clk = () => slotOf('clicks', window)
    const spd = () => slotOf('spend', window)
    if (kind === 'ctr') {
      const [c, i] = [clk(), imp()]
      return { compute: (x) => ratio(x.sums[c]!, x.sums[i]!) }
    }
    if (kind === 'cpc') {
      const [s, c] = [spd(), clk()]
      return { compute: (x) => ratio(x.sums[s]! / MICROS, x.sums[c]!) }
    }
    if (kind === 'cpm') {
      const [s, i] = [spd(), imp()]
      return {
        compute: (x) => {
          const cpm = ratio(x.sums[s]! / MICROS, x.sums[i]!)
          return cpm === null ? null : cpm * 1000
        },
      }
    }
    if (kind === 'cpa') {
      const [s, v] = [spd(), slotOf('conversions', window)]
      return { compute: (x) => ratio(x.sums[s]! / MICROS, x.sums[v]!) }
    }
    const [rev, s] = [slotOf('revenue', window), spd()]
    return { compute: (x) => ratio(x.sums[rev]! / MICROS, x.sums[s]! / MICROS) }
  }
  const change = CHANGE_RE.exec(name)
  if (change !== null) {
    const [, metric, window, baseline] = change as unknown as [string, MetricName, string, string]
    const now = slotOf(metric, window)
    const then = slotOf(metric, window, BASELINE_LAG[baseline]!)
    const unit = unitOf(metric)
    return unit === MICROS
      ? { compute: (x) => ratio(x.sums[now]! / MICROS - x.sums[then]! / MICROS, x.sums[then]! / MICROS) }
      : { compute: (x) => ratio(x.sums[now]! - x.sums[then]!, x.sums[then]!) }
  }
  switch (name) {
    case 'day_elapsed':
      return { compute: elapsedOf, clock: true }
    case 'daily_budget':
      return { compute: (x) => (x.dailyBudgetMicros === undefined ? null : x.dailyBudgetMicros / MICROS) }
    case 'budget_remaining': {
      const today = slotOf('spend', 'today')
      return { compute: (x) => (x.dailyBudgetMicros === undefined ? null : x.dailyBudgetMicros / MICROS - x.sums[today]! / MICROS) }
    }
    case 'pacing': {
      const today = slotOf('spend', 'today')
      return {
        compute: (x) => (x.dailyBudgetMicros === undefined ? null : ratio(x.sums[today]! / MICROS, (x.dailyBudgetMicros / MICROS) * elapsedOf(x))),
        clock: true,
      }
    }
    case 'budget_exhaust_in_min': {
      const today = slotOf('spend', 'today')
      const q = slotOf('spend', '15m')
      return {
        compute: (x) => {
          if (x.dailyBudgetMicros === undefined) return null
          const remaining = x.dailyBudgetMicros / MICROS - x.sums[today]! / MICROS
          return remaining <= 0 ? 0 : ratio(remaining, x.sums[q]! / MICROS / 15)
        },
      }
    }
    case 'projected_spend_today': {
      const today = slotOf('spend', 'today')
      const q = slotOf('spend', '15m')
      return {
        compute: (x) => x.sums[today]! / MICROS + (x.sums[q]! / MICROS / 15) * Math.max(0, (x.dayEndMs - x.nowMs) / 60_000),
        clock: true,
      }
    }
    case 'platform':
      return { compute: (x) => x.platform }
    case 'account':
      return { compute: (x) => x.account }
    case 'campaign':
      return { compute: (x) => x.campaign }
    case 'entity':
      return { compute: (x) => x.entity }
  }
  if (name.startsWith('anomaly_')) return { compute: () => null, unavailable: true }
  throw new Error(`fact ${name} has no backtest arithmetic: add it to rules/backtest-facts.ts`)
}

/** Share of the local day elapsed at `nowMs` (computeFacts' `elapsed`). */
function elapsedOf(x: FactContext): number {
  return Math.min(1, Math.max(0, (x.nowMs - x.dayStartMs) / (x.dayEndMs - x.dayStartMs)))
}
