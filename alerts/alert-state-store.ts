import type { Redis } from 'ioredis'
import { RedisKeys } from '../stream/redis-keys.ts'
import type { AlertState } from './state-machine.ts'

/**
 * Alert states per tenant in Redis (hash fingerprint → JSON), so a restart continues pending
 * timers and firing alerts. Inactive states are deleted. Writes are batched per tick.
 */
export class RedisAlertStateStore {
  private readonly keys: RedisKeys

  constructor(private readonly redis: Redis, keyPrefix: string) {
    this.keys = new RedisKeys(keyPrefix)
  }

  /** Every stored (pending or firing) state of a tenant. */
  async load(tenant: string): Promise<Map<string, AlertState>> {
    const raw = await this.redis.hgetall(this.keys.alertStates(tenant))
    return new Map(Object.entries(raw).map(([fp, json]) => [fp, JSON.parse(json) as AlertState]))
  }

  /** Writes changed states in one round trip; inactive ones are removed. */
  async save(tenant: string, changes: ReadonlyMap<string, AlertState>): Promise<void> {
    if (changes.size === 0) return
    const key = this.keys.alertStates(tenant)
    const multi = this.redis.multi()
    for (const [fp, s] of changes) {
      if (s.phase === 'inactive') multi.hdel(key, fp)
      else multi.hset(key, fp, JSON.stringify(s))
    }
    await multi.exec()
  }
}
