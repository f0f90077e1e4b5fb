import { INACTIVE, stepAlert, type AlertState, type AlertTiming, type Observation } from '../alerts/state-machine.ts'
import { BacktestInvalidError } from './backtest-errors.ts'
import { METRIC_INDEX, planFacts, type FactContext, type FactPlan } from './backtest-facts.ts'
import { compileRule, type CompiledCondition } from './compile-rule.ts'
import { parseDuration } from './duration.ts'
import type { Facts } from './fact-catalogue.ts'
import type { Rule } from './rule-model.ts'
import { inScope, type EntityLabels } from './scope.ts'
import { factsRead } from './templates.ts'
import { localDayOf } from './zoned-day.ts'

/**
 * Backtest core: replays one rule over per-minute history with the live semantics (the rule
 * compiled by compileRule, windows as stream/live-windows.ts defines them, the alert lifecycle
 * of alerts/state-machine.ts) and returns the intervals it would have fired. Pure: history
 * comes in slices of time, in order; no I/O, no clock. docs/rules.md "Backtest" is the contract.
 *
 * Each entity keeps a ring of its last minutes and running window sums, so one evaluated minute
 * costs a few additions whatever the windows' lengths, and memory does not grow with the range.
 */

/** The backtest's step: one evaluation per minute. */
export const MINUTE_MS = 60_000
/** Longest range a backtest replays. */
export const MAX_BACKTEST_DAYS = 31
/** Intervals returned at most (the earliest by start); totals always count all of them. */
export const DEFAULT_MAX_INTERVALS = 10_000

/** What to replay: a validated rule over the evaluated minutes [fromMs, toMs) of a tenant. */
export interface BacktestOptions {
  readonly tenant: string
  readonly rule: Rule
  /** First evaluated minute (minute-aligned). */
  readonly fromMs: number
  /** End of the range, exclusive (minute-aligned). */
  readonly toMs: number
  readonly maxIntervals?: number
}

/** A part of the read range, [fromMs, toMs), minute-aligned. */
export interface BacktestSlice {
  readonly fromMs: number
  readonly toMs: number
}

/**
 * One entity's rollup rows within one slice, in the reader's compact form: the minute of each
 * row (minutes since the backtest's readStartMs) and, per metric index of the plan, the row
 * values. Several rows of one minute add up (the rollups hold finer grains). Rows must have
 * some non-zero metric (the reader drops the others): a row is what "had data" means.
 */
export interface EntitySeries {
  readonly entity: string
  readonly labels: EntityLabels
  /** IANA time zone of the entity's account (what "today" means). */
  readonly timeZone: string
  /** Daily budget in micros, when the entity has one. */
  readonly dailyBudgetMicros: number | undefined
  readonly minutes: ArrayLike<number>
  /** Indexed by metric index (METRIC_INDEX); undefined for metrics the plan does not read. */
  readonly values: ReadonlyArray<ArrayLike<number> | undefined>
  /** Amounts added on top of `values`: [minute, metric index, amount] (the reader's 32-bit overflow). */
  readonly extra?: ReadonlyArray<readonly [number, number, number]>
}

/** One interval the rule would have been firing for one entity. */
export interface BacktestInterval {
  readonly entity: string
  readonly labels: EntityLabels
  /** Start of the minute in which it would have started firing. */
  readonly startMs: number
  /** Start of the minute in which it would have resolved; null if still firing at the end. */
  readonly endMs: number | null
  readonly firingMinutes: number
  /** Spend during [startMs, endMs) (or to the end of the range), in currency units. */
  readonly spend: number
  /** Highest value of each number fact the rule reads, over the firing minutes (null: always null). */
  readonly peaks: Readonly<Record<string, number | null>>
  /** Lowest value of the same facts (for rules that fire on low values). */
  readonly lows: Readonly<Record<string, number | null>>
}

/** Totals over every entity, whether or not its intervals were returned. */
export interface BacktestTotals {
  readonly entities: number
  readonly entitiesFired: number
  readonly intervals: number
  readonly openIntervals: number
  readonly firingMinutes: number
  /** Spend during all intervals, currency units. */
  readonly spendDuringIntervals: number
  /** Spend of all evaluated entities over the range, currency units. */
  readonly spend: number
  /** Entity-minutes at which the rule was evaluated. */
  readonly evaluations: number
}

