import type { Redis } from 'ioredis'
import { RedisKeys } from '../stream/redis-keys.ts'
import { DetectorStoreError } from './errors.ts'
import type { DetectorSettingsSource, LeaderLease } from './ports.ts'

/**
 * Per-tenant detector settings in Redis (`RedisKeys.detectorSettings`: field `threshold`,
 * and `threshold:<detector>` to override one detector) and the retrain request set.
 */
export class RedisDetectorSettings implements DetectorSettingsSource {
  private readonly keys: RedisKeys

  constructor(private readonly redis: Redis, keyPrefix: string) {
    this.keys = new RedisKeys(keyPrefix)
  }

  async thresholds(tenant: string, detectors: readonly string[], fallback: number): Promise<Map<string, number>> {
    let h: Record<string, string>
    try {
      h = await this.redis.hgetall(this.keys.detectorSettings(tenant))
    } catch (err) {
      throw new DetectorStoreError(`Redis: read detector settings of ${tenant}: ${(err as Error).message}`, { cause: err })
    }
    const tenantWide = parseThreshold(h.threshold) ?? fallback
    return new Map(detectors.map((d) => [d, parseThreshold(h[`threshold:${d}`]) ?? tenantWide]))
  }

  async takeRetrainRequests(): Promise<string[]> {
    const key = this.keys.detectorRetrainRequests()
    try {
      const res = await this.redis.multi().smembers(key).del(key).exec()
      return (res?.[0]?.[1] as string[] | undefined) ?? []
    } catch (err) {
      throw new DetectorStoreError(`Redis: take retrain requests: ${(err as Error).message}`, { cause: err })
    }
  }
}

/** A threshold is a number in (0, 1]; anything else is ignored (the default applies). */
function parseThreshold(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  const n = Number(raw)
  return n > 0 && n <= 1 ? n : undefined
}

/** Sets a tenant's alert threshold (0–1), for every detector or, with `detector`, for one. */
export async function setDetectorThreshold(redis: Redis, keyPrefix: string, tenant: string, threshold: number, detector?: string): Promise<void> {
  if (!(threshold > 0 && threshold <= 1)) throw new RangeError(`threshold must be in (0, 1], got ${threshold}`)
  await redis.hset(new RedisKeys(keyPrefix).detectorSettings(tenant), detector === undefined ? 'threshold' : `threshold:${detector}`, String(threshold))
}

/** Asks the runner to retrain a tenant's models (`*`: every tenant) on its next tick. */
export async function requestRetrain(redis: Redis, keyPrefix: string, tenant: string): Promise<void> {
  await redis.sadd(new RedisKeys(keyPrefix).detectorRetrainRequests(), tenant)
}

/**
 * The runner's leader lease in Redis: SET NX PX to take it, a compare-and-expire script to
 * renew it, so several runners can be started and only one works at a time.
 */
export class RedisLeaderLease implements LeaderLease {
  private readonly key: string

  constructor(private readonly redis: Redis, keyPrefix: string, private readonly owner: string, private readonly ttlMs: number) {
    this.key = new RedisKeys(keyPrefix).detectorLeader()
  }

  async hold(): Promise<boolean> {
    try {
      const renewed = await this.redis.eval(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end",
        1, this.key, this.owner, this.ttlMs,
      )
      if (renewed === 1) return true
      return (await this.redis.set(this.key, this.owner, 'PX', this.ttlMs, 'NX')) === 'OK'
    } catch (err) {
      throw new DetectorStoreError(`Redis: detector leader lease: ${(err as Error).message}`, { cause: err })
    }
  }

  async release(): Promise<void> {
    await this.redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end", 1, this.key, this.owner)
  }
}
