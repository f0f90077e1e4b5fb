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
  /** `tenant\u0000level` → entity → metadata. */
  private readonly cache = new Map<string, Map<string, EntityMeta>>()
  private size = 0

  constructor(private readonly redis: Redis, keyPrefix: string) {
    this.keys = new RedisKeys(keyPrefix)
  }

  /**
   * Metadata of the given entities (fetching only those not cached yet), by entity. The map
   * may hold other entities of the tenant and level too; read it before the next call.
   */
  async get(tenant: string, level: Level, entities: readonly string[]): Promise<ReadonlyMap<string, EntityMeta>> {
    const group = `${tenant}\u0000${level}`
    if (this.size > 1_000_000) {
      this.cache.clear() // keeps memory bounded; what is still needed is fetched again below
      this.size = 0
    }
    let cached = this.cache.get(group)
    if (cached === undefined) this.cache.set(group, (cached = new Map()))
    const known = cached
    const missing = entities.filter((e) => !known.has(e))
    if (missing.length > 0) {
      const res = (await this.redis.pipeline(missing.map((e) => ['hmget', this.keys.entityMeta(tenant, level, e), 'platform', 'account', 'campaign', 'adset'])).exec()) ?? []
      missing.forEach((e, i) => {
        const [platform, account, campaign, adset] = ((res[i]?.[1] as (string | null)[] | null) ?? []).map((v) => v ?? '')
        if (platform === '' && account === '') return // not written yet: ask again next time
        known.set(e, {
          platform: platform ?? '',
          account: level === 'account' ? e : (account ?? ''),
          campaign: level === 'campaign' ? e : (campaign ?? ''),
          adset: level === 'adset' ? e : (adset ?? ''),
        })
        this.size++
      })
    }
    return known
  }
}