/** What a backtest returns. */
export interface BacktestResult {
  readonly tenant: string
  readonly ruleId: string
  readonly level: Rule['level']
  readonly fromMs: number
  readonly toMs: number
  readonly stepMs: number
  /** Sorted by start, then entity; at most maxIntervals of them (see `truncated`). */
  readonly intervals: readonly BacktestInterval[]
  readonly truncated: boolean
  readonly totals: BacktestTotals
  /** Facts the rule reads that a backtest cannot know (detector scores): null at every minute. */
  readonly unavailableFacts: readonly string[]
}

/** Local days of one time zone over the read range, minute by minute. */
interface DayTable {
  readonly dayOf: Uint16Array
  readonly startMs: Float64Array
  readonly endMs: Float64Array
}

interface OpenInterval {
  readonly startMs: number
  spendMicros: number
  firingMinutes: number
  readonly peaks: Float64Array
  readonly lows: Float64Array
}

interface Track {
  readonly entity: string
  readonly labels: EntityLabels
  readonly firstMinute: number
  readonly ring: Float64Array
  readonly sums: Float64Array
  readonly ctx: FactContext
  readonly days: DayTable | undefined
  day: number
  /** The read facts at the last evaluation and what the condition said of them. */
  readonly lastFacts: Array<number | string | null>
  lastResult: boolean | undefined
  state: AlertState
  open: OpenInterval | undefined
  fired: boolean
}

/** The range a backtest of `days` days ending at `nowMs` evaluates: whole minutes, the current one excluded. */
export function backtestRange(days: number, nowMs: number): { fromMs: number; toMs: number } {
  if (!Number.isInteger(days) || days < 1 || days > MAX_BACKTEST_DAYS) {
    throw new BacktestInvalidError(`days must be a whole number from 1 to ${MAX_BACKTEST_DAYS}, got ${days}`)
  }
  const toMs = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS
  return { fromMs: toMs - days * 86_400_000, toMs }
}

/**
 * One backtest run. Call addSlice for each of slices() in order, then finish(). As the live
 * runner, an entity is evaluated every minute while it had data in the last two hours: from its
 * first data in the read range, paused (its alert state kept) after two hours without data.
 */
export class Backtest {
  readonly plan: FactPlan
  /** First minute read: the evaluated range less the warm-up its windows need. */
  readonly readStartMs: number
  private readonly test: CompiledCondition
  private readonly timing: AlertTiming
  private readonly everyMinutes: number
  private readonly evalFrom: number
  private readonly end: number
  private readonly maxIntervals: number
  private readonly ringSize: number
  private readonly metricIndexes: readonly number[]
  private readonly ringBase: Int32Array
  private readonly slotBase: Int32Array
  private readonly slotMinutes: Int32Array
  private readonly slotLag: Int32Array
  private readonly numericFacts: readonly number[]
  private readonly facts: Facts = {}
  private readonly tracks = new Map<string, Track>()
  private readonly excluded = new Set<string>()
  private readonly dayTables = new Map<string, DayTable>()
  private readonly intervals: BacktestInterval[] = []
  private scratch = new Float64Array(0)
  private nextMinute: number
  private readonly totals = { entitiesFired: 0, intervals: 0, openIntervals: 0, firingMinutes: 0, spendDuringMicros: 0, spendMicros: 0, evaluations: 0 }

  constructor(private readonly o: BacktestOptions) {
    const { fromMs, toMs } = o
    if (fromMs % MINUTE_MS !== 0 || toMs % MINUTE_MS !== 0 || !(toMs > fromMs) || toMs - fromMs > MAX_BACKTEST_DAYS * 86_400_000) {
      throw new BacktestInvalidError(`the range must be whole minutes, non-empty and at most ${MAX_BACKTEST_DAYS} days; got ${fromMs}–${toMs}`)
    }
    const rule = o.rule
    this.plan = planFacts(factsRead(rule.conditions, factsRead(rule.shared_conditions ?? {})))
    this.readStartMs = fromMs - this.plan.warmupMinutes * MINUTE_MS
    this.test = compileRule(rule)
    this.timing = {
      forMs: parseDuration(rule.for ?? '0s') ?? 0,
      keepFiringForMs: parseDuration(rule.keep_firing_for ?? '0s') ?? 0,
      noData: rule.no_data ?? 'ok',
    }
    this.everyMinutes = Math.max(1, Math.ceil((parseDuration(rule.every ?? '0s') ?? 0) / MINUTE_MS))
    this.evalFrom = this.plan.warmupMinutes
    this.end = (toMs - this.readStartMs) / MINUTE_MS
    this.nextMinute = 0
    this.maxIntervals = o.maxIntervals ?? DEFAULT_MAX_INTERVALS
    const reach = Math.max(...this.plan.slots.map((s) => s.minutes + s.lagMinutes))
    this.ringSize = 2 ** Math.ceil(Math.log2(reach + 1))
    // The ring holds the plan's metrics plus the row count; slots point into it.
    this.metricIndexes = [...this.plan.metrics, METRIC_INDEX.rows]
    this.ringBase = Int32Array.from(this.metricIndexes, (_, k) => k * this.ringSize)
    this.slotBase = Int32Array.from(this.plan.slots, (s) => this.metricIndexes.indexOf(s.metric) * this.ringSize)
    this.slotMinutes = Int32Array.from(this.plan.slots, (s) => s.minutes)
    this.slotLag = Int32Array.from(this.plan.slots, (s) => s.lagMinutes)
    this.numericFacts = this.plan.facts.flatMap((f, i) => (f.type === 'number' && !this.plan.unavailable.includes(f.name) ? [i] : []))
    for (const f of this.plan.facts) this.facts[f.name] = null
  }

