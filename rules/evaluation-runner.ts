import type { Engine } from 'json-rules-engine'
import type { AlertEvent, AlertEventSink } from '../alerts/alert-event.ts'
import type { RedisAlertStateStore } from '../alerts/alert-state-store.ts'
import type { Logger } from '../core/log.ts'
import type { Level } from '../stream/event.ts'
import type { EntitySettingsStore } from '../stream/entity-settings.ts'
import { WINDOW_SLOTS, type LiveWindowState } from '../stream/live-windows.ts'
import type { RedisChangeFeed } from '../stream/change-feed.ts'
import type { TenantDirectory } from '../stream/tenant-directory.ts'
import type { Baselines } from './baseline-reader.ts'
import type { FactValue } from './compile-rule.ts'
import { computeFacts } from './compute-facts.ts'
import type { EntityMeta, EntityMetaCache } from './entity-meta-cache.ts'
import { liveFactContext, type LiveFactContext } from './live-facts.ts'
import { buildReferenceEngine, runReference } from './reference-engine.ts'
import { RuleEvaluator, type EntityInput, type PassTransition, type RuleTransition } from './rule-evaluator.ts'
import type { RedisRuleStore } from './rule-store.ts'
import { pickFacts, renderTemplate } from './templates.ts'
import { localDayOf, type LocalDay } from './zoned-day.ts'

/** Reads detector scores (detectors/): entity → detector name → score. */
export type ScoreReader = (tenant: string, level: Level, entities: readonly string[]) => Promise<Map<string, Record<string, number>>>

/** Reads same-window baselines a day and a week back (ClickHouse). */
export interface BaselineSource {
  get(tenant: string, level: Level, nowMs: number): Promise<Baselines>
}

/** The adapters one evaluation runner uses. */
export interface EvaluationRunnerDeps {
  readonly feed: RedisChangeFeed
  readonly windows: LiveWindowState
  readonly tenants: TenantDirectory
  readonly rules: RedisRuleStore
  readonly states: RedisAlertStateStore
  readonly settings: EntitySettingsStore
  readonly meta: EntityMetaCache
  readonly baselines: BaselineSource
  readonly scores: ScoreReader
  readonly sink: AlertEventSink
  readonly log: Logger
}

/** What one tick did, for metrics and the benchmark. */
export interface TickStats {
  readonly durationMs: number
  readonly entities: number
  readonly evaluations: number
  readonly transitions: number
  readonly feedEntries: number
  /** Where the tick's time went, in ms (wall time of each stage, summed over tenants). */
  readonly stages: TickStages
  /** CPU (user + system) of this process in each stage, in ms: beside the wall times, what waited for a core. */
  readonly stagesCpu: TickStages
}

/** Wall time of each stage of a tick, in ms. */
export interface TickStages {
  /** Tenant directory refresh and change-feed poll (XREAD, decode, apply to the live windows). */
  feedMs: number
  /** Reads beside the feed: rule revisions, entity metadata, budgets, baselines, detector scores. */
  readsMs: number
  /** Local days, windows and facts of every entity. */
  factsMs: number
  /** Compiled rules and alert state machines. */
  evaluateMs: number
  /** Changed alert states saved, verdicts built (explanations) and handed to the sink. */
  outputMs: number
}

const IDLE_EVICT_MS = 2 * 3_600_000
/** Where the 1h window starts in LiveWindowState.windowsInto's output. */
const WINDOW_1H = WINDOW_SLOTS.indexOf('1h') * 5
const SETTINGS_REFRESH_MS = 30_000

/** What one level's evaluation read, kept for building the verdicts of its transitions. */
interface LevelBatch {
  readonly level: Level
  readonly ids: readonly string[]
  readonly meta: ReadonlyMap<string, EntityMeta>
  readonly budgets: ReadonlyMap<string, number | undefined>
  readonly baselines: Baselines | undefined
  /** Undefined when no rule of the level reads a detector score (read for transitions only). */
  readonly scores: Map<string, Record<string, number>> | undefined
}

/**
 * Runs every tick: follows the change feed, reloads a tenant's rules when they changed,
 * computes the facts the rules read for the entities of every level a rule runs at, evaluates
 * the compiled rules, steps alert states (persisted in Redis) and hands transitions, with
 * json-rules-engine's condition-by-condition explanation and every fact of the entity, to the
 * alert pipeline. `tick(nowMs)` takes the clock.
 */
