import type { Redis } from 'ioredis'
import type { Level } from '../stream/event.ts'
import { METRIC_FIELDS, RedisKeys } from '../stream/redis-keys.ts'
import { DetectorStoreError } from './errors.ts'
import { MINUTE_STRIDE } from './features.ts'
import type { LiveSource } from './ports.ts'

const HOUR_MS = 3_600_000
// Fields of a minute in the minute-bucket hash, in MINUTE_STRIDE order: impressions, clicks, spend, conversions.
const FIELDS = [METRIC_FIELDS[0], METRIC_FIELDS[1], METRIC_FIELDS[2], METRIC_FIELDS[3]]

/**
 * Live minute data from the Redis keys the consumer writes (docs/stores.md): the tenant set,
 * the active-entity sorted sets, entity metadata and the per-hour minute-bucket hashes. Every
 * read is one round trip (one command or one pipeline).
 */
export class RedisLiveSource implements LiveSource {
  private readonly keys: RedisKeys

  constructor(private readonly redis: Redis, keyPrefix: string) {
    this.keys = new RedisKeys(keyPrefix)
  }

  async tenants(): Promise<string[]> {
    return this.wrap('read tenants', () => this.redis.smembers(this.keys.tenants()))
  }

  async activeEntities(tenant: string, level: Level, sinceMs: number): Promise<string[]> {
    return this.wrap(`read active ${level} entities of ${tenant}`, () => this.redis.zrangebyscore(this.keys.activeEntities(tenant, level), sinceMs, '+inf'))
  }

  async accounts(tenant: string, level: Level, entities: readonly string[]): Promise<Map<string, string>> {
    if (level === 'account') return new Map(entities.map((e) => [e, e]))
    const p = this.redis.pipeline()
    for (const e of entities) p.hget(this.keys.entityMeta(tenant, level, e), 'account')
    const res = await this.wrap(`read ${level} metadata of ${tenant}`, () => p.exec())
    return new Map(entities.map((e, i) => [e, String((res?.[i]?.[1] as string | null) ?? '')]))
  }

  async readMinutes(tenant: string, level: Level, requests: ReadonlyArray<{ entity: string; fromMs: number; toMs: number }>): Promise<Float64Array[]> {
    const p = this.redis.pipeline()
    // Per request: the hour hashes it spans and, per hash, the first minute index it fills.
    const plan: Array<Array<{ offset: number; count: number }>> = []
    for (const r of requests) {
      const parts: Array<{ offset: number; count: number }> = []
      for (let hour = r.fromMs - (r.fromMs % HOUR_MS); hour < r.toMs; hour += HOUR_MS) {
        const from = Math.max(r.fromMs, hour)
        const to = Math.min(r.toMs, hour + HOUR_MS)
        const fields: string[] = []
        for (let m = from; m < to; m += 60_000) {
          const minute = (m - hour) / 60_000
          for (const f of FIELDS) fields.push(`${minute}:${f}`)
        }
        if (fields.length === 0) continue
        p.hmget(this.keys.minuteBuckets(tenant, level, r.entity, hour), ...fields)
        parts.push({ offset: (from - r.fromMs) / 60_000, count: (to - from) / 60_000 })
      }
      plan.push(parts)
    }
    const res = await this.wrap(`read minute buckets of ${requests.length} ${level} entities of ${tenant}`, () => p.exec())
    let reply = 0
    return requests.map((r, i) => {
      const out = new Float64Array(((r.toMs - r.fromMs) / 60_000) * MINUTE_STRIDE)
      for (const part of plan[i] ?? []) {
        const [err, values] = res?.[reply++] ?? [null, []]
        if (err) throw new DetectorStoreError(`read minute buckets of ${tenant}/${level}/${r.entity}: ${err.message}`, { cause: err })
        const v = values as Array<string | null>
        for (let k = 0; k < part.count; k++) {
          const b = (part.offset + k) * MINUTE_STRIDE
          out[b] = Number(v[k * 4] ?? 0)
          out[b + 1] = Number(v[k * 4 + 1] ?? 0)
          out[b + 2] = Number(v[k * 4 + 2] ?? 0) / 1e6
          out[b + 3] = Number(v[k * 4 + 3] ?? 0)
        }
      }
      return out
    })
  }

  private async wrap<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw new DetectorStoreError(`Redis: ${what}: ${(err as Error).message}`, { cause: err })
    }
  }
}
