import type { ClickHouseClient } from '@clickhouse/client'
import type { Redis } from 'ioredis'
import type { AdwatchConfig } from '../core/config.ts'
import type { Logger } from '../core/log.ts'
import { ClickHouseHistorySource } from './clickhouse-history-source.ts'
import { ClickHouseModelStore } from './clickhouse-model-store.ts'
import { createEntityDetectors } from './entity-detectors.ts'
import type { FindingSink } from './finding.ts'
import { RedisDetectorSettings, RedisLeaderLease } from './redis-detector-settings.ts'
import { RedisLiveSource } from './redis-live-source.ts'
import { RedisScoreStore } from './redis-score-store.ts'
import { DetectorRunner, type RunnerSettings } from './runner.ts'

/** The runner's settings from the configuration. */
export function runnerSettings(cfg: AdwatchConfig): RunnerSettings {
  const d = cfg.detectors
  return {
    levels: d.levels,
    tickMs: d.tickMs,
    closeLagMs: d.closeLagMs,
    activeWindowMs: d.activeWindowMin * 60_000,
    warmupMin: d.warmupMin,
    maxCatchUpMin: d.maxCatchUpMin,
    trainDays: d.trainDays,
    retrainEveryMs: d.retrainHours * 3_600_000,
    newEntityRetrainMs: d.newEntityRetrainMin * 60_000,
    awaitTraining: false,
    defaultThreshold: d.threshold,
    training: {
      seed: d.seed,
      trees: d.trees,
      sampleSize: d.sampleSize,
      levelSampleRows: 50_000,
      campaignMinDays: d.campaignMinDays,
      campaignModelsMax: d.campaignModelsMax,
      campaignTrees: 50,
      campaignSampleSize: 64,
    },
  }
}

/**
 * Wires a runner to Redis and ClickHouse from the configuration. `lease: false` runs
 * without the leader lease (a test driving one runner by hand).
 */
export function createDetectorRunner(
  cfg: AdwatchConfig,
  clients: { redis: Redis; clickhouse: ClickHouseClient },
  opts: { sink: FindingSink; log: Logger; now?: () => number; lease?: boolean },
): DetectorRunner {
  const prefix = cfg.redis.keyPrefix
  return new DetectorRunner(
    {
      now: opts.now ?? Date.now,
      detectors: createEntityDetectors(cfg.detectors.detectors, 'ADW_DETECT_DETECTORS'),
      live: new RedisLiveSource(clients.redis, prefix),
      history: new ClickHouseHistorySource(clients.clickhouse, cfg.clickhouse.database),
      models: new ClickHouseModelStore(clients.clickhouse, cfg.clickhouse.database),
      scores: new RedisScoreStore(clients.redis, prefix, cfg.detectors.scoreTtlSec),
      settings: new RedisDetectorSettings(clients.redis, prefix),
      sink: opts.sink,
      ...(opts.lease === false ? {} : { lease: new RedisLeaderLease(clients.redis, prefix, cfg.detectors.runnerId, Math.max(3 * cfg.detectors.tickMs, 30_000)) }),
      log: opts.log,
    },
    runnerSettings(cfg),
  )
}
