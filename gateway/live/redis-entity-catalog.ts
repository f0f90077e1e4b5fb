import type { Redis } from 'ioredis'
import { EntitySettingsStore, type AccountSettings, type CampaignSettings } from '../../stream/entity-settings.ts'
import type { Level } from '../../stream/event.ts'
import type { MetricSums } from '../../stream/fold.ts'
import { METRIC_FIELDS, RedisKeys } from '../../stream/redis-keys.ts'
import type { EntityCatalog, EntityView, ListedLevel } from '../deps.ts'
import type { LiveView } from './live-view.ts'

/** Entities count as the tenant's while their last change is this recent (the active sets' TTL). */
const ACTIVE_FOR_MS = 7 * 86_400_000
/** Settings and the windows of entities not held in memory are cached this long. */
const CACHE_MS = 5_000
/** A tenant's entity ids are re-read this often: a new campaign shows up in lists within a second. */
const IDS_CACHE_MS = 1_000
/** A tenant with more active campaigns than this has its settings read per campaign, not as a whole. */
const TENANT_SETTINGS_MAX = 20_000
const ZERO: MetricSums = [0, 0, 0, 0, 0]

/**
 * The EntityCatalog of a gateway: windows from its LiveView (no Redis call) for entities
 * active in the last two hours, and for older ones "today" from their day-total hash in Redis
 * (their minute windows are empty by then). The tenant's entities are the members of its
 * active sets (and for accounts, those with a time zone set). Settings come from
 * EntitySettingsStore, cached for 5 s and dropped on every change: a tenant's campaign settings
 * are read as a whole (one pipeline for all its active campaigns, shared by every request that
 * waits for it), so reads do not each make a Redis round trip on a cache miss.
 */
export class RedisEntityCatalog implements EntityCatalog {
  private readonly keys: RedisKeys
  private readonly settings: EntitySettingsStore
  private readonly campaignCache = new Map<string, { atMs: number; value: CampaignSettings }>()
  private readonly accountCache = new Map<string, { atMs: number; value: AccountSettings }>()
  private readonly coldCache = new Map<string, { atMs: number; view: EntityView | undefined }>()
  private readonly idsCache = new Map<string, { atMs: number; ids: Promise<string[]> }>()
  private readonly tenantCampaignCache = new Map<string, { atMs: number; settings: Promise<Map<string, CampaignSettings> | undefined> }>()

  constructor(
    private readonly redis: Redis,
    keyPrefix: string,
    private readonly live: LiveView,
    readonly defaultTimeZone: string,
    private readonly now: () => number,
  ) {
    this.keys = new RedisKeys(keyPrefix)
    this.settings = new EntitySettingsStore(redis, keyPrefix)
  }

  async ids(tenant: string, level: ListedLevel): Promise<string[]> {
    const now = this.now()
    const key = `${tenant}\u0000${level}`
    const hit = this.idsCache.get(key)
    if (hit !== undefined && now - hit.atMs < IDS_CACHE_MS) return hit.ids
    const ids = this.readIds(tenant, level, now)
    this.idsCache.set(key, { atMs: now, ids })
    ids.catch(() => this.idsCache.delete(key))
    return ids
  }

  private async readIds(tenant: string, level: ListedLevel, nowMs: number): Promise<string[]> {
    const active = await this.redis.zrangebyscore(this.keys.activeEntities(tenant, level), nowMs - ACTIVE_FOR_MS, '+inf')
    if (level !== 'account') return active
    const zoned = await this.redis.hkeys(this.keys.accountTimeZones(tenant))
    return [...new Set([...active, ...zoned])]
  }

  async views(tenant: string, level: Level, ids: readonly string[], nowMs: number): Promise<Map<string, EntityView>> {
    const out = new Map<string, EntityView>()
    const cold: string[] = []
    for (const id of ids) {
      if (this.live.isHeld(tenant, level, id)) out.set(id, this.heldView(tenant, level, id, nowMs))
      else {
        const hit = this.coldCache.get(coldKey(tenant, level, id))
        if (hit !== undefined && nowMs - hit.atMs < CACHE_MS) {
          if (hit.view !== undefined) out.set(id, hit.view)
        } else cold.push(id)
      }
    }
    if (cold.length > 0) for (const [id, view] of await this.coldViews(tenant, level, cold, nowMs)) out.set(id, view)
    // Keep the caller's order.
    return new Map(ids.filter((id) => out.has(id)).map((id) => [id, out.get(id)!]))
  }

  async campaignSettings(tenant: string, ids: readonly string[]): Promise<Map<string, CampaignSettings>> {
    const now = this.now()
    const all = await this.tenantCampaignSettings(tenant, now)
    const out = new Map<string, CampaignSettings>()
    const missing: string[] = []
    for (const id of ids) {
      const whole = all?.get(id)
      if (whole !== undefined) {
        out.set(id, whole)
        continue
      }
      const hit = this.campaignCache.get(`${tenant}\u0000${id}`)
      if (hit !== undefined && now - hit.atMs < CACHE_MS) out.set(id, hit.value)
      else missing.push(id)
    }
    if (missing.length > 0) {
      for (const [id, value] of await this.settings.campaigns(tenant, missing)) {
        this.campaignCache.set(`${tenant}\u0000${id}`, { atMs: now, value })
        out.set(id, value)
      }
    }
    return out
  }