export class EvaluationRunner {
  private readonly evaluators = new Map<string, { evaluator: RuleEvaluator; revision: number }>()
  private readonly engines = new Map<string, Engine>()
  private readonly budgets = new Map<string, { atMs: number; byCampaign: Map<string, number | undefined> }>()
  private readonly days = new Map<string, LocalDay>()
  // Buffers reused by every tick: the planned facts of a level's entities (numbers unboxed,
  // strings apart), and their context.
  private nums = new Float64Array(0)
  private values: FactValue[] = []
  private hasData = new Uint8Array(0)
  private accounts: string[] = []
  private readonly ctx: LiveFactContext = liveFactContext()
  private readonly labels = { platform: '', account: '', campaign: '', adset: '' }

  constructor(private readonly deps: EvaluationRunnerDeps) {}

  /** One evaluation tick at `nowMs`. */
  async tick(nowMs: number): Promise<TickStats> {
    const t0 = performance.now()
    const d = this.deps
    const stages: TickStages = { feedMs: 0, readsMs: 0, factsMs: 0, evaluateMs: 0, outputMs: 0 }
    const stagesCpu: TickStages = { feedMs: 0, readsMs: 0, factsMs: 0, evaluateMs: 0, outputMs: 0 }
    let cpuMark = process.cpuUsage()
    await d.tenants.refresh(30_000)
    for (const tenant of d.tenants.known()) {
      if (!d.feed.tenants().includes(tenant)) await d.feed.start(tenant, nowMs)
    }
    const feedEntries = await d.feed.poll(nowMs)
    let mark = t0
    const lap = (stage: keyof TickStages) => {
      const at = performance.now()
      stages[stage] += at - mark
      mark = at
      const cpu = process.cpuUsage()
      stagesCpu[stage] += (cpu.user - cpuMark.user + cpu.system - cpuMark.system) / 1000
      cpuMark = cpu
    }
    lap('feedMs')
    let entities = 0
    let evaluations = 0
    let transitionCount = 0
    for (const tenant of d.feed.tenants()) {
      const ev = await this.evaluatorFor(tenant)
      lap('readsMs')
      if (ev.ruleCount === 0) continue
      ev.begin(nowMs)
      const batches = new Map<Level, LevelBatch>()
      for (const level of ev.levels()) {
        const batch = await this.evaluateLevel(tenant, ev, level, nowMs, lap)
        batches.set(level, batch)
        entities += batch.ids.length
        evaluations += batch.ids.length * ev.ruleCount
      }
      const { transitions, changed } = ev.end()
      lap('evaluateMs')
      await d.states.save(tenant, changed)
      if (transitions.length > 0) {
        const inputs = await this.transitionInputs(tenant, transitions, batches, nowMs)
        const events = await Promise.all(transitions.map((t) => this.toEvent(tenant, { ...t, input: inputs.get(t.level)!.get(t.seq)! }, nowMs)))
        await d.sink.submit(events)
        transitionCount += events.length
      }
      lap('outputMs')
    }
    d.windows.evictIdle(nowMs - IDLE_EVICT_MS)
    lap('feedMs')
    return { durationMs: performance.now() - t0, entities, evaluations, transitions: transitionCount, feedEntries, stages, stagesCpu }
  }

  private async evaluatorFor(tenant: string): Promise<RuleEvaluator> {
    const d = this.deps
    const revision = await d.rules.revision(tenant)
    let entry = this.evaluators.get(tenant)
    if (entry === undefined) {
      entry = { evaluator: new RuleEvaluator(tenant, await d.states.load(tenant)), revision: -1 }
      this.evaluators.set(tenant, entry)
    }
    if (entry.revision !== revision) {
      entry.evaluator.setRules(await d.rules.list(tenant))
      entry.revision = revision
      d.log.info({ tenant, rules: entry.evaluator.ruleCount, revision }, 'rules loaded')
    }
    return entry.evaluator
  }

