import type { CampaignSettings } from '../stream/entity-settings.ts'
import { BacktestInvalidError } from './backtest-errors.ts'
import type { RollupSlice, RollupSource } from './backtest-reader.ts'
import { Backtest, backtestRange, type BacktestResult, type EntitySeries } from './backtest.ts'
import { RuleInvalidError } from './errors.ts'
import type { Rule, StoredRule } from './rule-model.ts'
import { validateRule } from './validate-rule.ts'

/**
 * Runs backtests: resolves the rule (a draft, validated here, or a saved version), reads the
 * rollups slice by slice and feeds them to the core (backtest.ts). The next slices are already
 * being read while the core replays the current one, so ClickHouse and the replay overlap on
 * the two cores.
 */

/** Saved rules (RedisRuleStore implements it). */
export interface BacktestRuleSource {
  get(tenant: string, id: string): Promise<StoredRule>
  versions(tenant: string, id: string): Promise<StoredRule[]>
}

/** Account time zones (TenantDirectory implements it). */
export interface TimeZoneSource {
  refresh(minIntervalMs?: number): Promise<unknown>
  timeZoneOf(tenant: string, account: string): string
}

/** Campaign budgets (EntitySettingsStore implements it). */
export interface BudgetSource {
  campaigns(tenant: string, campaigns: readonly string[]): Promise<Map<string, CampaignSettings>>
}

/** The adapters and knobs of a BacktestService. */
export interface BacktestServiceDeps {
  readonly rollups: RollupSource
  readonly timeZones: TimeZoneSource
  readonly budgets: BudgetSource
  readonly rules?: BacktestRuleSource
  /** The clock: "the last N days" end at the current minute. */
  readonly now: () => number
  /** Minutes per slice read (default a UTC day, one partition of the rollups). */
  readonly sliceMinutes?: number
  /** Slices read ahead of the replay (default 1). */
  readonly readAhead?: number
}

/** What to backtest: a draft rule or a saved one, over the last `days` days or an explicit range. */
export type BacktestRequest = {
  readonly tenant: string
  readonly days?: number
  readonly fromMs?: number
  readonly toMs?: number
  readonly maxIntervals?: number
} & ({ readonly rule: unknown } | { readonly ruleId: string; readonly version?: number })

/** A backtest's result and what it cost. */
export interface BacktestReport extends BacktestResult {
  readonly ruleVersion: number | undefined
  readonly stats: {
    readonly slices: number
    readonly rowsRead: number
    readonly bytesRead: number
    /** Time spent waiting for ClickHouse (not overlapped with the replay). */
    readonly waitMs: number
    /** Time spent replaying. */
    readonly replayMs: number
    readonly totalMs: number
  }
}

const BUDGET_FACTS = new Set(['daily_budget', 'pacing', 'budget_remaining', 'budget_exhaust_in_min'])

/** Backtests rules against the rollups (see docs/rules.md "Backtest"). */
export class BacktestService {
  constructor(private readonly deps: BacktestServiceDeps) {}

  async run(req: BacktestRequest): Promise<BacktestReport> {
    const t0 = performance.now()
    const { rule, version } = await this.resolveRule(req)
    const range = this.rangeOf(req)
    const bt = new Backtest({ tenant: req.tenant, rule, fromMs: range.fromMs, toMs: range.toMs, maxIntervals: req.maxIntervals })
    await this.deps.timeZones.refresh(30_000)
    const slices = bt.slices(this.deps.sliceMinutes)
    const read = (i: number): Promise<RollupSlice> =>
      this.deps.rollups.readSlice({
        tenant: req.tenant,
        level: rule.level,
        readStartMs: bt.readStartMs,
        slice: slices[i]!,
        metrics: bt.plan.metrics,
        accounts: rule.scope?.accounts,
        platforms: rule.scope?.platforms,
      })
    const ahead = Math.max(1, this.deps.readAhead ?? 1)
    const pending: Array<Promise<RollupSlice>> = []
    // Unobserved rejections of reads still ahead must not crash the process if an earlier one fails.
    const start = (i: number) => {
      if (i < slices.length) {
        const p = read(i)
        p.catch(() => undefined)
        pending[i] = p
      }
    }
    for (let i = 0; i < ahead; i++) start(i)
    const needsBudgets = rule.level === 'campaign' && bt.plan.facts.some((f) => BUDGET_FACTS.has(f.name))
    const budgets = new Map<string, number | undefined>()
    let rowsRead = 0
    let bytesRead = 0
    let waitMs = 0
    let replayMs = 0
    for (let i = 0; i < slices.length; i++) {
      const w0 = performance.now()
      const got = await pending[i]!
      start(i + ahead)
      if (needsBudgets) {
        const missing = got.series.map((s) => s.entity).filter((e) => !budgets.has(e))
        if (missing.length > 0) {
          const settings = await this.deps.budgets.campaigns(req.tenant, missing)
          for (const e of missing) budgets.set(e, settings.get(e)?.dailyBudgetMicros)
        }
      }
      const r0 = performance.now()
      waitMs += r0 - w0
      rowsRead += got.rows
      bytesRead += got.bytes
      const series: EntitySeries[] = got.series.map((s) => ({
        ...s,
        timeZone: this.deps.timeZones.timeZoneOf(req.tenant, s.labels.account),
        dailyBudgetMicros: budgets.get(s.entity),
      }))
      bt.addSlice(slices[i]!, series)
      replayMs += performance.now() - r0
    }
    const r0 = performance.now()
    const result = bt.finish()
    replayMs += performance.now() - r0
    return { ...result, ruleVersion: version, stats: { slices: slices.length, rowsRead, bytesRead, waitMs, replayMs, totalMs: performance.now() - t0 } }
  }

  private async resolveRule(req: BacktestRequest): Promise<{ rule: Rule; version: number | undefined }> {
    if ('rule' in req) {
      const problems = validateRule(req.rule)
      if (problems.length > 0) throw new RuleInvalidError(problems)
      return { rule: req.rule as Rule, version: undefined }
    }
    const source = this.deps.rules
    if (source === undefined) throw new BacktestInvalidError('this backtest service has no rule store: send the rule itself')
    const stored = req.version === undefined ? await source.get(req.tenant, req.ruleId) : (await source.versions(req.tenant, req.ruleId)).find((s) => s.version === req.version)
    if (stored === undefined) throw new BacktestInvalidError(`rule "${req.ruleId}" has no version ${req.version}; list its versions to pick one`)
    return { rule: stored.rule, version: stored.version }
  }

  private rangeOf(req: BacktestRequest): { fromMs: number; toMs: number } {
    if (req.fromMs !== undefined || req.toMs !== undefined) {
      if (req.fromMs === undefined || req.toMs === undefined || req.days !== undefined) {
        throw new BacktestInvalidError('give either days, or both fromMs and toMs')
      }
      return { fromMs: req.fromMs, toMs: req.toMs }
    }
    return backtestRange(req.days ?? 7, this.deps.now())
  }
}