  /** The read range cut at multiples of `sliceMinutes` since the epoch (UTC days by default). */
  slices(sliceMinutes = 1_440): BacktestSlice[] {
    const out: BacktestSlice[] = []
    const step = sliceMinutes * MINUTE_MS
    for (let from = this.readStartMs; from < this.o.toMs; ) {
      const to = Math.min(this.o.toMs, (Math.floor(from / step) + 1) * step)
      out.push({ fromMs: from, toMs: to })
      from = to
    }
    return out
  }

  /** Replays one slice; slices must come in order and cover the read range without gaps. */
  addSlice(slice: BacktestSlice, series: readonly EntitySeries[]): void {
    const from = (slice.fromMs - this.readStartMs) / MINUTE_MS
    const to = (slice.toMs - this.readStartMs) / MINUTE_MS
    if (from !== this.nextMinute || !(to > from) || to > this.end || !Number.isInteger(to)) {
      throw new Error(`backtest slices must follow each other: expected one starting at minute ${this.nextMinute}, got ${from}–${to}`)
    }
    this.nextMinute = to
    const len = to - from
    const K = this.metricIndexes.length
    if (this.scratch.length < K * len) this.scratch = new Float64Array(K * len)
    const bySeries = new Map<string, EntitySeries>()
    for (const s of series) {
      if (this.excluded.has(s.entity)) continue
      if (!this.tracks.has(s.entity)) {
        if (s.labels.level !== this.o.rule.level || !inScope(this.o.rule.scope, s.labels)) {
          this.excluded.add(s.entity)
          continue
        }
        let first = Infinity
        for (let j = 0; j < s.minutes.length; j++) first = Math.min(first, s.minutes[j]!)
        if (first === Infinity) continue // no rows: nothing to know the entity by yet
        this.tracks.set(s.entity, this.newTrack(s, first))
      }
      bySeries.set(s.entity, s)
    }
    for (const tr of this.tracks.values()) {
      const s = bySeries.get(tr.entity)
      if (s !== undefined) this.fillScratch(s, from, len)
      this.advance(tr, Math.max(from, tr.firstMinute), to, from, len)
      if (s !== undefined) this.scratch.fill(0, 0, K * len)
    }
  }

  /** Closes the intervals still open and returns the result. */
  finish(): BacktestResult {
    if (this.nextMinute !== this.end) throw new Error(`backtest finished before its last slice (at minute ${this.nextMinute} of ${this.end})`)
    for (const tr of this.tracks.values()) {
      if (tr.open !== undefined) {
        this.totals.openIntervals++
        this.close(tr, null)
      }
    }
    this.trimIntervals()
    const t = this.totals
    return {
      tenant: this.o.tenant,
      ruleId: this.o.rule.id,
      level: this.o.rule.level,
      fromMs: this.o.fromMs,
      toMs: this.o.toMs,
      stepMs: MINUTE_MS,
      intervals: this.intervals,
      truncated: t.intervals > this.intervals.length,
      totals: {
        entities: this.tracks.size,
        entitiesFired: t.entitiesFired,
        intervals: t.intervals,
        openIntervals: t.openIntervals,
        firingMinutes: t.firingMinutes,
        spendDuringIntervals: t.spendDuringMicros / 1_000_000,
        spend: t.spendMicros / 1_000_000,
        evaluations: t.evaluations,
      },
      unavailableFacts: this.plan.unavailable,
    }
  }

