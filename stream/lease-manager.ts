import type { Redis } from 'ioredis'
import { RedisKeys, SHARD_STATE_TTL_SEC } from './redis-keys.ts'
import { runScript } from './redis-scripts.ts'

/** A held shard lease; `value` (`owner|token`) is what fenced writes compare against. */
export interface Lease {
  readonly shardId: string
  readonly token: number
  readonly value: string
}

/** Shard leases in Redis with expiry, renewal and fencing tokens, plus worker heartbeats. */
export class RedisLeaseManager {
  private readonly keys: RedisKeys

  constructor(
    private readonly redis: Redis,
    keyPrefix: string,
    private readonly stream: string,
    readonly owner: string,
    private readonly ttlMs: number,
  ) {
    this.keys = new RedisKeys(keyPrefix)
  }

  /** Takes the lease of a shard if nobody holds it; each new lease gets a higher token. */
  async tryAcquire(shardId: string): Promise<Lease | undefined> {
    const token = await runScript(this.redis, 'adwAcquireLease', [this.keys.lease(this.stream, shardId), this.keys.leaseToken(this.stream, shardId)], [this.owner, this.ttlMs, SHARD_STATE_TTL_SEC])
    if (token === null || token === undefined) return undefined
    return { shardId, token: Number(token), value: `${this.owner}|${token}` }
  }

  /** Extends a lease; false means it expired or another worker holds it now. */
  async renew(lease: Lease): Promise<boolean> {
    return (await runScript(this.redis, 'adwRenewLease', [this.keys.lease(this.stream, lease.shardId)], [lease.value, this.ttlMs])) === 1
  }

  /**
   * Extends every lease in one script call (one wait behind whatever Redis is busy with, not
   * one per shard); per lease, false means it expired or another worker holds it now.
   */
  async renewAll(leases: readonly Lease[]): Promise<boolean[]> {
    if (leases.length === 0) return []
    const keys = leases.map((l) => this.keys.lease(this.stream, l.shardId))
    const res = (await runScript(this.redis, 'adwRenewLeases', keys, [this.ttlMs, ...leases.map((l) => l.value)])) as number[]
    return leases.map((_, i) => res[i] === 1)
  }

  /** Gives a lease up so another worker can take the shard at once. */
  async release(lease: Lease): Promise<void> {
    await runScript(this.redis, 'adwReleaseLease', [this.keys.lease(this.stream, lease.shardId)], [lease.value])
  }

  /** Milliseconds the lease has left, or 0 when it is no longer ours. */
  async remainingMs(lease: Lease): Promise<number> {
    const key = this.keys.lease(this.stream, lease.shardId)
    const [[, value], [, pttl]] = (await this.redis.multi().get(key).pttl(key).exec()) as [[unknown, string | null], [unknown, number]]
    return value === lease.value && pttl > 0 ? pttl : 0
  }

  /** Milliseconds each lease has left (0 when it is no longer ours), in one round trip. */
  async remainingMsOf(leases: readonly Lease[]): Promise<number[]> {
    if (leases.length === 0) return []
    const multi = this.redis.multi()
    for (const lease of leases) {
      const key = this.keys.lease(this.stream, lease.shardId)
      multi.get(key).pttl(key)
    }
    const res = (await multi.exec()) ?? []
    return leases.map((lease, i) => {
      const value = res[2 * i]?.[1]
      const pttl = Number(res[2 * i + 1]?.[1] ?? 0)
      return value === lease.value && pttl > 0 ? pttl : 0
    })
  }

  /** Records this worker as alive and returns how many workers are alive (itself included). */
  async heartbeat(nowMs: number): Promise<number> {
    const key = this.keys.workers(this.stream)
    const res = await this.redis
      .multi()
      .zadd(key, nowMs, this.owner)
      .zremrangebyscore(key, '-inf', nowMs - this.ttlMs)
      .zcard(key)
      .expire(key, 86_400)
      .exec()
    return Math.max(1, Number(res?.[2]?.[1] ?? 1))
  }

  /** Removes this worker from the live set (on shutdown), so others rebalance at once. */
  async leave(): Promise<void> {
    await this.redis.zrem(this.keys.workers(this.stream), this.owner)
  }

  /** Marks a closed shard as read to its end, so its children may start. */
  async markDone(shardId: string): Promise<void> {
    await this.redis.set(this.keys.shardDone(this.stream, shardId), '1', 'EX', SHARD_STATE_TTL_SEC)
  }

  /** Which of the given shards are marked done. */
  async doneShards(shardIds: readonly string[]): Promise<Set<string>> {
    if (shardIds.length === 0) return new Set()
    const vals = await this.redis.mget(shardIds.map((s) => this.keys.shardDone(this.stream, s)))
    return new Set(shardIds.filter((_, i) => vals[i] === '1'))
  }
}
