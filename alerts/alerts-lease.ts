import type { Redis } from 'ioredis'
import { RedisKeys } from '../stream/redis-keys.ts'
import { runAlertsScript } from './alerts-scripts.ts'

/** How often a send held back by a short lease looks at the lease again. */
export const LEASE_RECHECK_MS = 250

/**
 * How long a send must wait for the lease (DeliveryContext.leaseWaitMs): 0 while the lease,
 * last acquired or renewed by a call made at `sinceMs`, has at least a quarter of its TTL left
 * by this process's clock; else LEASE_RECHECK_MS. So a process that cannot renew (Redis
 * unreachable, the process frozen) stops starting sends about TTL × 3/4 after its last renewal,
 * before the lease can expire and move. Pure.
 */
export function leaseWaitMsOf(sinceMs: number, ttlMs: number, nowMs: number): number {
  return sinceMs + ttlMs - nowMs >= ttlMs / 4 ? 0 : LEASE_RECHECK_MS
}

/**
 * Tenant leases of the alerts processes: one process runs a tenant's pipeline, history and
 * deliveries at a time (its commits are fenced by the lease value `owner|token`), several
 * processes share the tenants, and a dead process's tenants move after the TTL.
 */
export class AlertsLeaseManager {
  private readonly keys: RedisKeys

  constructor(private readonly redis: Redis, keyPrefix: string, readonly owner: string, private readonly ttlMs: number) {
    this.keys = new RedisKeys(keyPrefix)
  }

  /** Takes a tenant's lease if free (or already this owner's); returns the lease value. */
  async tryAcquire(tenant: string): Promise<string | undefined> {
    const token = await runAlertsScript(this.redis, 'adwAlertsAcquireLease', [this.keys.alertsLease(tenant), this.keys.alertsLeaseToken(tenant)], [this.owner, this.ttlMs])
    return token === null || token === undefined ? undefined : `${this.owner}|${token}`
  }

  /** Extends a held lease; false means it is lost. */
  async renew(tenant: string, value: string): Promise<boolean> {
    return (await runAlertsScript(this.redis, 'adwAlertsRenewLease', [this.keys.alertsLease(tenant)], [value, this.ttlMs])) === 1
  }

  /** Gives a lease up (on shutdown or rebalancing) so another process takes it at once. */
  async release(tenant: string, value: string): Promise<void> {
    await runAlertsScript(this.redis, 'adwAlertsReleaseLease', [this.keys.alertsLease(tenant)], [value])
  }

  /** Records this process as alive; returns how many alerts processes are (itself included). */
  async heartbeat(nowMs: number): Promise<number> {
    const key = this.keys.alertsWorkers()
    const res = await this.redis.multi().zadd(key, nowMs, this.owner).zremrangebyscore(key, '-inf', nowMs - this.ttlMs).zcard(key).expire(key, 86_400).exec()
    return Math.max(1, Number(res?.[2]?.[1] ?? 1))
  }

  /** Leaves the live set (on shutdown), so others rebalance at once. */
  async leave(): Promise<void> {
    await this.redis.zrem(this.keys.alertsWorkers(), this.owner)
  }
}
