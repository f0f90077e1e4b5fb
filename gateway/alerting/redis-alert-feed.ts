import type { Redis } from 'ioredis'
import { RedisAlertEventLog, type AlertEvent } from '../../alerts/index.ts'
import { RedisKeys } from '../../stream/redis-keys.ts'
import type { AlertEventFeed } from './alerting-stores.ts'

/** The tenants' alert event logs in Redis: the alerts part's RedisAlertEventLog, plus where each ends. */
export class RedisAlertFeed implements AlertEventFeed {
  private readonly log: RedisAlertEventLog
  private readonly keys: RedisKeys

  constructor(private readonly redis: Redis, keyPrefix: string) {
    this.log = new RedisAlertEventLog(redis, keyPrefix)
    this.keys = new RedisKeys(keyPrefix)
  }

  async tail(tenant: string): Promise<string> {
    const [last] = await this.redis.xrevrange(this.keys.alertEvents(tenant), '+', '-', 'COUNT', 1)
    return last?.[0] ?? '0-0'
  }

  read(tenant: string, afterId: string, count: number): Promise<Array<{ id: string; event: AlertEvent }>> {
    return this.log.read(tenant, afterId, count)
  }
}
