import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { RedisKeys } from '../stream/redis-keys.ts'
import { AlertNotFoundError } from './errors.ts'
import { silenceState, validateSilenceInput, type Silence, type SilenceInput, type SilenceState } from './silence.ts'

/** How long an expired silence stays listed before it is pruned. */
export const EXPIRED_SILENCE_RETENTION_MS = 7 * 86_400_000

/**
 * A tenant's silences in Redis (hash id → JSON), for the gateway and the alerts process.
 * Every change bumps the tenant's alerts revision, so the pipeline reloads within a tick.
 * Silences expire by themselves at their end; expired ones are pruned after 7 days.
 */
export class RedisSilenceStore {
  private readonly keys: RedisKeys

  constructor(private readonly redis: Redis, keyPrefix: string, private readonly now: () => number) {
    this.keys = new RedisKeys(keyPrefix)
  }

  /** Validates and stores a new silence (ADW_ALERT_SILENCE_INVALID names the bad field). */
  async create(tenant: string, input: SilenceInput): Promise<Silence> {
    const nowMs = this.now()
    validateSilenceInput(input, nowMs)
    const s: Silence = {
      id: randomUUID(),
      matchers: input.matchers.map((m) => ({ name: m.name, op: m.op, value: m.value })),
      startsAtMs: input.startsAtMs ?? nowMs,
      endsAtMs: input.endsAtMs,
      author: input.author.trim(),
      comment: input.comment ?? '',
      createdAtMs: nowMs,
      updatedAtMs: nowMs,
    }
    await this.redis.multi().hset(this.keys.silences(tenant), s.id, JSON.stringify(s)).incr(this.keys.alertsRevision(tenant)).exec()
    return s
  }

  /** Ends a silence now (a pending one never starts). */
  async expire(tenant: string, id: string): Promise<Silence> {
    const s = await this.get(tenant, id)
    const nowMs = this.now()
    if (silenceState(s, nowMs) === 'expired') return s
    const ended: Silence = { ...s, startsAtMs: Math.min(s.startsAtMs, nowMs), endsAtMs: nowMs, updatedAtMs: nowMs }
    await this.redis.multi().hset(this.keys.silences(tenant), id, JSON.stringify(ended)).incr(this.keys.alertsRevision(tenant)).exec()
    return ended
  }

  async get(tenant: string, id: string): Promise<Silence> {
    const raw = await this.redis.hget(this.keys.silences(tenant), id)
    if (raw === null) throw new AlertNotFoundError(`silence ${id}`)
    return JSON.parse(raw) as Silence
  }

  /** The tenant's silences with their state, newest first; prunes long-expired ones. */
  async list(tenant: string): Promise<Array<Silence & { state: SilenceState }>> {
    const nowMs = this.now()
    const all = Object.values(await this.redis.hgetall(this.keys.silences(tenant))).map((r) => JSON.parse(r) as Silence)
    const stale = all.filter((s) => nowMs - s.endsAtMs > EXPIRED_SILENCE_RETENTION_MS).map((s) => s.id)
    if (stale.length > 0) await this.redis.hdel(this.keys.silences(tenant), ...stale)
    return all
      .filter((s) => !stale.includes(s.id))
      .sort((a, b) => b.createdAtMs - a.createdAtMs)
      .map((s) => ({ ...s, state: silenceState(s, nowMs) }))
  }

  /** Silences not yet expired (what the pipeline applies); prunes long-expired ones. */
  async current(tenant: string): Promise<Silence[]> {
    const nowMs = this.now()
    const all = Object.values(await this.redis.hgetall(this.keys.silences(tenant))).map((r) => JSON.parse(r) as Silence)
    const stale = all.filter((s) => nowMs - s.endsAtMs > EXPIRED_SILENCE_RETENTION_MS).map((s) => s.id)
    if (stale.length > 0) await this.redis.hdel(this.keys.silences(tenant), ...stale)
    return all.filter((s) => silenceState(s, nowMs) !== 'expired')
  }
}
