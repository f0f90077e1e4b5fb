import type { AccountSettings, CampaignSettings } from '../../stream/entity-settings.ts'
import type { Level } from '../../stream/event.ts'
import { LiveWindowState } from '../../stream/live-windows.ts'
import type { PutInput } from '../../stream/producer/put-records.ts'
import type { TimeSeriesDto } from '../api-types.ts'
import { generateApiKey } from '../auth/api-key-format.ts'
import type { ApiKeyRecord, ApiKeyStore } from '../auth/api-key-store.ts'
import type { TenantRegistry } from '../auth/authenticator.ts'
import type { Role } from '../auth/principal.ts'
import type { DeadLetterFilter, DeadLetterKey, DeadLetterRow, DeadLetterStore, EntityCatalog, EntityView, EventWriter, ListedLevel, SeriesQuery, TimeSeriesReader } from '../deps.ts'
import { fillBuckets } from '../history/clickhouse-series.ts'
import { idOf } from '../history/clickhouse-dead-letters.ts'
import { localDayOf } from '../../rules/zoned-day.ts'

/** In-memory stand-ins for the gateway's stores, for unit tests with app.inject(). */

export class MemoryTenants implements TenantRegistry {
  constructor(readonly tenants: Set<string>) {}
  isKnown(t: string): boolean {
    return this.tenants.has(t)
  }
  async refresh(): Promise<void> {}
}

export class MemoryApiKeyStore implements ApiKeyStore {
  readonly records = new Map<string, ApiKeyRecord>()
  async create(i: { tenant: string; role: Role; name: string; createdBy: string; nowMs: number }): Promise<{ record: ApiKeyRecord; key: string }> {
    const made = generateApiKey()
    const record: ApiKeyRecord = { id: made.id, tenant: i.tenant, role: i.role, name: i.name, secretHash: made.secretHash, createdAtMs: i.nowMs, createdBy: i.createdBy, lastUsedAtMs: undefined, revokedAtMs: undefined }
    this.records.set(made.id, record)
    return { record, key: made.key }
  }
  async list(tenant: string): Promise<ApiKeyRecord[]> {
    return [...this.records.values()].filter((r) => r.tenant === tenant)
  }
  async find(id: string): Promise<ApiKeyRecord | undefined> {
    return this.records.get(id)
  }
  async revoke(tenant: string, id: string, nowMs: number): Promise<boolean> {
    const r = this.records.get(id)
    if (r === undefined || r.tenant !== tenant) return false
    this.records.set(id, { ...r, revokedAtMs: nowMs })
    return true
  }
  async touch(id: string, nowMs: number): Promise<void> {
    const r = this.records.get(id)
    if (r !== undefined) this.records.set(id, { ...r, lastUsedAtMs: nowMs })
  }
}

/** Entities and windows held in a LiveWindowState; accounts' zones and settings in maps. */
export class MemoryEntityCatalog implements EntityCatalog {
  readonly state = new LiveWindowState()
  readonly accountOf = new Map<string, string>()
  readonly zones = new Map<string, string>()
  readonly campaigns = new Map<string, CampaignSettings>()
  readonly accounts = new Map<string, AccountSettings>()
  forgotten: string[] = []

  constructor(readonly defaultTimeZone = 'UTC') {}

  /** Adds spend etc. to an entity (and its account) at a minute; the day is the account's local day. */
  add(tenant: string, account: string, campaign: string, minuteMs: number, sums: [number, number, number, number, number]): void {
    this.accountOf.set(`${tenant}\u0000${campaign}`, account)
    const day = localDayOf(minuteMs, this.zones.get(`${tenant}\u0000${account}`) ?? this.defaultTimeZone).date
    for (const [level, id] of [['campaign', campaign], ['account', account]] as const) {
      this.state.applyMinute(tenant, level, id, minuteMs, sums, minuteMs)
      this.state.applyDay(tenant, level, id, day, sums, minuteMs)
    }
  }

  async ids(tenant: string, level: ListedLevel): Promise<string[]> {
    return this.state.list(tenant, level)
  }

  async views(tenant: string, level: Level, ids: readonly string[], nowMs: number): Promise<Map<string, EntityView>> {
    const out = new Map<string, EntityView>()
    for (const id of ids) {
      if (!this.state.has(tenant, level, id)) continue
      const account = level === 'account' ? id : this.accountOf.get(`${tenant}\u0000${id}`)
      const timeZone = this.zones.get(`${tenant}\u0000${account}`) ?? this.defaultTimeZone
      const day = localDayOf(nowMs, timeZone)
      out.set(id, { id, account, timeZone, day, windows: this.state.windows(tenant, level, id, nowMs, day.date) })
    }
    return out
  }

