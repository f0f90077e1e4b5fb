import { Engine, type RuleProperties, type TopLevelCondition } from 'json-rules-engine'
import type { Redis } from 'ioredis'
import type { AlertEvent, AlertEventSink } from '../alerts/alert-event.ts'
import type { AdwatchConfig } from '../core/config.ts'
import type { Logger } from '../core/log.ts'
import { RedisChangeFeed } from '../stream/change-feed.ts'
import { EntitySettingsStore } from '../stream/entity-settings.ts'
import type { AdEvent } from '../stream/event.ts'
import { foldEvents } from '../stream/fold.ts'
import { RedisLeaseManager } from '../stream/lease-manager.ts'
import { LiveWindowState } from '../stream/live-windows.ts'
import { LocalDayCalendar } from '../stream/local-day.ts'
import { encodePosition } from '../stream/positions.ts'
import { RedisCounterStore } from '../stream/redis-counter-store.ts'
import { registerTenants, TenantDirectory } from '../stream/tenant-directory.ts'
import { compileRule } from '../rules/compile-rule.ts'
import { computeFacts } from '../rules/compute-facts.ts'
import type { Facts } from '../rules/fact-catalogue.ts'
import type { TickStages } from '../rules/evaluation-runner.ts'
import { RuleEvaluator, type EntityInput } from '../rules/rule-evaluator.ts'
import type { Rule, StoredRule } from '../rules/rule-model.ts'
import { createRulesRuntime } from '../rules/runtime.ts'
import { inScope } from '../rules/scope.ts'
import { localDayOf } from '../rules/zoned-day.ts'

/**
 * The live tick of the rules engine at scale: N active campaigns with traffic in Redis, written
 * through the real sink (RedisCounterStore.applyBatch, as a worker does), 25 rules saved in the
 * rule store, and the real EvaluationRunner ticking once a second: change-feed poll, metadata,
 * budgets and baselines, facts, compiled rules, alert states saved. Beside it, the same rules and
 * facts through json-rules-engine's engine.run per campaign.
 */

/** The benchmark's tenant. */
export const TENANT = 'bench'
const ACCOUNTS = 20
const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'America/Los_Angeles'] as const
const PLATFORMS = ['meta', 'google', 'tiktok'] as const
const BATCH_EVENTS = 5_000

/** The synthetic campaigns: ids, accounts, platforms and budgets. */
export interface TickCampaign {
  readonly id: string
  readonly account: string
  readonly platform: string
  readonly budgetMicros: number
  /** Spend level: most campaigns are calm, one in a hundred spends several times more. */
  readonly heat: number
}

/** `n` campaigns over 20 accounts in five time zones and three platforms. */
export function tickCampaigns(n: number): TickCampaign[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `cmp_${String(i).padStart(5, '0')}`,
    account: `act_${String(i % ACCOUNTS).padStart(2, '0')}`,
    platform: PLATFORMS[i % PLATFORMS.length]!,
    budgetMicros: (100 + (i % 9) * 50) * 1_000_000,
    heat: i % 100 === 7 ? 6 : 1,
  }))
}

const accountZone = (account: string) => ZONES[Number(account.slice(4)) % ZONES.length]!

