import type { Redis } from 'ioredis'
import type { Level } from '../stream/event.ts'
import { RedisKeys } from '../stream/redis-keys.ts'
import { DETECTOR_NAMES } from './detector.ts'
import { DetectorStoreError } from './errors.ts'
import type { ScoreRow, ScoreStore } from './ports.ts'

/**
 * The latest detector scores in Redis, one hash per entity (`RedisKeys.detectorScores`):
 * detector name → score with 4 decimals, `at` → the minute scored. Each write renews the
 * key's TTL, so an entity the runner stops scoring loses its scores after `ttlSec`.
 */
export class RedisScoreStore implements ScoreStore {
  private readonly keys: RedisKeys

  constructor(private readonly redis: Redis, keyPrefix: string, private readonly ttlSec: number) {
    this.keys = new RedisKeys(keyPrefix)
  }

  async writeScores(tenant: string, level: Level, rows: readonly ScoreRow[]): Promise<void> {
    if (rows.length === 0) return
    const p = this.redis.pipeline()
    for (const r of rows) {
      const key = this.keys.detectorScores(tenant, level, r.entity)
      const fields: (string | number)[] = ['at', r.minuteMs]
      for (const [name, score] of Object.entries(r.scores)) fields.push(name, score.toFixed(4))
      p.hset(key, ...fields)
      p.expire(key, this.ttlSec)
    }
    try {
      const res = await p.exec()
      const failed = res?.find(([err]) => err !== null)
      if (failed?.[0]) throw failed[0]
    } catch (err) {
      throw new DetectorStoreError(`Redis: write scores of ${rows.length} ${level} entities of ${tenant}: ${(err as Error).message}`, { cause: err })
    }
  }
}

/**
 * The latest score in [0, 1] per detector per entity, read in one pipeline (one HMGET per
 * entity): what the rules engine turns into facts `anomaly_<detector>`. Entities without
 * scores (never scored, or expired) are absent from the map.
 */
export async function readDetectorScores(redis: Redis, keyPrefix: string, tenant: string, level: Level, entities: readonly string[]): Promise<Map<string, Record<string, number>>> {
  const out = new Map<string, Record<string, number>>()
  if (entities.length === 0) return out
  const keys = new RedisKeys(keyPrefix)
  const p = redis.pipeline()
  for (const e of entities) p.hmget(keys.detectorScores(tenant, level, e), ...DETECTOR_NAMES)
  let res
  try {
    res = await p.exec()
  } catch (err) {
    throw new DetectorStoreError(`Redis: read detector scores of ${entities.length} ${level} entities of ${tenant}: ${(err as Error).message}`, { cause: err })
  }
  entities.forEach((entity, i) => {
    const [err, values] = res?.[i] ?? [null, null]
    if (err) throw new DetectorStoreError(`Redis: read detector scores of ${tenant}/${level}/${entity}: ${err.message}`, { cause: err })
    const record: Record<string, number> = {}
    let any = false
    ;(values as Array<string | null>).forEach((v, k) => {
      if (v === null) return
      const n = Number(v)
      if (Number.isFinite(n)) {
        record[DETECTOR_NAMES[k] as string] = n
        any = true
      }
    })
    if (any) out.set(entity, record)
  })
  return out
}