  private newTrack(s: EntitySeries, firstMinute: number): Track {
    const needsDays = this.plan.readsClock || this.plan.slots.some((x) => x.minutes === 0)
    const days = needsDays ? this.dayTable(s.timeZone) : undefined
    const sums = new Float64Array(this.plan.slots.length)
    const { labels } = s
    const ctx: FactContext = {
      sums, nowMs: 0, dayStartMs: 0, dayEndMs: 1, dailyBudgetMicros: s.dailyBudgetMicros,
      platform: labels.platform, account: labels.account, campaign: labels.campaign, entity: labels.entity,
    }
    return {
      entity: s.entity, labels, firstMinute, ring: new Float64Array(this.metricIndexes.length * this.ringSize), sums, ctx, days,
      day: -1, lastFacts: this.plan.facts.map(() => null), lastResult: undefined, state: INACTIVE, open: undefined, fired: false,
    }
  }

  private fillScratch(s: EntitySeries, from: number, len: number): void {
    const scratch = this.scratch
    const mi = this.metricIndexes
    const rowsBase = (mi.length - 1) * len
    const minutes = s.minutes
    const n = minutes.length
    for (let j = 0; j < n; j++) {
      const m = minutes[j]! - from
      if (!(m >= 0 && m < len)) throw new Error(`row of ${s.entity} at minute ${minutes[j]} lies outside its slice (${from}–${from + len})`)
      scratch[rowsBase + m]! += 1
    }
    for (let k = 0; k < mi.length - 1; k++) {
      const values = s.values[mi[k]!]
      if (values === undefined) throw new Error(`series of ${s.entity} lacks metric ${mi[k]} that the plan reads`)
      const base = k * len
      for (let j = 0; j < n; j++) scratch[base + minutes[j]! - from]! += values[j]!
    }
    for (const [minute, metric, amount] of s.extra ?? []) {
      const k = mi.indexOf(metric)
      if (k >= 0 && k < mi.length - 1) scratch[k * len + minute - from]! += amount
    }
  }

  /** Steps one entity through minutes [from, to) of a slice starting at `sliceFrom`. */
  private advance(tr: Track, from: number, to: number, sliceFrom: number, len: number): void {
    const R = this.ringSize
    const mask = R - 1
    const { ring, sums, ctx, days } = tr
    const scratch = this.scratch
    const ringBase = this.ringBase
    const K = ringBase.length
    const slotBase = this.slotBase
    const slotMinutes = this.slotMinutes
    const slotLag = this.slotLag
    const S = slotBase.length
    const evalFrom = this.evalFrom
    const every = this.everyMinutes
    const rowsSlot = this.plan.rowsHourSlot
    const knownSlot = this.plan.rowsKnownSlot
    const spendSlot = this.plan.spendMinuteSlot
    const readStart = this.readStartMs
    let spendMicros = 0
    for (let t = from; t < to; t++) {
      const local = t - sliceFrom
      const pos = t & mask
      for (let k = 0; k < K; k++) ring[ringBase[k]! + pos] = scratch[k * len + local]!
      let newDay = false
      if (days !== undefined) {
        const d = days.dayOf[t]!
        if (d !== tr.day) {
          tr.day = d
          newDay = true
          ctx.dayStartMs = days.startMs[d]!
          ctx.dayEndMs = days.endMs[d]!
        }
      }
      for (let s = 0; s < S; s++) {
        const base = slotBase[s]!
        const n = slotMinutes[s]!
        if (n === 0) {
          sums[s] = (newDay ? 0 : sums[s]!) + ring[base + pos]!
        } else {
          const back = t - slotLag[s]!
          sums[s] = sums[s]! + ring[base + (back & mask)]! - ring[base + ((back - n) & mask)]!
        }
      }
      if (t < evalFrom) continue
      spendMicros += sums[spendSlot]!
      if ((t - evalFrom) % every === 0 && sums[knownSlot]! > 0) this.evaluate(tr, readStart + t * MINUTE_MS, sums[rowsSlot]! > 0)
      const open = tr.open
      if (open !== undefined) {
        open.spendMicros += sums[spendSlot]!
        open.firingMinutes++
      }
    }
    this.totals.spendMicros += spendMicros
  }