/** 25 campaign rules of the kinds rule authors write (thresholds, ratios, pacing, changes, scopes). */
export function benchRules(): Rule[] {
  const r = (id: string, conditions: Rule['conditions'], extra: Partial<Rule> = {}): Rule => ({ id, name: id, level: 'campaign', severity: 'warning', conditions, ...extra })
  const gt = (fact: string, value: number) => ({ fact, operator: 'greaterThan' as const, value })
  const lt = (fact: string, value: number) => ({ fact, operator: 'lessThan' as const, value })
  return [
    r('cpc-high', { all: [gt('cpc_15m', 2.5), { fact: 'clicks_15m', operator: 'greaterThanInclusive', value: 20 }] }, { for: '5m' }),
    r('ctr-low', { all: [lt('ctr_1h', 0.002), gt('impressions_1h', 5_000)] }, { for: '10m' }),
    r('spend-spike-5m', { all: [gt('spend_5m', 40)] }, { for: '2m' }),
    r('spend-spike-1m', { all: [gt('spend_1m', 15)] }),
    r('overpacing', { all: [gt('pacing', 1.5), gt('day_elapsed', 0.1)] }, { for: '15m' }),
    r('underpacing', { all: [lt('pacing', 0.01), gt('day_elapsed', 0.5)] }, { for: '30m' }),
    r('budget-exhaust-soon', { all: [lt('budget_exhaust_in_min', 60), gt('budget_exhaust_in_min', 0)] }, { for: '5m' }),
    r('roas-low', { all: [lt('roas_1h', 0.5), gt('spend_1h', 50)] }, { for: '15m' }),
    r('cpa-high', { all: [gt('cpa_today', 80), { fact: 'conversions_today', operator: 'greaterThanInclusive', value: 3 }] }),
    r('cpm-high', { all: [gt('cpm_15m', 40), gt('impressions_15m', 1_000)] }),
    r('clicks-stopped', { all: [{ fact: 'clicks_15m', operator: 'equal', value: 0 }, gt('spend_15m', 10)] }, { for: '5m' }),
    r('spend-stopped', { all: [{ fact: 'spend_15m', operator: 'equal', value: 0 }, gt('spend_1h', 5)] }, { no_data: 'alert', for: '15m' }),
    r('conversions-drop', { all: [{ fact: 'conversions_1h', operator: 'equal', value: 0 }, { fact: 'clicks_1h', operator: 'greaterThanInclusive', value: 200 }] }),
    r('spend-vs-yesterday', { all: [gt('spend_1h_vs_yesterday', 2), gt('spend_1h', 20)] }, { for: '10m' }),
    r('clicks-vs-last-week', { all: [lt('clicks_1h_vs_last_week', -0.8), gt('clicks_1h', 0)] }, { for: '10m' }),
    r('projected-over-budget', { all: [{ fact: 'projected_spend_today', operator: 'greaterThan', value: { fact: 'daily_budget' } }, lt('day_elapsed', 0.9), gt('spend_15m', 10)] }, { for: '10m' }),
    r('meta-cpc', { all: [{ fact: 'platform', operator: 'equal', value: 'meta' }, gt('cpc_5m', 4)] }),
    r('google-ctr', { all: [{ fact: 'platform', operator: 'equal', value: 'google' }, lt('ctr_15m', 0.001), gt('impressions_15m', 1_500)] }),
    r('tiktok-cpm', { all: [{ fact: 'platform', operator: 'in', value: ['tiktok'] }, gt('cpm_1h', 30)] }),
    r('big-accounts-spend', { all: [gt('spend_15m', 60)] }, { scope: { accounts: ['act_00', 'act_01', 'act_02', 'act_03', 'act_04'] } }),
    r('expensive-any', { any: [gt('cpc_1h', 5), gt('cpa_1h', 150)] }, { for: '10m' }),
    r('ctr-not', { all: [{ not: gt('ctr_1h', 0.0005) }, gt('impressions_1h', 2_000)] }),
    r('revenue-spike', { all: [gt('revenue_5m', 200)] }),
    r('nested', { all: [{ any: [gt('spend_5m', 30), gt('clicks_5m', 100)] }, { not: gt('roas_5m', 1) }] }, { for: '3m' }),
    r('budget-nearly-gone', { all: [lt('budget_remaining', 10), gt('daily_budget', 0)] }, { keep_firing_for: '10m' }),
  ]
}

/** One event per campaign at `tsMs` (deterministic traffic of one minute's share). */
function eventsAt(campaigns: readonly TickCampaign[], tsMs: number, seq: number): AdEvent[] {
  return campaigns.map((c, i) => {
    const h = hash(i * 7_919 + seq)
    const impressions = 20 + (h % 80)
    const clicks = h % 7 === 0 ? 1 : 0
    return {
      id: `${c.id}-${seq}`, tsMs, tenant: TENANT, platform: c.platform, account: c.account, campaign: c.id, adset: '', ad: '',
      type: 'impression', impressions, clicks, spendMicros: (50_000 + (h % 400_000)) * c.heat, conversions: h % 97 === 0 ? 1 : 0, revenueMicros: h % 97 === 0 ? 40_000_000 : 0, currency: 'USD',
    }
  })
}

function hash(n: number): number {
  let x = (n ^ 0x9e3779b9) >>> 0
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0
  return (x ^ (x >>> 16)) >>> 0
}

/** Writes events through the Redis sink, as a worker's shard batches. */
export class TrafficWriter {
  private seq = 1
  private readonly calendar = new LocalDayCalendar()
  private constructor(private readonly store: RedisCounterStore, private readonly leaseValue: string) {}

