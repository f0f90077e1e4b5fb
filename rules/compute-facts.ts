import type { MetricSums } from '../stream/fold.ts'
import type { EntityWindows } from '../stream/live-windows.ts'
import { CHANGE_BASELINES, CHANGE_WINDOWS, COUNT_METRICS, DETECTOR_FACTS, WINDOWS, type Facts } from './fact-catalogue.ts'
import type { LocalDay } from './zoned-day.ts'

/** Everything the facts of one entity are computed from. */
export interface FactInput {
  readonly windows: EntityWindows
  readonly platform: string
  readonly account: string
  readonly campaign: string
  readonly entity: string
  /** Daily budget in micros; undefined when none is set (or the level has none). */
  readonly dailyBudgetMicros: number | undefined
  /** The account's local day containing `nowMs`. */
  readonly day: LocalDay
  readonly nowMs: number
  /** Sums of the same windows yesterday and a week ago, when known (from ClickHouse). */
  readonly baselines?: Partial<Record<(typeof CHANGE_WINDOWS)[number], Partial<Record<(typeof CHANGE_BASELINES)[number], MetricSums>>>>
  /** Latest detector scores by detector name. */
  readonly scores?: Readonly<Record<string, number>>
}

const MICROS = 1_000_000

/** a ÷ b, or null when b is 0 (never Infinity or NaN). */
export function ratio(a: number, b: number): number | null {
  return b === 0 ? null : a / b
}

/** Money and counts of a window as the facts name them (money in currency units). */
function countsOf(s: MetricSums): Record<(typeof COUNT_METRICS)[number], number> {
  return { impressions: s[0], clicks: s[1], spend: s[2] / MICROS, conversions: s[3], revenue: s[4] / MICROS }
}

/** Computes every fact of the catalogue for one entity. Pure. */
export function computeFacts(input: FactInput): Facts {
  const f: Facts = {}
  for (const w of WINDOWS) {
    const c = countsOf(input.windows[w])
    for (const m of COUNT_METRICS) f[`${m}_${w}`] = c[m]
    f[`ctr_${w}`] = ratio(c.clicks, c.impressions)
    f[`cpc_${w}`] = ratio(c.spend, c.clicks)
    const cpm = ratio(c.spend, c.impressions)
    f[`cpm_${w}`] = cpm === null ? null : cpm * 1000
    f[`cpa_${w}`] = ratio(c.spend, c.conversions)
    f[`roas_${w}`] = ratio(c.revenue, c.spend)
  }
  for (const w of CHANGE_WINDOWS) {
    const now = countsOf(input.windows[w])
    for (const b of CHANGE_BASELINES) {
      const base = input.baselines?.[w]?.[b]
      const then = base === undefined ? undefined : countsOf(base)
      for (const m of COUNT_METRICS) {
        const r = then === undefined ? null : ratio(now[m] - then[m], then[m])
        f[`${m}_${w}_vs_${b}`] = r
      }
    }
  }
  const { day, nowMs } = input
  const elapsed = Math.min(1, Math.max(0, (nowMs - day.startMs) / (day.endMs - day.startMs)))
  const spendToday = input.windows.today[2] / MICROS
  const rate15 = input.windows['15m'][2] / MICROS / 15 // per minute
  const minutesLeftInDay = Math.max(0, (day.endMs - nowMs) / 60_000)
  f.day_elapsed = elapsed
  f.projected_spend_today = spendToday + rate15 * minutesLeftInDay
  if (input.dailyBudgetMicros === undefined) {
    f.daily_budget = null
    f.pacing = null
    f.budget_remaining = null
    f.budget_exhaust_in_min = null
  } else {
    const budget = input.dailyBudgetMicros / MICROS
    const remaining = budget - spendToday
    f.daily_budget = budget
    f.pacing = ratio(spendToday, budget * elapsed)
    f.budget_remaining = remaining
    f.budget_exhaust_in_min = remaining <= 0 ? 0 : ratio(remaining, rate15)
  }
  f.platform = input.platform
  f.account = input.account
  f.campaign = input.campaign
  f.entity = input.entity
  for (const d of DETECTOR_FACTS) f[`anomaly_${d}`] = input.scores?.[d] ?? null
  return f
}