  /** Evaluates the rule for one entity at one minute and steps its alert state. */
  private evaluate(tr: Track, minuteMs: number, hasData: boolean): void {
    this.totals.evaluations++
    let computed = false
    let observation: Observation = 'no-data'
    if (hasData) {
      computed = true
      // The condition is a pure function of the facts it reads: same facts, same answer.
      if (!this.computeFacts(tr, minuteMs) || tr.lastResult === undefined) tr.lastResult = this.test(this.facts)
      observation = tr.lastResult ? 'true' : 'false'
    }
    const before = tr.state
    // As RuleEvaluator: an inactive identity is not stored, so nothing happens to it unless the
    // condition holds or the rule alerts on missing data.
    if (before !== INACTIVE || observation === 'true' || this.timing.noData === 'alert') {
      const { state, transition } = stepAlert(before, observation, this.timing, minuteMs)
      tr.state = state.phase === 'inactive' ? INACTIVE : state
      if (transition?.kind === 'firing') {
        const n = this.numericFacts.length
        tr.open = { startMs: transition.startsAtMs, spendMicros: 0, firingMinutes: 0, peaks: new Float64Array(n).fill(-Infinity), lows: new Float64Array(n).fill(Infinity) }
      } else if (transition?.kind === 'resolved') {
        this.close(tr, transition.endsAtMs)
      }
    }
    const open = tr.open
    if (open !== undefined) {
      if (!computed && !this.computeFacts(tr, minuteMs)) tr.lastResult = undefined // facts moved on without a test
      const numeric = this.numericFacts
      for (let i = 0; i < numeric.length; i++) {
        const v = this.facts[this.plan.facts[numeric[i]!]!.name]
        if (typeof v === 'number') {
          if (v > open.peaks[i]!) open.peaks[i] = v
          if (v < open.lows[i]!) open.lows[i] = v
        }
      }
    }
  }

  /** Computes the read facts into `this.facts`; true when they equal the entity's previous ones. */
  private computeFacts(tr: Track, minuteMs: number): boolean {
    const ctx = tr.ctx
    ctx.nowMs = minuteMs + MINUTE_MS
    const facts = this.facts
    const planned = this.plan.facts
    const last = tr.lastFacts
    let same = true
    for (let i = 0; i < planned.length; i++) {
      const f = planned[i]!
      const v = f.compute(ctx)
      facts[f.name] = v
      if (v !== last[i]) {
        last[i] = v
        same = false
      }
    }
    return same
  }

  private close(tr: Track, endMs: number | null): void {
    const open = tr.open!
    tr.open = undefined
    this.totals.intervals++
    this.totals.firingMinutes += open.firingMinutes
    this.totals.spendDuringMicros += open.spendMicros
    if (!tr.fired) {
      tr.fired = true
      this.totals.entitiesFired++
    }
    const peaks: Record<string, number | null> = {}
    const lows: Record<string, number | null> = {}
    this.numericFacts.forEach((fi, i) => {
      const name = this.plan.facts[fi]!.name
      peaks[name] = Number.isFinite(open.peaks[i]) ? open.peaks[i]! : null
      lows[name] = Number.isFinite(open.lows[i]) ? open.lows[i]! : null
    })
    this.intervals.push({ entity: tr.entity, labels: tr.labels, startMs: open.startMs, endMs, firingMinutes: open.firingMinutes, spend: open.spendMicros / 1_000_000, peaks, lows })
    if (this.intervals.length >= 2 * this.maxIntervals) this.trimIntervals()
  }

  /** Keeps the earliest maxIntervals intervals, sorted by start then entity. */
  private trimIntervals(): void {
    this.intervals.sort((a, b) => a.startMs - b.startMs || (a.entity < b.entity ? -1 : a.entity > b.entity ? 1 : 0))
    if (this.intervals.length > this.maxIntervals) this.intervals.length = this.maxIntervals
  }

  private dayTable(timeZone: string): DayTable {
    let table = this.dayTables.get(timeZone)
    if (table === undefined) {
      const dayOf = new Uint16Array(this.end)
      const starts: number[] = []
      const ends: number[] = []
      let d = localDayOf(this.readStartMs, timeZone)
      starts.push(d.startMs)
      ends.push(d.endMs)
      for (let i = 0; i < this.end; i++) {
        const ms = this.readStartMs + i * MINUTE_MS
        while (ms >= d.endMs) {
          d = localDayOf(d.endMs, timeZone)
          starts.push(d.startMs)
          ends.push(d.endMs)
        }
        dayOf[i] = starts.length - 1
      }
      table = { dayOf, startMs: Float64Array.from(starts), endMs: Float64Array.from(ends) }
      this.dayTables.set(timeZone, table)
    }
    return table
  }
}
