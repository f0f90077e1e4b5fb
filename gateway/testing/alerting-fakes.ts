import { randomUUID } from 'node:crypto'
import {
  AlertNotFoundError, RoutingConfigError, SilenceInvalidError, silenceState, validateRoutingConfig,
  type Acknowledgement, type ActiveAlert, type Alert, type AlertEvent, type AlertHistoryRow, type ConfigProblem, type HistoryFilter, type Silence, type SilenceInput, type SilenceState, type StoredRoutingConfig,
} from '../../alerts/index.ts'
import { matchLabels } from '../../alerts/alert.ts'
import { matchesAll } from '../../alerts/matchers.ts'
import { validateSilenceInput } from '../../alerts/silence.ts'
import type { AckStore, AlertEventFeed, AlertHistoryReader, AlertingStores, LiveAlertReader, RoutingStore, SilenceStore } from '../alerting/alerting-stores.ts'

/**
 * The alerts part in memory, for app.inject() tests: the same contracts as the Redis and
 * ClickHouse stores (validation by the alerts part's own functions), per tenant.
 */
export class MemoryAlerting implements AlertingStores, LiveAlertReader, AckStore, SilenceStore, RoutingStore, AlertHistoryReader, AlertEventFeed {
  readonly live = new Map<string, Map<string, Alert>>()
  readonly ackMap = new Map<string, Map<string, Acknowledgement>>()
  readonly silenceMap = new Map<string, Map<string, Silence>>()
  readonly routingMap = new Map<string, StoredRoutingConfig>()
  readonly versions = new Map<string, number>()
  readonly rows: AlertHistoryRow[] = []
  readonly log = new Map<string, Map<string, { id: string; event: AlertEvent }>>()
  private seq = 0

  readonly alerts = this
  readonly acks = this
  readonly silences = this
  readonly routing = this
  readonly history = this
  readonly events = this

  constructor(private readonly now: () => number) {}

  /** Puts a live alert as the alert pipeline would. */
  addAlert(a: Alert): void {
    this.of(this.live, a.tenant).set(a.fingerprint, a)
  }

  /** Appends an event to a tenant's log (its own by default); returns its entry id. */
  append(e: AlertEvent, atMs = e.atMs, logTenant = e.tenant): string {
    const id = `${atMs}-${this.seq++}`
    this.of(this.log, logTenant).set(id, { id, event: e })
    return id
  }

  async active(tenant: string): Promise<ActiveAlert[]> {
    const nowMs = this.now()
    const silences = [...this.of(this.silenceMap, tenant).values()].filter((s) => silenceState(s, nowMs) === 'active')
    const rank = { firing: 0, pending: 1, resolved: 2 } as const
    return [...this.of(this.live, tenant).values()]
      .map((a) => {
        const ack = this.of(this.ackMap, tenant).get(a.fingerprint)
        return { ...a, acknowledged: ack !== undefined && ack.startsAtMs === a.startsAtMs ? ack : undefined, silencedBy: silences.filter((s) => matchesAll(s.matchers, matchLabels(a))).map((s) => s.id) }
      })
      .sort((x, y) => rank[x.status] - rank[y.status] || y.updatedAtMs - x.updatedAtMs)
  }

  async acknowledge(tenant: string, fingerprint: string, by: { author: string; comment?: string }): Promise<Acknowledgement> {
    const alert = this.of(this.live, tenant).get(fingerprint)
    if (alert === undefined) throw new AlertNotFoundError(`alert ${fingerprint}`)
    if (alert.status !== 'firing') throw new SilenceInvalidError('fingerprint', `alert ${fingerprint} is ${alert.status}; only a firing alert can be acknowledged`)
    const ack: Acknowledgement = { fingerprint, startsAtMs: alert.startsAtMs, author: by.author, comment: by.comment ?? '', atMs: this.now() }
    this.of(this.ackMap, tenant).set(fingerprint, ack)
    return ack
  }

  async unacknowledge(tenant: string, fingerprint: string): Promise<void> {
    if (!this.of(this.ackMap, tenant).delete(fingerprint)) throw new AlertNotFoundError(`acknowledgement of alert ${fingerprint}`)
  }

  async create(tenant: string, input: SilenceInput): Promise<Silence> {
    const nowMs = this.now()
    validateSilenceInput(input, nowMs)
    const s: Silence = { id: randomUUID(), matchers: input.matchers, startsAtMs: input.startsAtMs ?? nowMs, endsAtMs: input.endsAtMs, author: input.author, comment: input.comment ?? '', createdAtMs: nowMs, updatedAtMs: nowMs }
    this.of(this.silenceMap, tenant).set(s.id, s)
    return s
  }

  async expire(tenant: string, id: string): Promise<Silence> {
    const s = await this.getSilence(tenant, id)
    const nowMs = this.now()
    if (silenceState(s, nowMs) === 'expired') return s
    const ended = { ...s, startsAtMs: Math.min(s.startsAtMs, nowMs), endsAtMs: nowMs, updatedAtMs: nowMs }
    this.of(this.silenceMap, tenant).set(id, ended)
    return ended
  }

