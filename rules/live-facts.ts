import type { MetricSums } from '../stream/fold.ts'
import { WINDOW_SLOTS, type WindowName } from '../stream/live-windows.ts'
import { METRIC_INDEX, planFacts, type FactContext, type PlannedFact } from './backtest-facts.ts'
import type { FactValue } from './compile-rule.ts'
import { DETECTOR_FACTS } from './fact-catalogue.ts'

/**
 * The live runner's fact arithmetic: only the facts a tenant's rules read, computed with the
 * backtest's per-fact plan (backtest-facts.ts, held equal to computeFacts fact by fact) into
 * a flat array, from a context the runner refills for each entity. No allocation per entity.
 */

/** What the facts of one entity are computed from; the runner mutates one per tick. */
export interface LiveFactContext extends FactContext {
  /** The plan's running sums (each plan points this at its own buffer). */
  sums: Float64Array
  /** Window sums as LiveWindowState.windowsInto writes them (WINDOW_SLOTS order × 5 metrics). */
  readonly windows: Float64Array
  nowMs: number
  dayStartMs: number
  dayEndMs: number
  dailyBudgetMicros: number | undefined
  platform: string
  account: string
  campaign: string
  entity: string
  /** The 1h window a day and a week ago (undefined: unknown, the change facts are null). */
  yesterday: MetricSums | undefined
  lastWeek: MetricSums | undefined
  /** Whether the entity had any data in the last hour (the rows-over-1h slot). */
  hasData: boolean
  /** Latest detector scores by detector name. */
  scores: Readonly<Record<string, number>> | undefined
}

/** A fresh context with room for the windows. */
export function liveFactContext(): LiveFactContext {
  return {
    sums: new Float64Array(0), windows: new Float64Array(WINDOW_SLOTS.length * 5), nowMs: 0, dayStartMs: 0, dayEndMs: 1,
    dailyBudgetMicros: undefined, platform: '', account: '', campaign: '', entity: '', yesterday: undefined, lastWeek: undefined, hasData: false, scores: undefined,
  }
}

/** Where a plan slot's value comes from in the live context. */
type Source = (c: LiveFactContext) => number

const MINUTES_WINDOW: Record<number, WindowName> = { 0: 'today', 1: '1m', 5: '5m', 15: '15m', 60: '1h' }
const BASELINE_LAG = { 1_440: 'yesterday', 10_080: 'lastWeek' } as const

/** The facts some rules read, in slot order, and how to compute them for one entity. */
export class LiveFactPlan {
  /** Fact names in slot order: fact `names[i]` is computed into slot `base + i`. */
  readonly names: readonly string[]
  /** Per slot: a number fact (kept in the number buffer, NaN for null) or not. */
  readonly numeric: readonly boolean[]
  /** True when a fact reads detector scores or baselines (so the runner must fetch them). */
  readonly readsScores: boolean
  readonly readsBaselines: boolean
  private readonly computes: ReadonlyArray<PlannedFact['compute']>
  private readonly sources: readonly Source[]
  private readonly sums: Float64Array

  constructor(facts: Iterable<string>) {
    const plan = planFacts(facts)
    this.names = plan.facts.map((f) => f.name)
    this.numeric = plan.facts.map((f) => f.type === 'number')
    const detectors = new Set<string>(DETECTOR_FACTS)
    this.computes = plan.facts.map((f) => {
      const detector = f.name.startsWith('anomaly_') ? f.name.slice('anomaly_'.length) : undefined
      if (detector === undefined || !detectors.has(detector)) return f.compute
      return (x: FactContext) => (x as LiveFactContext).scores?.[detector] ?? null // as computeFacts
    })
    this.readsScores = this.names.some((n) => n.startsWith('anomaly_'))
    this.readsBaselines = plan.slots.some((s) => s.lagMinutes > 0)
    this.sums = new Float64Array(plan.slots.length)
    this.sources = plan.slots.map((s): Source => {
      const m = s.metric
      if (m === METRIC_INDEX.rows) return s.minutes === 60 ? (c) => (c.hasData ? 1 : 0) : () => 1 // the runner holds entities known for 2 h
      if (s.lagMinutes > 0) {
        const which = BASELINE_LAG[s.lagMinutes as keyof typeof BASELINE_LAG]
        // A missing baseline sums to 0, and a change against 0 is null: as computeFacts without a baseline.
        return (c) => c[which]?.[m] ?? 0
      }
      const at = WINDOW_SLOTS.indexOf(MINUTES_WINDOW[s.minutes]!) * 5 + m
      return (c) => c.windows[at]!
    })
  }

  /**
   * Computes the planned facts of the entity in `c`: number facts into `nums[base + i]` (NaN
   * for null; no number fact is ever NaN), the others into `values[base + i]`.
   */
  compute(c: LiveFactContext, nums: Float64Array, values: FactValue[], base: number): void {
    const sums = this.sums
    for (let i = 0; i < this.sources.length; i++) sums[i] = this.sources[i]!(c)
    c.sums = sums
    const computes = this.computes
    const numeric = this.numeric
    for (let i = 0; i < computes.length; i++) {
      const v = computes[i]!(c)
      if (numeric[i]) nums[base + i] = v === null ? NaN : (v as number)
      else values[base + i] = v
    }
  }
}
