import type { BacktestReport, BacktestRequest } from '../../rules/backtest-service.ts'
import { RuleExistsError, RuleInvalidError, RuleNotFoundError } from '../../rules/errors.ts'
import type { Rule, StoredRule } from '../../rules/rule-model.ts'
import { validateRule } from '../../rules/validate-rule.ts'
import type { Level } from '../../stream/event.ts'
import type { ScoreSeriesDto } from '../api-types.ts'
import type { Backtester, DetectorCatalog, DetectorModelInfo, EntityScores, RuleStore } from '../deps.ts'

/** In-memory stand-ins for the rules and detectors stores, for unit tests with app.inject(). */

/** RedisRuleStore's semantics in memory: every save validated and a new version; remove keeps versions. */
export class MemoryRuleStore implements RuleStore {
  readonly history = new Map<string, StoredRule[]>()
  readonly current = new Map<string, StoredRule>()

  constructor(private readonly now: () => number) {}

  async save(tenant: string, input: unknown, author: string, opts: { onlyIfNew?: boolean } = {}): Promise<StoredRule> {
    const problems = validateRule(input)
    if (problems.length > 0) throw new RuleInvalidError(problems)
    const rule = input as Rule
    const k = `${tenant}\u0000${rule.id}`
    if (opts.onlyIfNew === true && this.current.has(k)) throw new RuleExistsError(tenant, rule.id)
    const versions = this.history.get(k) ?? []
    const stored: StoredRule = { rule, version: versions.length + 1, author, savedAtMs: this.now() }
    this.history.set(k, [...versions, stored])
    this.current.set(k, stored)
    return stored
  }
  async list(tenant: string): Promise<StoredRule[]> {
    return [...this.current.entries()].filter(([k]) => k.startsWith(`${tenant}\u0000`)).map(([, v]) => v).sort((a, b) => a.rule.id.localeCompare(b.rule.id))
  }
  async get(tenant: string, id: string): Promise<StoredRule> {
    const s = this.current.get(`${tenant}\u0000${id}`)
    if (s === undefined) throw new RuleNotFoundError(tenant, id)
    return s
  }
  async versions(tenant: string, id: string): Promise<StoredRule[]> {
    const v = this.history.get(`${tenant}\u0000${id}`)
    if (v === undefined) throw new RuleNotFoundError(tenant, id)
    return v
  }
  async restore(tenant: string, id: string, version: number, author: string): Promise<StoredRule> {
    const old = this.history.get(`${tenant}\u0000${id}`)?.[version - 1]
    if (old === undefined) throw new RuleNotFoundError(tenant, id, version)
    return this.save(tenant, old.rule, author)
  }
  async remove(tenant: string, id: string): Promise<void> {
    if (!this.current.delete(`${tenant}\u0000${id}`)) throw new RuleNotFoundError(tenant, id)
  }
}

/** Records backtest requests; answers `result(req)` or throws `fail`. A saved rule must be in `rules` (as the service reads it). */
export class FakeBacktester implements Backtester {
  readonly requests: BacktestRequest[] = []
  fail: Error | undefined
  constructor(private readonly result: (req: BacktestRequest) => Promise<BacktestReport>, private readonly rules?: RuleStore) {}
  async run(req: BacktestRequest): Promise<BacktestReport> {
    this.requests.push(req)
    if (this.fail !== undefined) throw this.fail
    if ('ruleId' in req && this.rules !== undefined) await this.rules.get(req.tenant, req.ruleId)
    return this.result(req)
  }
}

/** A report with one interval, for route tests. */
export function fakeReport(req: BacktestRequest, nowMs: number): BacktestReport {
  const days = req.days ?? 7
  const toMs = Math.floor(nowMs / 60_000) * 60_000
  return {
    tenant: req.tenant,
    ruleId: 'rule' in req ? String((req.rule as { id?: unknown }).id) : req.ruleId,
    ruleVersion: 'ruleId' in req ? (req.version ?? 1) : undefined,
    level: 'campaign',
    fromMs: toMs - days * 86_400_000,
    toMs,
    stepMs: 60_000,
    intervals: [{ entity: 'c1', labels: { level: 'campaign', platform: 'meta', account: 'a1', campaign: 'c1', adset: '', entity: 'c1' }, startMs: toMs - 3_600_000, endMs: null, firingMinutes: 60, spend: 12.5, peaks: { spend_5m: 4.2 }, lows: { spend_5m: null } }],
    truncated: false,
    totals: { entities: 3, entitiesFired: 1, intervals: 1, openIntervals: 1, firingMinutes: 60, spendDuringIntervals: 12.5, spend: 99, evaluations: 1000 },
    unavailableFacts: [],
    stats: { slices: days, rowsRead: 10, bytesRead: 100, waitMs: 1, replayMs: 1, totalMs: 2 },
  }
}

/** Detectors of tenants in maps, configured like the runner's defaults. */
export class MemoryDetectorCatalog implements DetectorCatalog {
  readonly names = ['iforest', 'seasonal_z', 'ewma', 'flatline']
  readonly levels: Level[] = ['account', 'campaign']
  readonly modelsOf = new Map<string, DetectorModelInfo[]>()
  readonly thresholdsOf = new Map<string, Map<string, number>>()
  readonly requestedAt = new Map<string, number>()
  /** tenant → level → scores, in the order latestScores answers. */
  readonly scoresOf = new Map<string, Map<Level, EntityScores[]>>()
  fail: Error | undefined

  async models(tenant: string): Promise<DetectorModelInfo[]> {
    if (this.fail !== undefined) throw this.fail
    return this.modelsOf.get(tenant) ?? []
  }
  async thresholds(tenant: string): Promise<Map<string, number>> {
    const own = this.thresholdsOf.get(tenant)
    return new Map(this.names.map((n) => [n, own?.get(n) ?? 0.8]))
  }
  async retrainRequestedAtMs(tenant: string): Promise<number | undefined> {
    return this.requestedAt.get(tenant)
  }
  async requestRetrain(tenant: string, nowMs: number): Promise<void> {
    this.requestedAt.set(tenant, nowMs)
  }
  async setThreshold(tenant: string, detector: string, threshold: number): Promise<void> {
    const m = this.thresholdsOf.get(tenant) ?? new Map<string, number>()
    m.set(detector, threshold)
    this.thresholdsOf.set(tenant, m)
  }
  async latestScores(tenant: string, level: Level): Promise<EntityScores[]> {
    return this.scoresOf.get(tenant)?.get(level) ?? []
  }
  /** tenant → "level/entity" → minute (ms) → highest score. */
  readonly historyOf = new Map<string, Map<string, Map<number, number>>>()
  async scoreSeries(tenant: string, level: Level, entity: string, fromMs: number, toMs: number): Promise<ScoreSeriesDto> {
    if (this.fail !== undefined) throw this.fail
    const minutes = [...(this.historyOf.get(tenant)?.get(`${level}/${entity}`) ?? new Map<number, number>())].filter(([ms]) => ms >= fromMs && ms < toMs).sort((a, b) => a[0] - b[0])
    return { timesSec: minutes.map(([ms]) => ms / 1000), maxScore: minutes.map(([, s]) => s) }
  }
}