  async campaignSettings(tenant: string, ids: readonly string[]): Promise<Map<string, CampaignSettings>> {
    return new Map(ids.map((id) => [id, this.campaigns.get(`${tenant}\u0000${id}`) ?? {}]))
  }
  async setCampaignSettings(tenant: string, id: string, s: CampaignSettings): Promise<void> {
    this.campaigns.set(`${tenant}\u0000${id}`, { ...this.campaigns.get(`${tenant}\u0000${id}`), ...s })
  }
  async accountSettings(tenant: string, id: string): Promise<AccountSettings> {
    return this.accounts.get(`${tenant}\u0000${id}`) ?? {}
  }
  async setAccountSettings(tenant: string, id: string, s: AccountSettings): Promise<void> {
    this.accounts.set(`${tenant}\u0000${id}`, { ...this.accounts.get(`${tenant}\u0000${id}`), ...s })
    if (s.timeZone !== undefined) this.zones.set(`${tenant}\u0000${id}`, s.timeZone)
  }
  forgetSettings(tenant: string): void {
    this.forgotten.push(tenant)
  }
}

/** Series from rows given per tenant/level/entity: `[bucketSec, impressions, clicks, spend, conversions, revenue]`. */
export class MemorySeriesReader implements TimeSeriesReader {
  readonly rows = new Map<string, Array<[number, number, number, number, number, number]>>()
  readonly queries: SeriesQuery[] = []
  async read(q: SeriesQuery): Promise<TimeSeriesDto> {
    this.queries.push(q)
    const rows = (this.rows.get(`${q.tenant}\u0000${q.level}\u0000${q.entity}`) ?? []).map(([bucket, impressions, clicks, spend_micros, conversions, revenue_micros]) => ({ bucket, impressions, clicks, spend_micros, conversions, revenue_micros }))
    return fillBuckets(q, rows)
  }
  async exists(tenant: string, level: Level, entity: string): Promise<boolean> {
    return this.rows.has(`${tenant}\u0000${level}\u0000${entity}`)
  }
}

export class MemoryDeadLetterStore implements DeadLetterStore {
  /** Rows per tenant. */
  readonly rows = new Map<string, DeadLetterRow[]>()
  readonly claims = new Set<string>()
  async list(tenant: string, f: DeadLetterFilter, page: { limit: number; offset: number }): Promise<{ items: DeadLetterRow[]; total: number }> {
    const all = this.matching(tenant, f).sort((a, b) => b.arrivedAtMs - a.arrivedAtMs)
    return { items: all.slice(page.offset, page.offset + page.limit), total: all.length }
  }
  async countByCode(tenant: string, f: DeadLetterFilter): Promise<Array<{ code: string; count: number }>> {
    const counts = new Map<string, number>()
    for (const r of this.matching(tenant, f)) counts.set(r.code, (counts.get(r.code) ?? 0) + 1)
    return [...counts].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count)
  }
  async get(tenant: string, keys: readonly DeadLetterKey[]): Promise<DeadLetterRow[]> {
    const wanted = new Set(keys.map(idOf))
    return (this.rows.get(tenant) ?? []).filter((r) => wanted.has(idOf(r)))
  }
  async claimReplay(tenant: string, key: DeadLetterKey): Promise<boolean> {
    const k = `${tenant}\u0000${idOf(key)}`
    if (this.claims.has(k)) return false
    this.claims.add(k)
    return true
  }
  async releaseReplay(tenant: string, key: DeadLetterKey): Promise<void> {
    this.claims.delete(`${tenant}\u0000${idOf(key)}`)
  }
  async markReplayed(tenant: string, keys: readonly DeadLetterKey[], by: string, nowMs: number): Promise<void> {
    const ids = new Set(keys.map(idOf))
    this.rows.set(tenant, (this.rows.get(tenant) ?? []).map((r) => (ids.has(idOf(r)) ? { ...r, replayedAtMs: nowMs, replayedBy: by } : r)))
  }
  private matching(tenant: string, f: DeadLetterFilter): DeadLetterRow[] {
    return (this.rows.get(tenant) ?? []).filter((r) => (f.code === undefined || r.code === f.code) && (f.fromMs === undefined || r.arrivedAtMs >= f.fromMs) && (f.toMs === undefined || r.arrivedAtMs < f.toMs))
  }
}

/** Records what was put; `fail` makes the next puts throw. */
export class RecordingEventWriter implements EventWriter {
  readonly puts: PutInput[][] = []
  fail: Error | undefined
  async put(records: readonly PutInput[]): Promise<void> {
    if (this.fail !== undefined) throw this.fail
    this.puts.push([...records])
  }
}

/** A dead letter row for tests. */
export function deadLetter(over: Partial<DeadLetterRow> & { pos: string; raw: string }): DeadLetterRow {
  const { raw, ...rest } = over
  return {
    stream: 'adwatch-events',
    shard: 'shardId-000000000000',
    sequenceNumber: '4955',
    subSequence: 0,
    partitionKey: 'acme/c1',
    code: 'unknown_tenant',
    reason: 'tenant "acme" is not registered',
    rawBase64: Buffer.from(raw).toString('base64'),
    arrivedAtMs: Date.parse('2026-03-10T11:00:00Z'),
    replayedAtMs: undefined,
    replayedBy: undefined,
    ...rest,
  }
}