  static async open(redis: Redis, cfg: AdwatchConfig): Promise<TrafficWriter> {
    const leases = new RedisLeaseManager(redis, cfg.redis.keyPrefix, 'bench-rules', 'bench', 600_000)
    const lease = await leases.tryAcquire('shard-0')
    if (lease === undefined) throw new Error('could not take the benchmark shard lease')
    return new TrafficWriter(new RedisCounterStore(redis, cfg.redis.keyPrefix, 900), lease.value)
  }

  async write(events: readonly AdEvent[], nowMs: number): Promise<void> {
    for (let i = 0; i < events.length; i += BATCH_EVENTS) {
      const chunk = events.slice(i, i + BATCH_EVENTS)
      const pos = encodePosition(String(this.seq++))
      const folded = foldEvents(chunk, (e) => this.calendar.dayOf(e.tsMs, accountZone(e.account)))
      await this.store.applyBatch({ stream: 'bench-rules', shards: [{ shard: 'shard-0', leaseValue: this.leaseValue, firstPos: pos, lastPos: pos }], folded, duplicates: 0, deadLetters: 0, nowMs })
    }
  }
}

/** What the tick benchmark measured, in milliseconds. */
export interface TickMeasurement {
  readonly firstTickMs: number
  readonly tickMs: readonly number[]
  /** CPU of each tick in this process, and in the Redis server meanwhile. */
  readonly tickNodeCpuMs: readonly number[]
  readonly tickRedisCpuMs: readonly number[]
  /** Where each tick's time went (EvaluationRunner's stage timings). */
  readonly tickStages: readonly TickStages[]
  readonly tickStagesCpu: readonly TickStages[]
  readonly entities: number
  readonly evaluations: number
  readonly transitions: number
  readonly compiledMs: readonly number[]
  /** json-rules-engine on `jreSample` campaigns, per run. */
  readonly jreSampleMs: readonly number[]
  readonly jreSample: number
  /** Rule × campaign pairs of the sample that json-rules-engine and the compiled rules find true. */
  readonly jreTrue: number
  readonly compiledTrue: number
}

/**
 * Sets up `campaigns` campaigns with `historyMinutes` of traffic and the 25 rules, then runs
 * `ticks` ticks of the real EvaluationRunner one second apart, each after a batch of new
 * traffic for every campaign (written untimed). Then times RuleEvaluator.evaluate and
 * json-rules-engine on the facts of the same instant.
 */