  get(tenant: string, id: string): Promise<Silence>
  get(tenant: string): Promise<StoredRoutingConfig | undefined>
  async get(tenant: string, id?: string): Promise<Silence | StoredRoutingConfig | undefined> {
    return id === undefined ? this.routingMap.get(tenant) : this.getSilence(tenant, id)
  }

  async list(tenant: string): Promise<Array<Silence & { state: SilenceState }>> {
    const nowMs = this.now()
    return [...this.of(this.silenceMap, tenant).values()].sort((a, b) => b.createdAtMs - a.createdAtMs).map((s) => ({ ...s, state: silenceState(s, nowMs) }))
  }

  validate(input: unknown): ConfigProblem[] {
    return validateRoutingConfig(input, { allowInsecureUrls: true, defaultAlertmanagerUrl: 'http://127.0.0.1:9093' })
  }

  async put(tenant: string, input: unknown, author: string): Promise<StoredRoutingConfig> {
    const problems = this.validate(input)
    if (problems.length > 0) throw new RoutingConfigError(problems)
    const version = (this.versions.get(tenant) ?? 0) + 1
    this.versions.set(tenant, version)
    const stored = { config: input as StoredRoutingConfig['config'], version, author, savedAtMs: this.now() }
    this.routingMap.set(tenant, stored)
    return stored
  }

  async remove(tenant: string): Promise<void> {
    this.routingMap.delete(tenant)
    this.versions.set(tenant, (this.versions.get(tenant) ?? 0) + 1)
  }

  async version(tenant: string): Promise<number> {
    return this.versions.get(tenant) ?? 0
  }

  async transitions(tenant: string, f: HistoryFilter = {}): Promise<AlertHistoryRow[]> {
    const hit = this.rows
      .filter((r) => r.tenant === tenant && (f.fingerprint === undefined || r.fingerprint === f.fingerprint) && (f.kinds === undefined || f.kinds.includes(r.kind)) && (f.fromMs === undefined || r.atMs >= f.fromMs) && (f.toMs === undefined || r.atMs < f.toMs))
      .sort((a, b) => b.atMs - a.atMs)
    const offset = f.offset ?? 0
    return hit.slice(offset, offset + (f.limit ?? 100))
  }

  async tail(tenant: string): Promise<string> {
    return [...this.of(this.log, tenant).keys()].at(-1) ?? '0-0'
  }

  async read(tenant: string, afterId: string, count: number): Promise<Array<{ id: string; event: AlertEvent }>> {
    const after = afterId.split('-').map(Number) as [number, number]
    return [...this.of(this.log, tenant).values()].filter((e) => {
      const [ms = 0, seq = 0] = e.id.split('-').map(Number)
      return ms > after[0] || (ms === after[0] && seq > (after[1] ?? 0))
    }).slice(0, count)
  }

  private async getSilence(tenant: string, id: string): Promise<Silence> {
    const s = this.of(this.silenceMap, tenant).get(id)
    if (s === undefined) throw new AlertNotFoundError(`silence ${id}`)
    return s
  }

  private of<V>(m: Map<string, Map<string, V>>, tenant: string): Map<string, V> {
    let inner = m.get(tenant)
    if (inner === undefined) m.set(tenant, (inner = new Map()))
    return inner
  }
}

/** A live alert of a tenant, firing since `startsAtMs` unless overridden. */
export function liveAlert(tenant: string, fingerprint: string, o: Partial<Alert> = {}): Alert {
  return {
    fingerprint,
    tenant,
    status: 'firing',
    source: 'rule',
    sourceId: 'high-cpc',
    sourceVersion: 1,
    level: 'campaign',
    entity: 'c1',
    account: 'a1',
    campaign: 'c1',
    severity: 'warning',
    labels: { alertname: 'high-cpc', tenant, level: 'campaign', entity: 'c1', account: 'a1' },
    annotations: { summary: 'CPC high' },
    values: { cpc_15m: 3.42 },
    explanation: 'cpc_15m = 3.42 > 3 ✓',
    startsAtMs: 1_000,
    endsAtMs: undefined,
    updatedAtMs: 1_000,
    announced: undefined,
    ...o,
  }
}

/** An alert event of a tenant (as the rules engine logs it). */
export function alertEvent(tenant: string, fingerprint: string, o: Partial<AlertEvent> = {}): AlertEvent {
  return {
    kind: 'firing',
    fingerprint,
    source: 'rule',
    sourceId: 'high-cpc',
    sourceVersion: 1,
    tenant,
    level: 'campaign',
    entity: 'c1',
    account: 'a1',
    campaign: 'c1',
    severity: 'warning',
    labels: { alertname: 'high-cpc' },
    annotations: {},
    values: { cpc_15m: 3.42 },
    explanation: 'cpc_15m = 3.42 > 3 ✓',
    atMs: 1_000,
    startsAtMs: 1_000,
    endsAtMs: undefined,
    ...o,
  }
}
