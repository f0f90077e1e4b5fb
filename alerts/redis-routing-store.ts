import type { Redis } from 'ioredis'
import { RedisKeys } from '../stream/redis-keys.ts'
import type { ConfigProblem } from './errors.ts'
import { parseRoutingConfig, validateRoutingConfig, type RoutingConfig, type RoutingValidationOptions } from './routing-config.ts'

/** A stored routing config with its version bookkeeping. */
export interface StoredRoutingConfig {
  readonly config: RoutingConfig
  readonly version: number
  readonly author: string
  readonly savedAtMs: number
}

/**
 * Each tenant's routing config in Redis (hash json, version, author, saved_at_ms). `put`
 * validates first (ADW_ALERT_ROUTING_INVALID with JSON paths) and bumps the alerts revision,
 * so the alerts process rebuilds its notifiers within a tick.
 */
export class RedisRoutingStore {
  private readonly keys: RedisKeys

  constructor(private readonly redis: Redis, keyPrefix: string, private readonly now: () => number, private readonly validation: RoutingValidationOptions) {
    this.keys = new RedisKeys(keyPrefix)
  }

  /** Problems of a config, without saving it (for editors that validate as you type). */
  validate(input: unknown): ConfigProblem[] {
    return validateRoutingConfig(input, this.validation)
  }

  async get(tenant: string): Promise<StoredRoutingConfig | undefined> {
    const h = await this.redis.hgetall(this.keys.alertRouting(tenant))
    if (h.json === undefined) return undefined
    return { config: JSON.parse(h.json) as RoutingConfig, version: Number(h.version ?? 0), author: h.author ?? '', savedAtMs: Number(h.saved_at_ms ?? 0) }
  }

  async put(tenant: string, input: unknown, author: string): Promise<StoredRoutingConfig> {
    const config = parseRoutingConfig(input, this.validation)
    const key = this.keys.alertRouting(tenant)
    const savedAtMs = this.now()
    const res = await this.redis.multi().hincrby(key, 'version', 1).hset(key, 'json', JSON.stringify(config), 'author', author, 'saved_at_ms', savedAtMs).incr(this.keys.alertsRevision(tenant)).exec()
    return { config, version: Number(res?.[0]?.[1] ?? 0), author, savedAtMs }
  }

  /** Drops the tenant's config: the default receiver (ADW_ALERTS_DEFAULT_RECEIVER) applies again. */
  async remove(tenant: string): Promise<void> {
    const key = this.keys.alertRouting(tenant)
    await this.redis.multi().hdel(key, 'json', 'author', 'saved_at_ms').hincrby(key, 'version', 1).incr(this.keys.alertsRevision(tenant)).exec()
  }

  /** The version counter (bumped on every put and remove); 0 for a tenant that never had one. */
  async version(tenant: string): Promise<number> {
    return Number((await this.redis.hget(this.keys.alertRouting(tenant), 'version')) ?? 0)
  }
}
