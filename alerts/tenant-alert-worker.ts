import type { Redis } from 'ioredis'
import type { Logger } from '../core/log.ts'
import { RedisKeys } from '../stream/redis-keys.ts'
import type { AlertEvent } from './alert-event.ts'
import type { AlertHistoryConsumer } from './history-consumer.ts'
import { applyAlertEvent, sweepState } from './intake.ts'
import type { OutboxDeliverer } from './outbox-deliverer.ts'
import { PIPELINE_GROUP, type RedisAlertStore } from './redis-alert-store.ts'
import type { RedisRoutingStore } from './redis-routing-store.ts'
import type { RedisSilenceStore } from './redis-silence-store.ts'
import { RedisStreamGroup, type StreamEntry } from './redis-stream-group.ts'
import type { CompiledRouting } from './routing.ts'
import type { RoutingConfig } from './routing-config.ts'
import type { Silence } from './silence.ts'
import type { AlertStage, PendingNotification, StageContext } from './stages/stage.ts'
import { TenantStateDraft, type TenantState } from './tenant-state.ts'

/** Events applied per tick at most. */
const EVENTS_PER_TICK = 1_000
/** How often resolved alerts and empty groups are swept. */
const SWEEP_EVERY_MS = 10_000
/** How often the outbox is read when the tick itself added nothing. */
const OUTBOX_POLL_MS = 1_000

/** What one tenant's worker needs. */
export interface TenantWorkerDeps {
  readonly tenant: string
  readonly leaseValue: string
  readonly redis: Redis
  readonly keyPrefix: string
  readonly consumer: string
  readonly store: RedisAlertStore
  readonly silences: RedisSilenceStore
  readonly routing: RedisRoutingStore
  /** Builds the notifiers of a config (version 0: the default config). */
  readonly compile: (cfg: RoutingConfig | undefined, version: number) => CompiledRouting
  readonly pipeline: AlertStage
  readonly deliverer: OutboxDeliverer
  readonly history: AlertHistoryConsumer
  readonly log: Logger
}

/** What one tick did. */
export interface TenantTickStats {
  readonly events: number
  readonly notifications: number
}

/**
 * Runs one tenant's alert pipeline while this process holds the tenant's lease. Each tick
 * reads the next events of the tenant's alert event log (consumer group `alerts`), applies
 * them to the live alerts, runs the pipeline over every live alert at `nowMs`, and commits
 * state, outbox entries and the events' acknowledgements in one fenced Redis script; only
 * then does the in-memory state move on. A failed commit is retried with the same events.
 */
export class TenantAlertWorker {
  private readonly keys: RedisKeys
  private readonly events: RedisStreamGroup
  private state: TenantState | undefined
  private routing: CompiledRouting | undefined
  private silences: Silence[] = []
  private revision: string | null = null
  private backlog: StreamEntry[] = []
  private lastSweepMs = -Infinity
  private lastOutboxPollMs = -Infinity

  constructor(private readonly deps: TenantWorkerDeps) {
    this.keys = new RedisKeys(deps.keyPrefix)
    this.events = new RedisStreamGroup(deps.redis, PIPELINE_GROUP, deps.consumer)
  }

  get tenant(): string {
    return this.deps.tenant
  }

  /** Notifications the deliverer holds in memory (queued or being retried). */
  get queued(): number {
    return this.deps.deliverer.queued
  }

  /** The routing in force (for the deliverer's notifiers). */
  get currentRouting(): CompiledRouting | undefined {
    return this.routing
  }

  /** Loads the state, takes over what a previous holder left pending, starts deliveries. */
  async start(): Promise<void> {
    const d = this.deps
    const key = this.keys.alertEvents(d.tenant)
    await this.events.ensure(key)
    this.state = await d.store.load(d.tenant)
    await this.refreshSettings(true)
    this.backlog = await this.events.claimAll(key)
    await d.history.start()
    await d.deliverer.start()
  }

  /** One pipeline step at `nowMs`. Throws AlertLeaseLostError when the lease is gone. */
  async tick(nowMs: number): Promise<TenantTickStats> {
    const d = this.deps
    const state = this.state
    if (state === undefined) throw new Error(`tenant ${d.tenant}: tick before start`)
    await this.refreshSettings(false)
    const routing = this.routing as CompiledRouting
    if (this.backlog.length === 0) this.backlog = await this.events.readNew(this.keys.alertEvents(d.tenant), EVENTS_PER_TICK)
    const entries = this.backlog
    const draft = new TenantStateDraft(state)
    for (const e of entries) {
      const event = parseEvent(e)
      if (event === undefined) d.log.warn({ tenant: d.tenant, entry: e.id }, 'alert event log entry is not an alert event; skipped')
      else if (event.tenant === d.tenant) applyAlertEvent(draft, event)
    }
    const outbox: PendingNotification[] = []
    const ctx: StageContext = { nowMs, tenant: d.tenant, routing, silences: this.silences, state: draft, outbox }
    await d.pipeline.run(ctx, [...draft.alerts()])
    if (nowMs - this.lastSweepMs >= SWEEP_EVERY_MS) {
      sweepState(draft, routing)
      this.lastSweepMs = nowMs
    }
    if (entries.length > 0 || outbox.length > 0 || draft.hasChanges()) {
      const committed = await d.store.commit(d.tenant, d.leaseValue, draft.changes(), outbox, entries.map((e) => e.id))
      // A retry of a commit whose reply was lost: what landed is Redis' state, not this draft.
      if (committed.alreadyApplied) this.state = await d.store.load(d.tenant)
      else draft.apply()
      this.backlog = []
    }
    // New entries at once; otherwise now and then, for entries written by others (dead-letter replays).
    if (outbox.length > 0 || nowMs - this.lastOutboxPollMs >= OUTBOX_POLL_MS) {
      this.lastOutboxPollMs = nowMs
      await d.deliverer.poll()
    }
    return { events: entries.length, notifications: outbox.length }
  }

  /** Writes the next batch of the event log to the ClickHouse history. */
  async writeHistory(nowMs: number): Promise<number> {
    return this.deps.history.run(nowMs)
  }

  /** Stops deliveries (a send in flight gets `graceMs` to finish and be recorded). */
  async stop(graceMs: number): Promise<void> {
    await this.deps.deliverer.stop(graceMs)
  }

  /** Reloads silences, acknowledgements and routing when the tenant's alerts revision moved. */
  private async refreshSettings(force: boolean): Promise<void> {
    const d = this.deps
    const revision = await d.redis.get(this.keys.alertsRevision(d.tenant))
    if (!force && revision === this.revision) return
    const [silences, acks, stored] = await Promise.all([d.silences.current(d.tenant), d.store.loadAcks(d.tenant), d.routing.get(d.tenant)])
    this.silences = silences
    if (this.state !== undefined) {
      this.state.acks.clear()
      for (const [fp, a] of acks) this.state.acks.set(fp, a)
    }
    const version = stored?.version ?? 0
    if (this.routing === undefined || this.routing.version !== version || stored === undefined) {
      this.routing = d.compile(stored?.config, version)
      if (!force) d.log.info({ tenant: d.tenant, version, receivers: [...this.routing.notifiers.keys()] }, 'routing config loaded')
    }
    this.revision = revision
  }
}

function parseEvent(e: StreamEntry): AlertEvent | undefined {
  try {
    const v = JSON.parse(e.fields.event ?? '') as AlertEvent
    return typeof v?.fingerprint === 'string' && typeof v.kind === 'string' ? v : undefined
  } catch {
    return undefined
  }
}
