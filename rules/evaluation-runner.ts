import type { Engine } from 'json-rules-engine'
import type { AlertEvent, AlertEventSink } from '../alerts/alert-event.ts'
import type { RedisAlertStateStore } from '../alerts/alert-state-store.ts'
import type { Logger } from '../core/log.ts'
import type { Level } from '../stream/event.ts'
import type { EntitySettingsStore } from '../stream/entity-settings.ts'
import type { LiveWindowState } from '../stream/live-windows.ts'
import type { RedisChangeFeed } from '../stream/change-feed.ts'
import type { TenantDirectory } from '../stream/tenant-directory.ts'
import type { Baselines } from './baseline-reader.ts'
import { computeFacts } from './compute-facts.ts'
import type { EntityMetaCache } from './entity-meta-cache.ts'
import { buildReferenceEngine, runReference } from './reference-engine.ts'
import { RuleEvaluator, type EntityInput, type RuleTransition } from './rule-evaluator.ts'
import type { RedisRuleStore } from './rule-store.ts'
import { pickFacts, renderTemplate } from './templates.ts'
import { localDayOf } from './zoned-day.ts'

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
}

const IDLE_EVICT_MS = 2 * 3_600_000
const SETTINGS_REFRESH_MS = 30_000

/**
 * Runs every tick: follows the change feed, reloads a tenant's rules when they changed,
 * computes facts for the entities of every level a rule runs at, evaluates the compiled rules,
 * steps alert states (persisted in Redis) and hands transitions, with json-rules-engine's
 * condition-by-condition explanation, to the alert pipeline. `tick(nowMs)` takes the clock.
 */
export class EvaluationRunner {
  private readonly evaluators = new Map<string, { evaluator: RuleEvaluator; revision: number }>()
  private readonly engines = new Map<string, Engine>()
  private readonly budgets = new Map<string, { atMs: number; byCampaign: Map<string, number | undefined> }>()

  constructor(private readonly deps: EvaluationRunnerDeps) {}

  /** One evaluation tick at `nowMs`. */
  async tick(nowMs: number): Promise<TickStats> {
    const t0 = performance.now()
    const d = this.deps
    await d.tenants.refresh(30_000)
    for (const tenant of d.tenants.known()) {
      if (!d.feed.tenants().includes(tenant)) await d.feed.start(tenant, nowMs)
    }
    const feedEntries = await d.feed.poll(nowMs)
    let entities = 0
    let evaluations = 0
    let transitionCount = 0
    for (const tenant of d.feed.tenants()) {
      const ev = await this.evaluatorFor(tenant)
      if (ev.ruleCount === 0) continue
      const inputs: EntityInput[] = []
      for (const level of ev.levels()) inputs.push(...(await this.inputsFor(tenant, level, nowMs)))
      entities += inputs.length
      evaluations += inputs.length * ev.ruleCount
      const { transitions, changed } = ev.evaluate(inputs, nowMs)
      await d.states.save(tenant, changed)
      if (transitions.length > 0) {
        const events = await Promise.all(transitions.map((t) => this.toEvent(tenant, t, nowMs)))
        await d.sink.submit(events)
        transitionCount += events.length
      }
    }
    d.windows.evictIdle(nowMs - IDLE_EVICT_MS)
    return { durationMs: performance.now() - t0, entities, evaluations, transitions: transitionCount, feedEntries }
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

  private async inputsFor(tenant: string, level: Level, nowMs: number): Promise<EntityInput[]> {
    const d = this.deps
    const ids = d.windows.list(tenant, level)
    if (ids.length === 0) return []
    const [meta, baselines, scores, budgets] = await Promise.all([
      d.meta.get(tenant, level, ids),
      d.baselines.get(tenant, level, nowMs).catch((err: unknown) => {
        d.log.warn({ tenant, level, err: (err as Error).message }, 'baselines unavailable; change facts are null this tick')
        return undefined
      }),
      d.scores(tenant, level, ids).catch(() => new Map<string, Record<string, number>>()),
      level === 'campaign' ? this.campaignBudgets(tenant, ids, nowMs) : Promise.resolve(new Map<string, number | undefined>()),
    ])
    const out: EntityInput[] = []
    for (const entity of ids) {
      const m = meta.get(entity)
      const account = m?.account ?? d.feed.account(tenant, level, entity) ?? ''
      const day = localDayOf(nowMs, d.tenants.timeZoneOf(tenant, account))
      const windows = d.windows.windows(tenant, level, entity, nowMs, day.date)
      const yesterday = baselines?.yesterday.get(entity)
      const lastWeek = baselines?.last_week.get(entity)
      const facts = computeFacts({
        windows,
        platform: m?.platform ?? '',
        account,
        campaign: m?.campaign ?? '',
        entity,
        dailyBudgetMicros: budgets.get(entity),
        day,
        nowMs,
        baselines: baselines === undefined ? undefined : { '1h': { ...(yesterday ? { yesterday } : {}), ...(lastWeek ? { last_week: lastWeek } : {}) } },
        scores: scores.get(entity),
      })
      const hasData = windows['1h'].some((v) => v !== 0)
      out.push({
        level,
        entity,
        facts,
        hasData,
        labels: { level, platform: m?.platform ?? '', account, campaign: m?.campaign ?? '', adset: m?.adset ?? '', entity },
      })
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
    const explanation = t.transition.kind === 'firing' || t.transition.kind === 'pending' ? (await runReference(engine, t.input.facts)).explanation : ''
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
