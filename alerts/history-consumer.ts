import type { Redis } from 'ioredis'
import type { Logger } from '../core/log.ts'
import { RedisKeys } from '../stream/redis-keys.ts'
import type { AlertEvent } from './alert-event.ts'
import { historyRowOf, type ClickHouseAlertHistory } from './clickhouse-alert-history.ts'
import { RedisStreamGroup, type StreamEntry } from './redis-stream-group.ts'

/** Consumer group of the history writer on each tenant's alert event log. */
export const HISTORY_GROUP = 'alerts-history'
const BATCH = 2_000

/**
 * Writes every transition of a tenant's alert event log to ClickHouse `alert_history`,
 * through its own consumer group: a ClickHouse outage delays history, never notifications;
 * a batch is acknowledged only after its insert, and a batch inserted twice (a crash between
 * insert and acknowledgement) collapses by event id.
 */
export class AlertHistoryConsumer {
  private readonly keys: RedisKeys
  private readonly group: RedisStreamGroup
  private backlog: StreamEntry[] = []
  private failingSinceMs: number | undefined

  constructor(redis: Redis, keyPrefix: string, consumer: string, readonly tenant: string, private readonly history: ClickHouseAlertHistory, private readonly log: Logger) {
    this.keys = new RedisKeys(keyPrefix)
    this.group = new RedisStreamGroup(redis, HISTORY_GROUP, consumer)
  }

  /** Creates the group and takes over what a previous holder left pending. */
  async start(): Promise<void> {
    const key = this.keys.alertEvents(this.tenant)
    await this.group.ensure(key)
    this.backlog = await this.group.claimAll(key)
  }

  /** Writes the next batch; returns how many transitions were written. */
  async run(nowMs: number): Promise<number> {
    const key = this.keys.alertEvents(this.tenant)
    if (this.backlog.length === 0) this.backlog = await this.group.readNew(key, BATCH)
    if (this.backlog.length === 0) return 0
    const rows = this.backlog.flatMap((e) => {
      try {
        return [historyRowOf(e.id, JSON.parse(e.fields.event ?? '') as AlertEvent)]
      } catch {
        this.log.warn({ tenant: this.tenant, entry: e.id }, 'alert event log entry is not an alert event; skipped')
        return []
      }
    })
    try {
      await this.history.insertTransitions(rows, nowMs)
    } catch (err) {
      if (this.failingSinceMs === undefined) {
        this.failingSinceMs = nowMs
        this.log.warn({ tenant: this.tenant, err: (err as Error).message }, 'alert history write failed; retrying (notifications go on)')
      }
      return 0
    }
    if (this.failingSinceMs !== undefined) this.log.info({ tenant: this.tenant, afterMs: nowMs - this.failingSinceMs }, 'alert history writes recovered')
    this.failingSinceMs = undefined
    await this.group.ack(key, this.backlog.map((e) => e.id))
    const n = this.backlog.length
    this.backlog = []
    return n
  }
}
