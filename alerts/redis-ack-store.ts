import type { Redis } from 'ioredis'
import { RedisKeys } from '../stream/redis-keys.ts'
import type { Acknowledgement, Alert } from './alert.ts'
import { AlertNotFoundError, SilenceInvalidError } from './errors.ts'

/**
 * Acknowledgements in Redis (hash fingerprint → JSON): an acknowledged alert gets no more
 * repeats until it resolves (the pipeline drops the acknowledgement then). Only a firing
 * alert can be acknowledged, and only its current firing episode is.
 */
export class RedisAckStore {
  private readonly keys: RedisKeys

  constructor(private readonly redis: Redis, keyPrefix: string, private readonly now: () => number) {
    this.keys = new RedisKeys(keyPrefix)
  }

  async acknowledge(tenant: string, fingerprint: string, by: { author: string; comment?: string }): Promise<Acknowledgement> {
    if (typeof by.author !== 'string' || by.author.trim() === '') throw new SilenceInvalidError('author', 'who acknowledges is required')
    const raw = await this.redis.hget(this.keys.alerts(tenant), fingerprint)
    if (raw === null) throw new AlertNotFoundError(`alert ${fingerprint}`)
    const alert = JSON.parse(raw) as Alert
    if (alert.status !== 'firing') throw new SilenceInvalidError('fingerprint', `alert ${fingerprint} is ${alert.status}; only a firing alert can be acknowledged`)
    const ack: Acknowledgement = { fingerprint, startsAtMs: alert.startsAtMs, author: by.author.trim(), comment: by.comment ?? '', atMs: this.now() }
    await this.redis.multi().hset(this.keys.alertAcks(tenant), fingerprint, JSON.stringify(ack)).incr(this.keys.alertsRevision(tenant)).exec()
    return ack
  }

  /** Withdraws an acknowledgement: repeats resume. */
  async unacknowledge(tenant: string, fingerprint: string): Promise<void> {
    const [[, removed] = []] = ((await this.redis.multi().hdel(this.keys.alertAcks(tenant), fingerprint).incr(this.keys.alertsRevision(tenant)).exec()) ?? []) as Array<[unknown, number]>
    if (removed === 0) throw new AlertNotFoundError(`acknowledgement of alert ${fingerprint}`)
  }

  async list(tenant: string): Promise<Acknowledgement[]> {
    return Object.values(await this.redis.hgetall(this.keys.alertAcks(tenant))).map((r) => JSON.parse(r) as Acknowledgement)
  }
}
