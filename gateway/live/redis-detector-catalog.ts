import type { Redis } from 'ioredis'
import { requestRetrain, setDetectorThreshold } from '../../detectors/index.ts'
import { RedisDetectorSettings } from '../../detectors/redis-detector-settings.ts'
import type { Level } from '../../stream/event.ts'
import { RedisKeys } from '../../stream/redis-keys.ts'
import type { DetectorCatalog, DetectorModelInfo, EntityScores } from '../deps.ts'
import type { ScoreSeriesDto } from '../api-types.ts'
import type { DetectorModelReader } from '../history/clickhouse-detector-models.ts'
import type { ScoreSeriesReader } from '../history/clickhouse-score-series.ts'

/** What the catalog knows of the runner's configuration. */
export interface DetectorCatalogSettings {
  readonly names: readonly string[]
  readonly levels: readonly Level[]
  readonly defaultThreshold: number
  /** Entities whose counters changed within this window are scored (ADW_DETECT_ACTIVE_WINDOW_MIN). */
  readonly activeWindowMs: number
  /** At most this many of the most recently active entities are read per scores request. */
  readonly maxEntities: number
}

/** Field of the tenant's detector-settings hash with the time (ms) of its last retrain request. */
export const RETRAIN_REQUESTED_AT_FIELD = 'retrain_requested_at'

/**
 * The detectors of a tenant as the runner leaves them in Redis (thresholds, retrain requests,
 * latest scores: docs/stores.md) plus model versions from a DetectorModelReader. A retrain
 * request is the runner's own mechanism (`requestRetrain`, the set it takes on its next tick)
 * with the request time kept beside the thresholds, so the API can say `training`.
 */
export class RedisDetectorCatalog implements DetectorCatalog {
  readonly names: readonly string[]
  readonly levels: readonly Level[]
  private readonly keys: RedisKeys
  private readonly settings: RedisDetectorSettings

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly config: DetectorCatalogSettings,
    private readonly modelReader: DetectorModelReader,
    private readonly scoreReader: ScoreSeriesReader,
  ) {
    this.names = config.names
    this.levels = config.levels
    this.keys = new RedisKeys(keyPrefix)
    this.settings = new RedisDetectorSettings(redis, keyPrefix)
  }

  models(tenant: string): Promise<DetectorModelInfo[]> {
    return this.modelReader.models(tenant)
  }

  scoreSeries(tenant: string, level: Level, entity: string, fromMs: number, toMs: number): Promise<ScoreSeriesDto> {
    return this.scoreReader.scoreSeries(tenant, level, entity, fromMs, toMs)
  }

  thresholds(tenant: string): Promise<Map<string, number>> {
    return this.settings.thresholds(tenant, this.names, this.config.defaultThreshold)
  }

  async retrainRequestedAtMs(tenant: string): Promise<number | undefined> {
    const raw = await this.redis.hget(this.keys.detectorSettings(tenant), RETRAIN_REQUESTED_AT_FIELD)
    const ms = raw === null ? NaN : Number(raw)
    return Number.isFinite(ms) ? ms : undefined
  }

  async requestRetrain(tenant: string, nowMs: number): Promise<void> {
    // Two keys in different hash slots (the request set is global): two commands, time first.
    await this.redis.hset(this.keys.detectorSettings(tenant), RETRAIN_REQUESTED_AT_FIELD, String(nowMs))
    await requestRetrain(this.redis, this.keyPrefix, tenant)
  }

  setThreshold(tenant: string, detector: string, threshold: number): Promise<void> {
    return setDetectorThreshold(this.redis, this.keyPrefix, tenant, threshold, detector)
  }

  async latestScores(tenant: string, level: Level, nowMs: number): Promise<EntityScores[]> {
    const entities = await this.redis.zrevrangebyscore(this.keys.activeEntities(tenant, level), '+inf', nowMs - this.config.activeWindowMs, 'LIMIT', 0, this.config.maxEntities)
    if (entities.length === 0) return []
    const p = this.redis.pipeline()
    for (const e of entities) p.hmget(this.keys.detectorScores(tenant, level, e), 'at', ...this.names)
    const res = (await p.exec()) ?? []
    const out: Array<EntityScores & { max: number }> = []
    entities.forEach((entity, i) => {
      const [err, values] = res[i] ?? [null, null]
      if (err) throw err
      const [at, ...raw] = values as Array<string | null>
      const scores: Record<string, number> = {}
      let max = -1
      raw.forEach((v, k) => {
        const n = v === null ? NaN : Number(v)
        if (!Number.isFinite(n)) return
        scores[this.names[k]!] = n
        max = Math.max(max, n)
      })
      if (max >= 0) out.push({ entity, scores, atMs: Number(at ?? 0), max })
    })
    out.sort((a, b) => b.max - a.max || a.entity.localeCompare(b.entity))
    return out.map(({ entity, scores, atMs }) => ({ entity, scores, atMs }))
  }
}