export async function measureTicks(cfg: AdwatchConfig, redis: Redis, log: Logger, o: { campaigns: number; ticks: number; jreSample: number; historyMinutes: number; progress: (m: string) => void }): Promise<TickMeasurement> {
  const campaigns = tickCampaigns(o.campaigns)
  const startMs = Math.floor(Date.now() / 60_000) * 60_000 + 5_000
  let clock = startMs
  const now = () => clock
  await registerTenants(redis, cfg.redis.keyPrefix, [TENANT])
  const settings = new EntitySettingsStore(redis, cfg.redis.keyPrefix)
  for (let a = 0; a < ACCOUNTS; a++) {
    const account = `act_${String(a).padStart(2, '0')}`
    await settings.setAccount(TENANT, account, { timeZone: accountZone(account) })
  }
  for (let i = 0; i < campaigns.length; i += 1_000) await Promise.all(campaigns.slice(i, i + 1_000).map((c) => settings.setCampaign(TENANT, c.id, { dailyBudgetMicros: c.budgetMicros })))
  o.progress(`writing ${o.historyMinutes} minutes of traffic for ${campaigns.length} campaigns through RedisCounterStore.applyBatch (untimed)`)
  const writer = await TrafficWriter.open(redis, cfg)
  for (let m = o.historyMinutes; m >= 1; m--) await writer.write(eventsAt(campaigns, startMs - m * 60_000, -m), startMs - m * 60_000)

  const sink: AlertEventSink & { events: AlertEvent[] } = { events: [], async submit(ev) { this.events.push(...ev) } }
  const runtime = createRulesRuntime(cfg, log, { now, sink, scores: async () => new Map() })
  try {
    for (const rule of benchRules()) await runtime.rules.save(TENANT, rule, 'bench')
    o.progress('first tick: loads every campaign\'s windows from Redis')
    const first = await runtime.runner.tick(clock)
    const tickMs: number[] = []
    const tickNodeCpuMs: number[] = []
    const tickRedisCpuMs: number[] = []
    const tickStages: TickStages[] = []
    const tickStagesCpu: TickStages[] = []
    let entities = 0
    let evaluations = 0
    let transitions = first.transitions
    for (let t = 1; t <= o.ticks; t++) {
      clock = startMs + t * 1_000
      await writer.write(eventsAt(campaigns, clock, t), clock)
      const redis0 = await redisCpuMs(redis)
      const cpu0 = process.cpuUsage()
      const s = await runtime.runner.tick(clock)
      const cpu = process.cpuUsage(cpu0)
      tickRedisCpuMs.push((await redisCpuMs(redis)) - redis0)
      tickNodeCpuMs.push((cpu.user + cpu.system) / 1000)
      tickMs.push(s.durationMs)
      tickStages.push(s.stages)
      tickStagesCpu.push(s.stagesCpu)
      entities = s.entities
      evaluations = s.evaluations
      transitions += s.transitions
    }
    o.progress('the same rules on the same facts: RuleEvaluator.evaluate and json-rules-engine')
    const inputs = await inputsAt(cfg, redis, campaigns, clock)
    const stored: StoredRule[] = benchRules().map((rule) => ({ rule, version: 1, author: 'bench', savedAtMs: 0 }))
    const compiledMs: number[] = []
    // One evaluator, as the runner keeps one: the first pass (creating every entity's record) is
    // not timed, the next five are, a second apart.
    const evaluator = new RuleEvaluator(TENANT)
    evaluator.setRules(stored)
    evaluator.evaluate(inputs, clock)
    for (let rep = 1; rep <= 5; rep++) {
      const t0 = performance.now()
      evaluator.evaluate(inputs, clock + rep * 1_000)
      compiledMs.push(performance.now() - t0)
    }
    const engine = referenceEngineOf(benchRules())
    const sample = inputs.slice(0, o.jreSample)
    const jreSampleMs: number[] = []
    let jreTrue = 0
    for (let rep = 0; rep < 3; rep++) {
      jreTrue = 0
      const t0 = performance.now()
      for (const input of sample) jreTrue += (await engine.run({ ...input.facts })).events.length
      jreSampleMs.push(performance.now() - t0)
    }
    const compiled = benchRules().map((rule) => ({ rule, test: compileRule(rule) }))
    let compiledTrue = 0
    for (const input of sample) for (const c of compiled) if (inScope(c.rule.scope, input.labels) && c.test(input.facts)) compiledTrue++
    return { firstTickMs: first.durationMs, tickMs, tickNodeCpuMs, tickRedisCpuMs, tickStages, tickStagesCpu, entities, evaluations, transitions, compiledMs, jreSampleMs, jreSample: sample.length, jreTrue, compiledTrue }
  } finally {
    await runtime.close()
  }
}

/** The facts of every campaign at `nowMs`, built as the runner builds them (its own feed and windows). */
async function inputsAt(cfg: AdwatchConfig, redis: Redis, campaigns: readonly TickCampaign[], nowMs: number): Promise<EntityInput[]> {
  const tenants = new TenantDirectory(redis, cfg.redis.keyPrefix, 'UTC', () => nowMs)
  await tenants.refresh()
  const windows = new LiveWindowState()
  const calendar = new LocalDayCalendar()
  const feed = new RedisChangeFeed(redis, cfg.redis.keyPrefix, windows, (t, a, ms) => calendar.dayOf(ms, tenants.timeZoneOf(t, a)))
  await feed.start(TENANT, nowMs)
  return campaigns.map((c) => {
    const day = localDayOf(nowMs, tenants.timeZoneOf(TENANT, c.account))
    const w = windows.windows(TENANT, 'campaign', c.id, nowMs, day.date)
    const facts: Facts = computeFacts({ windows: w, platform: c.platform, account: c.account, campaign: c.id, entity: c.id, dailyBudgetMicros: c.budgetMicros, day, nowMs })
    return { level: 'campaign', entity: c.id, facts, hasData: w['1h'].some((v) => v !== 0), labels: { level: 'campaign', platform: c.platform, account: c.account, campaign: c.id, adset: '', entity: c.id } }
  })
}

/** One json-rules-engine with all the rules, as a product would run it per campaign. */
function referenceEngineOf(rules: readonly Rule[]): Engine {
  const engine = new Engine([], { allowUndefinedFacts: false, allowUndefinedConditions: false })
  for (const rule of rules) {
    const conditions = rule.scope?.accounts === undefined ? rule.conditions : { all: [{ fact: 'account', operator: 'in', value: rule.scope.accounts }, rule.conditions] }
    engine.addRule({ name: rule.id, conditions: conditions as unknown as TopLevelCondition, event: { type: rule.id } } as RuleProperties)
  }
  return engine
}

/** CPU (user + system) the Redis server has used so far, from INFO. */
async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu')
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 0)
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000
}
