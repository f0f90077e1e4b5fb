import type { Redis } from 'ioredis'
import type { Level } from '../stream/event.ts'
import { RedisKeys } from '../stream/redis-keys.ts'

/** What the fold recorded about an entity (stream/redis-counter-store.ts writes it). */
export interface EntityMeta {
  readonly platform: string
  readonly account: string
  readonly campaign: string
  readonly adset: string
}

/** Entity metadata from Redis, cached; unknown entities are fetched in one pipeline per call. */
export class EntityMetaCache {
  private readonly keys: RedisKeys
  private readonly cache = new Map<string, EntityMeta>()

  constructor(private readonly redis: Redis, keyPrefix: string) {
    this.keys = new RedisKeys(keyPrefix)
  }

  /** Metadata of the given entities (fetching only those not cached yet). */
  async get(tenant: string, level: Level, entities: readonly string[]): Promise<Map<string, EntityMeta>> {
    const missing = entities.filter((e) => !this.cache.has(cacheKey(tenant, level, e)))
    if (missing.length > 0) {
      const res = (await this.redis.pipeline(missing.map((e) => ['hmget', this.keys.entityMeta(tenant, level, e), 'platform', 'account', 'campaign', 'adset'])).exec()) ?? []
      missing.forEach((e, i) => {
        const [platform, account, campaign, adset] = ((res[i]?.[1] as (string | null)[] | null) ?? []).map((v) => v ?? '')
        if (platform === '' && account === '') return // not written yet: ask again next time
        this.cache.set(cacheKey(tenant, level, e), {
          platform: platform ?? '',
          account: level === 'account' ? e : (account ?? ''),
          campaign: level === 'campaign' ? e : (campaign ?? ''),
          adset: level === 'adset' ? e : (adset ?? ''),
        })
      })
      if (this.cache.size > 1_000_000) this.cache.clear()
    }
    const out = new Map<string, EntityMeta>()
    for (const e of entities) {
      const m = this.cache.get(cacheKey(tenant, level, e))
      if (m !== undefined) out.set(e, m)
    }
    return out
  }
}

function cacheKey(tenant: string, level: Level, entity: string): string {
  return `${tenant}\u0000${level}\u0000${entity}`
}