  /**
   * Reads what the level's facts need, computes the facts its rules read for every entity into
   * the reused buffer, and runs the rules on each entity.
   */
  private async evaluateLevel(tenant: string, ev: RuleEvaluator, level: Level, nowMs: number, lap: (stage: keyof TickStages) => void): Promise<LevelBatch> {
    const d = this.deps
    const plan = ev.plan(level)!
    const ids = d.windows.list(tenant, level)
    if (ids.length === 0) return { level, ids, meta: new Map(), budgets: new Map(), baselines: undefined, scores: undefined }
    const [meta, baselines, scores, budgets] = await Promise.all([
      d.meta.get(tenant, level, ids),
      d.baselines.get(tenant, level, nowMs).catch((err: unknown) => {
        d.log.warn({ tenant, level, err: (err as Error).message }, 'baselines unavailable; change facts are null this tick')
        return undefined
      }),
      plan.readsScores ? d.scores(tenant, level, ids).catch(() => new Map<string, Record<string, number>>()) : Promise.resolve(undefined),
      level === 'campaign' ? this.campaignBudgets(tenant, ids, nowMs) : Promise.resolve(new Map<string, number | undefined>()),
    ])
    lap('readsMs')
    const n = plan.names.length
    // Grown by push: a large preallocated array (new Array(n)) would get slow dictionary elements.
    while (this.values.length < ids.length * n) this.values.push(null)
    if (this.nums.length < ids.length * n) this.nums = new Float64Array(ids.length * n)
    const nums = this.nums
    if (this.hasData.length < ids.length) this.hasData = new Uint8Array(ids.length)
    const values = this.values
    const ctx = this.ctx
    ctx.nowMs = nowMs
    ctx.scores = undefined
    for (let seq = 0; seq < ids.length; seq++) {
      const entity = ids[seq]!
      const m = meta.get(entity)
      const account = m?.account ?? d.feed.account(tenant, level, entity) ?? ''
      this.accounts[seq] = account
      const day = this.dayOf(tenant, account, nowMs)
      d.windows.windowsInto(tenant, level, entity, nowMs, day.date, ctx.windows)
      let any = false
      for (let i = WINDOW_1H; i < WINDOW_1H + 5; i++) if (ctx.windows[i] !== 0) any = true
      ctx.hasData = any
      this.hasData[seq] = any ? 1 : 0
      ctx.dayStartMs = day.startMs
      ctx.dayEndMs = day.endMs
      ctx.dailyBudgetMicros = budgets.get(entity)
      ctx.platform = m?.platform ?? ''
      ctx.account = account
      ctx.campaign = m?.campaign ?? ''
      ctx.entity = entity
      ctx.yesterday = baselines?.yesterday.get(entity)
      ctx.lastWeek = baselines?.last_week.get(entity)
      if (scores !== undefined) ctx.scores = scores.get(entity)
      plan.compute(ctx, nums, values, seq * n)
    }
    lap('factsMs')
    const labels = this.labels
    for (let seq = 0; seq < ids.length; seq++) {
      const entity = ids[seq]!
      const m = meta.get(entity)
      labels.platform = m?.platform ?? ''
      labels.account = this.accounts[seq]!
      labels.campaign = m?.campaign ?? ''
      labels.adset = m?.adset ?? ''
      ev.evaluateEntity(level, entity, seq, labels, nums, values, seq * n, this.hasData[seq] === 1)
    }
    lap('evaluateMs')
    return { level, ids, meta, budgets, baselines, scores }
  }

  /** The local day of an account's time zone containing `nowMs` (cached until the day ends). */
  private dayOf(tenant: string, account: string, nowMs: number): LocalDay {
    const zone = this.deps.tenants.timeZoneOf(tenant, account)
    const day = this.days.get(zone)
    if (day !== undefined && nowMs >= day.startMs && nowMs < day.endMs) return day
    const fresh = localDayOf(nowMs, zone)
    this.days.set(zone, fresh)
    return fresh
  }

