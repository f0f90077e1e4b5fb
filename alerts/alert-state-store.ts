import type { Redis } from 'ioredis'
import { RedisKeys } from '../stream/redis-keys.ts'
import type { AlertState } from './state-machine.ts'

/**
 * Alert states per tenant in Redis (hash fingerprint → JSON), so a restart continues pending
 * timers and firing alerts. Inactive states are deleted. Writes are batched per tick. The
 * rules engine and the detectors keep theirs in separate hashes (`owner`).
 */
export class RedisAlertStateStore {
  private readonly keys: RedisKeys

  constructor(private readonly redis: Redis, keyPrefix: string, private readonly owner: 'rules' | 'detectors' = 'rules') {
    this.keys = new RedisKeys(keyPrefix)
  }

  private key(tenant: string): string {
    return this.owner === 'rules' ? this.keys.alertStates(tenant) : this.keys.detectorAlertStates(tenant)
  }

  /** Every stored (pending or firing) state of a tenant. */
  async load(tenant: string): Promise<Map<string, AlertState>> {
    const raw = await this.redis.hgetall(this.key(tenant))
    return new Map(Object.entries(raw).map(([fp, json]) => [fp, JSON.parse(json) as AlertState]))
  }

  /** Writes changed states in one round trip; inactive ones are removed. */
  async save(tenant: string, changes: ReadonlyMap<string, AlertState>): Promise<void> {
    if (changes.size === 0) return
    const key = this.key(tenant)
    const multi = this.redis.multi()
    for (const [fp, s] of changes) {
      if (s.phase === 'inactive') multi.hdel(key, fp)
      else multi.hset(key, fp, JSON.stringify(s))
    }
    await multi.exec()
  }
}
