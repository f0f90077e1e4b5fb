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

  /**
   * Writes changed states in one round trip, atomically: one HSET of the open ones and one
   * HDEL of the inactive ones (not a command per state).
   */
  async save(tenant: string, changes: ReadonlyMap<string, AlertState>): Promise<void> {
    if (changes.size === 0) return
    const key = this.key(tenant)
    const set: string[] = []
    const del: string[] = []
    for (const [fp, s] of changes) {
      if (s.phase === 'inactive') del.push(fp)
      else set.push(fp, JSON.stringify(s))
    }
    const multi = this.redis.multi()
    if (set.length > 0) multi.hset(key, ...set)
    if (del.length > 0) multi.hdel(key, ...del)
    await multi.exec()
  }
}
