import { WINDOW_MINUTES, type WindowName } from '../stream/live-windows.ts'

/** The type a fact's value has (null is always possible: no data, or a zero denominator). */
export type FactType = 'number' | 'string'

/** One fact rules can name, with its type and what it means. */
export interface FactSpec {
  readonly name: string
  readonly type: FactType
  readonly description: string
}

/** Counted metrics; money in currency units (micros ÷ 1,000,000). */
export const COUNT_METRICS = ['impressions', 'clicks', 'spend', 'conversions', 'revenue'] as const
/** Ratios; null when the denominator is zero. */
export const RATIO_METRICS = ['ctr', 'cpc', 'cpm', 'cpa', 'roas'] as const
export const WINDOWS: readonly WindowName[] = [...(Object.keys(WINDOW_MINUTES) as WindowName[]), 'today']
/** Windows compared against the same window yesterday and a week ago. */
export const CHANGE_WINDOWS = ['1h'] as const
export const CHANGE_BASELINES = ['yesterday', 'last_week'] as const
/** Detector names whose latest score (0–1) is a fact `anomaly_<name>`. */
export const DETECTOR_FACTS = ['iforest', 'seasonal_z', 'ewma', 'flatline'] as const

const RATIO_TEXT: Record<(typeof RATIO_METRICS)[number], string> = {
  ctr: 'clicks ÷ impressions',
  cpc: 'spend ÷ clicks',
  cpm: 'spend ÷ impressions × 1000',
  cpa: 'spend ÷ conversions',
  roas: 'revenue ÷ spend',
}

function buildCatalogue(): FactSpec[] {
  const out: FactSpec[] = []
  for (const w of WINDOWS) {
    for (const m of COUNT_METRICS) out.push({ name: `${m}_${w}`, type: 'number', description: `${m} over ${w === 'today' ? "today (the account's local day)" : `the last ${w}`}` })
    for (const r of RATIO_METRICS) out.push({ name: `${r}_${w}`, type: 'number', description: `${RATIO_TEXT[r]} over ${w}; null when the denominator is 0` })
  }
  for (const w of CHANGE_WINDOWS) {
    for (const m of COUNT_METRICS) {
      for (const b of CHANGE_BASELINES) {
        out.push({ name: `${m}_${w}_vs_${b}`, type: 'number', description: `relative change of ${m}_${w} against the same window ${b === 'yesterday' ? 'yesterday' : 'a week ago'} ((now − then) ÷ then); null when then is 0 or unknown` })
      }
    }
  }
  out.push(
    { name: 'daily_budget', type: 'number', description: 'daily budget (currency units); null when none is set' },
    { name: 'pacing', type: 'number', description: "spend today ÷ (daily budget × share of the account's local day elapsed); 1 = on pace; null without budget" },
    { name: 'budget_remaining', type: 'number', description: 'daily budget − spend today; null without budget' },
    { name: 'budget_exhaust_in_min', type: 'number', description: 'minutes until the budget runs out at the last 15 minutes\' spend rate; null without budget or spend' },
    { name: 'projected_spend_today', type: 'number', description: "spend today plus the last 15 minutes' rate until the local day ends" },
    { name: 'day_elapsed', type: 'number', description: "share of the account's local day elapsed (0–1)" },
    { name: 'platform', type: 'string', description: 'ad platform of the entity' },
    { name: 'account', type: 'string', description: 'account id of the entity' },
    { name: 'campaign', type: 'string', description: 'campaign id (empty at account level)' },
    { name: 'entity', type: 'string', description: 'the id of the entity the rule runs on' },
  )
  for (const d of DETECTOR_FACTS) out.push({ name: `anomaly_${d}`, type: 'number', description: `latest ${d} detector score (0–1); null before the detector has scored the entity` })
  return out
}

/** Every fact, by name. */
export const FACTS: ReadonlyMap<string, FactSpec> = new Map(buildCatalogue().map((f) => [f.name, f]))

/** The value of every fact for one entity at one instant. */
export type Facts = Record<string, number | string | null>
