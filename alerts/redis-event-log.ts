import type { Redis } from 'ioredis'
import { RedisKeys } from '../stream/redis-keys.ts'
import type { AlertEvent, AlertEventSink } from './alert-event.ts'

/** Length each tenant's alert event log is trimmed to (approximately). */
export const ALERT_EVENT_LOG_MAX = 10_000

/**
 * An AlertEventSink that appends each event to the tenant's Redis stream
 * (`<prefix>:{tenant}:alert-events`), where the dashboard, the gateway and tests read them.
 */
export class RedisAlertEventLog implements AlertEventSink {
  private readonly keys: RedisKeys

  constructor(private readonly redis: Redis, keyPrefix: string) {
    this.keys = new RedisKeys(keyPrefix)
  }

  async submit(events: readonly AlertEvent[]): Promise<void> {
    if (events.length === 0) return
    const p = this.redis.pipeline()
    for (const e of events) p.xadd(this.keys.alertEvents(e.tenant), 'MAXLEN', '~', ALERT_EVENT_LOG_MAX, '*', 'event', JSON.stringify(e))
    await p.exec()
  }

  /** Events of a tenant after a stream id ('0' for all), oldest first. */
  async read(tenant: string, afterId = '0', count = 1000): Promise<Array<{ id: string; event: AlertEvent }>> {
    const res = await this.redis.xrange(this.keys.alertEvents(tenant), afterId === '0' ? '-' : `(${afterId}`, '+', 'COUNT', count)
    return res.map(([id, fields]) => ({ id, event: JSON.parse(fields[1] ?? '{}') as AlertEvent }))
  }
}
