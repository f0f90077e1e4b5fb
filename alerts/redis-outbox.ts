import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { RedisKeys } from '../stream/redis-keys.ts'
import { AlertNotFoundError } from './errors.ts'
import type { Notification } from './notifiers/notifier.ts'
import { RedisStreamGroup } from './redis-stream-group.ts'
import type { PendingNotification } from './stages/stage.ts'

/** Consumer group of the notifiers on each tenant's outbox. */
export const OUTBOX_GROUP = 'notifiers'

/** A notification that failed for good, as the dead-letter list keeps it. */
export interface DeadLetteredNotification {
  readonly id: string
  readonly notification: Notification
  readonly attempts: number
  readonly code: string
  readonly error: string
  readonly atMs: number
}

/**
 * The durable notification outbox of a tenant: a Redis stream read by the `notifiers`
 * consumer group. An entry is acknowledged and deleted once delivered, or moved to the
 * tenant's capped dead-letter list; until then it stays pending, so a crashed process's
 * entries are claimed by the next lease holder and sent in order.
 */
export class RedisOutbox {
  private readonly keys: RedisKeys
  private readonly group: RedisStreamGroup

  constructor(private readonly redis: Redis, keyPrefix: string, consumer: string, private readonly deadLetterMax: number) {
    this.keys = new RedisKeys(keyPrefix)
    this.group = new RedisStreamGroup(redis, OUTBOX_GROUP, consumer)
  }

  async ensureGroup(tenant: string): Promise<void> {
    await this.group.ensure(this.keys.alertOutbox(tenant))
  }

  /** Every pending notification of the tenant (a previous holder's included), oldest first. */
  async claimAll(tenant: string): Promise<Notification[]> {
    return (await this.group.claimAll(this.keys.alertOutbox(tenant))).map((e) => toNotification(e.id, e.fields))
  }

  /** Notifications not read before, oldest first. */
  async readNew(tenant: string, count: number): Promise<Notification[]> {
    return (await this.group.readNew(this.keys.alertOutbox(tenant), count)).map((e) => toNotification(e.id, e.fields))
  }

  /** A delivered notification leaves the outbox. */
  async ack(tenant: string, id: string): Promise<void> {
    const key = this.keys.alertOutbox(tenant)
    await this.redis.multi().xack(key, OUTBOX_GROUP, id).xdel(key, id).exec()
  }

  /** Moves a notification to the dead-letter list (newest first, capped) and out of the outbox. */
  async deadLetter(tenant: string, d: Omit<DeadLetteredNotification, 'id'>): Promise<void> {
    const key = this.keys.alertOutbox(tenant)
    const dead = this.keys.alertDeadLetters(tenant)
    const entry: DeadLetteredNotification = { id: randomUUID(), ...d }
    await this.redis.multi().lpush(dead, JSON.stringify(entry)).ltrim(dead, 0, this.deadLetterMax - 1).xack(key, OUTBOX_GROUP, d.notification.id).xdel(key, d.notification.id).exec()
  }

  /** Dead-lettered notifications, newest first. */
  async deadLetters(tenant: string, offset = 0, limit = 100): Promise<DeadLetteredNotification[]> {
    const raw = await this.redis.lrange(this.keys.alertDeadLetters(tenant), offset, offset + limit - 1)
    return raw.map((r) => JSON.parse(r) as DeadLetteredNotification)
  }

  /** Puts a dead-lettered notification back into the outbox (after its receiver was fixed). */
  async replayDeadLetter(tenant: string, id: string): Promise<string> {
    const dead = this.keys.alertDeadLetters(tenant)
    const raw = (await this.redis.lrange(dead, 0, -1)).find((r) => (JSON.parse(r) as DeadLetteredNotification).id === id)
    if (raw === undefined) throw new AlertNotFoundError(`dead-lettered notification ${id}`)
    const { notification } = JSON.parse(raw) as DeadLetteredNotification
    const { id: _old, ...pending } = notification
    const res = await this.redis.multi().lrem(dead, 1, raw).xadd(this.keys.alertOutbox(tenant), '*', 'n', JSON.stringify(pending)).exec()
    return String(res?.[1]?.[1] ?? '')
  }

  /** Notifications in the outbox (queued or being retried). */
  async depth(tenant: string): Promise<number> {
    return this.redis.xlen(this.keys.alertOutbox(tenant))
  }
}

function toNotification(id: string, fields: Readonly<Record<string, string>>): Notification {
  const n = JSON.parse(fields.n ?? '{}') as PendingNotification
  return { ...n, id }
}
