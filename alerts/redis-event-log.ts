import type { Redis } from 'ioredis'
import { RedisKeys } from '../stream/redis-keys.ts'
import type { AlertEvent, AlertEventSink } from './alert-event.ts'

/** Length each tenant's alert event log is trimmed to (approximately) while its readers keep up. */
export const ALERT_EVENT_LOG_MAX = 10_000
/** Bound of a log whose readers are far behind (or cannot tell how far): only then may unread entries go. */
export const ALERT_EVENT_LOG_HARD_MAX = 100_000

/**
 * An AlertEventSink that appends each event to the tenant's Redis stream
 * (`<prefix>:{tenant}:alert-events`), where the alerts process (consumer groups `alerts`,
 * `alerts-history`), the dashboard, the gateway and tests read them. The log is trimmed to
 * about `maxEntries` only while every consumer group is within half of that of its end, so an
 * alerts process that is down or behind does not lose events it has not read; then it may grow
 * to `hardMaxEntries`.
 */
export class RedisAlertEventLog implements AlertEventSink {
  private readonly keys: RedisKeys

  constructor(
    private readonly redis: Redis,
    keyPrefix: string,
    private readonly maxEntries = ALERT_EVENT_LOG_MAX,
    private readonly hardMaxEntries = ALERT_EVENT_LOG_HARD_MAX,
  ) {
    this.keys = new RedisKeys(keyPrefix)
  }

  async submit(events: readonly AlertEvent[]): Promise<void> {
    if (events.length === 0) return
    const keys = [...new Set(events.map((e) => this.keys.alertEvents(e.tenant)))]
    const info = this.redis.pipeline()
    for (const key of keys) info.xinfo('GROUPS', key)
    const groups = (await info.exec()) ?? []
    const maxLen = new Map(keys.map((key, i) => [key, readersKeepUp(groups[i], this.maxEntries / 2) ? this.maxEntries : this.hardMaxEntries]))
    const p = this.redis.pipeline()
    for (const e of events) {
      const key = this.keys.alertEvents(e.tenant)
      p.xadd(key, 'MAXLEN', '~', maxLen.get(key)!, '*', 'event', JSON.stringify(e))
    }
    await p.exec()
  }

  /** Events of a tenant after a stream id ('0' for all), oldest first. */
  async read(tenant: string, afterId = '0', count = 1000): Promise<Array<{ id: string; event: AlertEvent }>> {
    const res = await this.redis.xrange(this.keys.alertEvents(tenant), afterId === '0' ? '-' : `(${afterId}`, '+', 'COUNT', count)
    return res.map(([id, fields]) => ({ id, event: JSON.parse(fields[1] ?? '{}') as AlertEvent }))
  }
}

/**
 * Whether every consumer group of a log (an XINFO GROUPS answer) has fewer than `within`
 * entries not yet read or not yet acknowledged. No log yet, or no groups: nothing to lose.
 * A group whose lag Redis cannot tell counts as behind.
 */
function readersKeepUp(answer: [Error | null, unknown] | undefined, within: number): boolean {
  if (answer === undefined) return false
  const [err, groups] = answer
  if (err !== null) return /no such key/i.test(err.message)
  for (const g of groups as unknown[][]) {
    const f = new Map<string, unknown>()
    for (let i = 0; i + 1 < g.length; i += 2) f.set(String(g[i]), g[i + 1])
    const lag = f.get('lag')
    if (typeof lag !== 'number' || lag + Number(f.get('pending') ?? 0) >= within) return false
  }
  return true
}