  async setCampaignSettings(tenant: string, id: string, settings: CampaignSettings): Promise<void> {
    await this.settings.setCampaign(tenant, id, settings)
    this.campaignCache.delete(`${tenant}\u0000${id}`)
    this.tenantCampaignCache.delete(tenant)
  }

  /** Settings of all the tenant's active campaigns, read at most once per CACHE_MS; undefined for a very large tenant. */
  private tenantCampaignSettings(tenant: string, nowMs: number): Promise<Map<string, CampaignSettings> | undefined> {
    const hit = this.tenantCampaignCache.get(tenant)
    if (hit !== undefined && nowMs - hit.atMs < CACHE_MS) return hit.settings
    const settings = (async () => {
      const ids = await this.ids(tenant, 'campaign')
      return ids.length > TENANT_SETTINGS_MAX ? undefined : this.settings.campaigns(tenant, ids)
    })()
    this.tenantCampaignCache.set(tenant, { atMs: nowMs, settings })
    settings.catch(() => this.tenantCampaignCache.delete(tenant))
    return settings
  }

  async accountSettings(tenant: string, id: string): Promise<AccountSettings> {
    const now = this.now()
    const hit = this.accountCache.get(`${tenant}\u0000${id}`)
    if (hit !== undefined && now - hit.atMs < CACHE_MS) return hit.value
    const value = await this.settings.account(tenant, id)
    this.accountCache.set(`${tenant}\u0000${id}`, { atMs: now, value })
    return value
  }

  async setAccountSettings(tenant: string, id: string, settings: AccountSettings): Promise<void> {
    await this.settings.setAccount(tenant, id, settings)
    this.forgetSettings(tenant)
    // A new time zone changes what "today" means for the account's entities.
    if (settings.timeZone !== undefined) await this.live.refreshTenants(this.now())
  }

  forgetSettings(tenant: string): void {
    const prefix = `${tenant}\u0000`
    for (const cache of [this.campaignCache, this.accountCache, this.coldCache, this.idsCache]) for (const k of cache.keys()) if (k.startsWith(prefix)) cache.delete(k)
    this.tenantCampaignCache.delete(tenant)
  }

  private heldView(tenant: string, level: Level, id: string, nowMs: number): EntityView {
    const account = level === 'account' ? id : this.live.accountOf(tenant, level, id)
    const timeZone = this.live.timeZoneOf(tenant, account)
    const day = this.live.daySpan(timeZone, nowMs)
    return { id, account, timeZone, day, windows: this.live.windows(tenant, level, id, nowMs, day.date) }
  }

  /** Views of entities not held in memory: membership, account and today's totals from Redis. */
  private async coldViews(tenant: string, level: Level, ids: readonly string[], nowMs: number): Promise<Map<string, EntityView>> {
    const first = this.redis.pipeline()
    for (const id of ids) {
      first.zscore(this.keys.activeEntities(tenant, level), id)
      if (level === 'account') first.hexists(this.keys.accountTimeZones(tenant), id)
      else first.hget(this.keys.entityMeta(tenant, level, id), 'account')
    }
    const res = (await first.exec()) ?? []
    const found: Array<{ id: string; account: string | undefined; timeZone: string; day: EntityView['day'] }> = []
    ids.forEach((id, i) => {
      const score = res[2 * i]?.[1] as string | null
      const second = res[2 * i + 1]?.[1]
      const isActive = score !== null && score !== undefined && Number(score) >= nowMs - ACTIVE_FOR_MS
      const exists = isActive || (level === 'account' && second === 1)
      if (!exists) {
        this.coldCache.set(coldKey(tenant, level, id), { atMs: nowMs, view: undefined })
        return
      }
      const account = level === 'account' ? id : ((second as string | null) ?? undefined)
      const timeZone = this.live.timeZoneOf(tenant, account)
      found.push({ id, account, timeZone, day: this.live.daySpan(timeZone, nowMs) })
    })
    const totals = (await this.redis.pipeline(found.map((f) => ['hmget', this.keys.dayTotals(tenant, level, f.id, f.day.date), ...METRIC_FIELDS])).exec()) ?? []
    const out = new Map<string, EntityView>()
    found.forEach((f, i) => {
      const today = ((totals[i]?.[1] as (string | null)[] | null) ?? []).map((v) => Number(v ?? 0))
      const sums: MetricSums = [today[0] ?? 0, today[1] ?? 0, today[2] ?? 0, today[3] ?? 0, today[4] ?? 0]
      const view: EntityView = { ...f, windows: { '1m': ZERO, '5m': ZERO, '15m': ZERO, '1h': ZERO, today: sums } }
      this.coldCache.set(coldKey(tenant, level, f.id), { atMs: nowMs, view })
      out.set(f.id, view)
    })
    if (this.coldCache.size > 100_000) this.coldCache.clear()
    return out
  }
}

function coldKey(tenant: string, level: Level, id: string): string {
  return `${tenant}\u0000${level}\u0000${id}`
}