  /**
   * Every fact of each entity with a transition (annotations may name any fact), computed as
   * computeFacts does; detector scores are read here when no rule of the level reads them.
   */
  private async transitionInputs(tenant: string, transitions: readonly PassTransition[], batches: ReadonlyMap<Level, LevelBatch>, nowMs: number): Promise<Map<Level, Map<number, EntityInput>>> {
    const d = this.deps
    const out = new Map<Level, Map<number, EntityInput>>()
    for (const [level, batch] of batches) {
      const seqs = [...new Set(transitions.filter((t) => t.level === level).map((t) => t.seq))]
      if (seqs.length === 0) continue
      const scores = batch.scores ?? (await d.scores(tenant, level, seqs.map((s) => batch.ids[s]!)).catch(() => new Map<string, Record<string, number>>()))
      const inputs = new Map<number, EntityInput>()
      for (const seq of seqs) {
        const entity = batch.ids[seq]!
        const m = batch.meta.get(entity)
        const account = m?.account ?? d.feed.account(tenant, level, entity) ?? ''
        const day = this.dayOf(tenant, account, nowMs)
        const windows = d.windows.windows(tenant, level, entity, nowMs, day.date)
        const yesterday = batch.baselines?.yesterday.get(entity)
        const lastWeek = batch.baselines?.last_week.get(entity)
        const facts = computeFacts({
          windows,
          platform: m?.platform ?? '',
          account,
          campaign: m?.campaign ?? '',
          entity,
          dailyBudgetMicros: batch.budgets.get(entity),
          day,
          nowMs,
          baselines: batch.baselines === undefined ? undefined : { '1h': { ...(yesterday ? { yesterday } : {}), ...(lastWeek ? { last_week: lastWeek } : {}) } },
          scores: scores.get(entity),
        })
        inputs.set(seq, {
          level,
          entity,
          facts,
          hasData: windows['1h'].some((v) => v !== 0),
          labels: { level, platform: m?.platform ?? '', account, campaign: m?.campaign ?? '', adset: m?.adset ?? '', entity },
        })
      }
      out.set(level, inputs)
    }
    return out
  }

  private async campaignBudgets(tenant: string, ids: readonly string[], nowMs: number): Promise<Map<string, number | undefined>> {
    const cached = this.budgets.get(tenant)
    const missing = cached === undefined || nowMs - cached.atMs > SETTINGS_REFRESH_MS ? ids : ids.filter((i) => !cached.byCampaign.has(i))
    if (missing.length === 0 && cached !== undefined) return cached.byCampaign
    const settings = await this.deps.settings.campaigns(tenant, missing)
    const byCampaign = cached !== undefined && missing.length < ids.length ? cached.byCampaign : new Map<string, number | undefined>()
    for (const [id, s] of settings) byCampaign.set(id, s.dailyBudgetMicros)
    this.budgets.set(tenant, { atMs: cached !== undefined && missing.length < ids.length ? cached.atMs : nowMs, byCampaign })
    return byCampaign
  }

  private async toEvent(tenant: string, t: RuleTransition, nowMs: number): Promise<AlertEvent> {
    const rule = t.stored.rule
    const engineKey = `${tenant}\u0000${rule.id}\u0000${t.stored.version}`
    let engine = this.engines.get(engineKey)
    if (engine === undefined) {
      engine = buildReferenceEngine(rule)
      this.engines.set(engineKey, engine)
    }
    // json-rules-engine is handed the facts the rule reads (it hashes every fact it is given).
    const explanation = t.transition.kind === 'firing' || t.transition.kind === 'pending' ? (await runReference(engine, pickFacts(t.input.facts, t.readFacts))).explanation : ''
    const values = pickFacts(t.input.facts, t.readFacts)
    const context = { ...t.input.facts, ...t.input.labels, rule: rule.name }
    const annotations: Record<string, string> = {}
    for (const [k, v] of Object.entries(rule.annotations ?? {})) if (v !== undefined) annotations[k] = renderTemplate(v, context)
    if (annotations.summary === undefined) annotations.summary = `${rule.name} on ${t.input.level} ${t.input.entity}`
    return {
      kind: t.transition.kind,
      fingerprint: t.fingerprint,
      source: 'rule',
      sourceId: rule.id,
      sourceVersion: t.stored.version,
      tenant,
      level: t.input.level,
      entity: t.input.entity,
      account: t.input.labels.account,
      campaign: t.input.labels.campaign,
      severity: rule.severity,
      labels: { ...(rule.labels ?? {}), alertname: rule.id, tenant, level: t.input.level, entity: t.input.entity, account: t.input.labels.account },
      annotations,
      values,
      explanation,
      atMs: nowMs,
      startsAtMs: t.transition.kind === 'firing' || t.transition.kind === 'resolved' ? t.transition.startsAtMs : nowMs,
      endsAtMs: t.transition.kind === 'resolved' ? t.transition.endsAtMs : undefined,
    }
  }
}
