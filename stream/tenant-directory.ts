import type { Redis } from 'ioredis'
import { RedisKeys } from './redis-keys.ts'

/**
 * Registered tenants and their accounts' time zones, cached in memory and refreshed from
 * Redis. Registration is `SADD <prefix>:tenants <tenant>`; time zones live in one hash per
 * tenant (account → IANA zone). Write them with registerTenants and EntitySettingsStore.setAccount.
 */
export class TenantDirectory {
  private readonly keys: RedisKeys
  private tenants = new Set<string>()
  private zones = new Map<string, Map<string, string>>()
  private lastRefreshMs = -Infinity

  constructor(private readonly redis: Redis, keyPrefix: string, private readonly defaultTimeZone: string, private readonly now: () => number) {
    this.keys = new RedisKeys(keyPrefix)
  }

  /** Registered tenants as of the last refresh. */
  known(): string[] {
    return [...this.tenants]
  }

  isKnown(tenant: string): boolean {
    return this.tenants.has(tenant)
  }

  /** The registered tenants, as last loaded. */
  list(): string[] {
    return [...this.tenants]
  }

  /** The account's time zone, or the default when it has none set. */
  timeZoneOf(tenant: string, account: string): string {
    return this.zones.get(tenant)?.get(account) ?? this.defaultTimeZone
  }

  /**
   * Reloads tenants and time zones unless a refresh ran less than `minIntervalMs` ago.
   * Returns true when it reloaded.
   */
  async refresh(minIntervalMs = 0): Promise<boolean> {
    if (this.now() - this.lastRefreshMs < minIntervalMs) return false
    this.lastRefreshMs = this.now()
    const tenants = await this.redis.smembers(this.keys.tenants())
    const pipeline = this.redis.pipeline()
    for (const t of tenants) pipeline.hgetall(this.keys.accountTimeZones(t))
    const res = (await pipeline.exec()) ?? []
    this.zones = new Map(tenants.map((t, i) => [t, new Map(Object.entries((res[i]?.[1] as Record<string, string> | null) ?? {}))]))
    this.tenants = new Set(tenants)
    return true
  }
}

/** Registers tenants so their events are accepted. */
export async function registerTenants(redis: Redis, keyPrefix: string, tenants: readonly string[]): Promise<void> {
  if (tenants.length > 0) await redis.sadd(new RedisKeys(keyPrefix).tenants(), ...tenants)
}

