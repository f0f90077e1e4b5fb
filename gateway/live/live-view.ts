import type { Redis } from 'ioredis'
import { RedisChangeFeed } from '../../stream/change-feed.ts'
import type { Level } from '../../stream/event.ts'
import { LiveWindowState, type EntityWindows } from '../../stream/live-windows.ts'
import { LocalDayCalendar } from '../../stream/local-day.ts'
import type { TenantDirectory } from '../../stream/tenant-directory.ts'
import { localDayOf, type LocalDay } from '../../rules/zoned-day.ts'

const TENANT_REFRESH_MS = 30_000
const EVICT_EVERY_MS = 60_000
/** Entities without a change for this long have empty minute windows; "today" is read from Redis. */
const IDLE_EVICT_MS = 2 * 3_600_000

/**
 * The gateway's in-memory live windows of every registered tenant, kept in step with Redis by
 * the per-tenant change feed (stream/change-feed.ts). poll() is called on a short interval by
 * the window pusher; reads are synchronous and cost no Redis call.
 */
export class LiveView {
  readonly state = new LiveWindowState()
  private readonly feed: RedisChangeFeed
  private readonly calendar = new LocalDayCalendar()
  private readonly spans = new Map<string, LocalDay>()
  private tenantsAtMs = -Infinity
  private evictedAtMs = -Infinity
  private polling: Promise<void> = Promise.resolve()

  constructor(redis: Redis, keyPrefix: string, private readonly tenants: TenantDirectory) {
    this.feed = new RedisChangeFeed(redis, keyPrefix, this.state, (t, a, ms) => this.calendar.dayOf(ms, tenants.timeZoneOf(t, a)))
  }

  /**
   * Follows new tenants (registered ones are reloaded every 30 s, or at once with
   * `refreshTenants`; a tenant the authenticator just loaded is followed on the next poll),
   * applies the feeds' new entries, and now and then forgets idle entities. Entities changed by
   * this call have `lastChangeMs(...) === nowMs` afterwards. Calls run one at a time: two
   * concurrent reads of a feed would apply its entries twice.
   */
  poll(nowMs: number, refreshTenants = false): Promise<void> {
    const run = this.polling.then(() => this.pollOnce(nowMs, refreshTenants))
    this.polling = run.catch(() => undefined)
    return run
  }

  /** Reloads tenants and account time zones now (after a settings change). */
  async refreshTenants(nowMs: number): Promise<void> {
    await this.poll(nowMs, true)
  }

  private async pollOnce(nowMs: number, refreshTenants: boolean): Promise<void> {
    if (refreshTenants || nowMs - this.tenantsAtMs >= TENANT_REFRESH_MS) {
      this.tenantsAtMs = nowMs
      await this.tenants.refresh()
    }
    const followed = new Set(this.feed.tenants())
    for (const t of this.tenants.list()) if (!followed.has(t)) await this.feed.start(t, nowMs)
    await this.feed.poll(nowMs)
    if (nowMs - this.evictedAtMs >= EVICT_EVERY_MS) {
      this.evictedAtMs = nowMs
      this.state.evictIdle(nowMs - IDLE_EVICT_MS)
    }
  }

  /** True when the entity's windows are held in memory. */
  isHeld(tenant: string, level: Level, id: string): boolean {
    return this.state.has(tenant, level, id)
  }

  /** Time the entity last changed (ms), when held. */
  lastChangeMs(tenant: string, level: Level, id: string): number | undefined {
    return this.state.lastChangeMs(tenant, level, id)
  }

  /** The account of a held entity. */
  accountOf(tenant: string, level: Level, id: string): string | undefined {
    return this.feed.account(tenant, level, id)
  }

  /** An account's time zone (the default when none is set). */
  timeZoneOf(tenant: string, account: string | undefined): string {
    return this.tenants.timeZoneOf(tenant, account ?? '')
  }

  /** The local day of `timeZone` containing `nowMs`, cached until it ends. */
  daySpan(timeZone: string, nowMs: number): LocalDay {
    const hit = this.spans.get(timeZone)
    if (hit !== undefined && nowMs >= hit.startMs && nowMs < hit.endMs) return hit
    const span = localDayOf(nowMs, timeZone)
    this.spans.set(timeZone, span)
    return span
  }

  /** Windows of a held entity; "today" is the local date `today`. */
  windows(tenant: string, level: Level, id: string, nowMs: number, today: string): EntityWindows {
    return this.state.windows(tenant, level, id, nowMs, today)
  }
}
