import type { ClickHouseClient } from '@clickhouse/client'
import type { Redis } from 'ioredis'
import type { AdwatchConfig } from '../core/config.ts'
import type { Logger } from '../core/log.ts'
import { createDetectorAlertSink } from '../alerts/index.ts'
import { ClickHouseHistorySource } from './clickhouse-history-source.ts'
import { ClickHouseModelStore } from './clickhouse-model-store.ts'
import { ClickHouseScoreHistory } from './clickhouse-score-history.ts'
import { createEntityDetectors } from './entity-detectors.ts'
import { ForestPool, type ForestBatchScorer } from './forest-pool.ts'
import { FanoutFindingSink, LoggingFindingSink, type DetectorFinding, type FindingSink } from './finding.ts'
import type { DetectorSettingsSource } from './ports.ts'
import { RedisDetectorSettings, RedisLeaderLease } from './redis-detector-settings.ts'
import { RedisLiveSource } from './redis-live-source.ts'
import { RedisScoreStore } from './redis-score-store.ts'
import { DetectorRunner, type RunnerDeps, type RunnerSettings, type TickReport } from './runner.ts'

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
  opts: { sink: FindingSink; log: Logger; now?: () => number; lease?: boolean; afterTick?: RunnerDeps['afterTick']; forestScorer?: ForestBatchScorer },
): DetectorRunner {
  const prefix = cfg.redis.keyPrefix
  return new DetectorRunner(
    {
      now: opts.now ?? Date.now,
      detectors: createEntityDetectors(cfg.detectors.detectors, 'ADW_DETECT_DETECTORS', opts.forestScorer === undefined ? {} : { forestScorer: opts.forestScorer }),
      live: new RedisLiveSource(clients.redis, prefix),
      history: new ClickHouseHistorySource(clients.clickhouse, cfg.clickhouse.database),
      models: new ClickHouseModelStore(clients.clickhouse, cfg.clickhouse.database),
      scores: new RedisScoreStore(clients.redis, prefix, cfg.detectors.scoreTtlSec),
      scoreHistory: new ClickHouseScoreHistory(clients.clickhouse, cfg.clickhouse.database, cfg.detectors.scoreHistoryDays),
      settings: new RedisDetectorSettings(clients.redis, prefix),
      sink: opts.sink,
      ...(opts.lease === false ? {} : { lease: new RedisLeaderLease(clients.redis, prefix, cfg.detectors.runnerId, Math.max(3 * cfg.detectors.tickMs, 30_000)) }),
      log: opts.log,
      ...(opts.afterTick === undefined ? {} : { afterTick: opts.afterTick }),
    },
    runnerSettings(cfg),
  )
}

/** How often, by the runner's clock, the detector alerts of quiet entities are judged resolved. */
export const DETECTOR_ALERT_SWEEP_MS = 60_000
/** How long a tenant's thresholds are reused by the alert sink before they are read again. */
const THRESHOLD_CACHE_MS = 10_000

/** A detector service: the runner, wired so that its findings become alerts. */
export interface DetectorService {
  readonly runner: DetectorRunner
  /** Stops the alert sink (call once the runner has stopped). */
  close(): void
}

/**
 * The detector runner as `detectors/main.ts` starts it: findings go to the log and to the
 * alert pipeline (`createDetectorAlertSink`: a detector alert fires at the tenant's threshold
 * from the detector settings and goes to the tenant's alert event log, which the alerts
 * process routes). Quiet alerts are resolved by the sink's sweep, run after a tick that this
 * runner led once `sweepEveryMs` (default DETECTOR_ALERT_SWEEP_MS) have passed on the runner's
 * clock rather than on a timer: a runner that does not hold the lease must not resolve the
 * leader's alerts from stale states. For the same reason a runner that loses the lease drops
 * its cached alert states; the next time it leads they are read from Redis again.
 */
export function createDetectorService(
  cfg: AdwatchConfig,
  clients: { redis: Redis; clickhouse: ClickHouseClient },
  opts: { log: Logger; now?: () => number; lease?: boolean; sweepEveryMs?: number },
): DetectorService {
  const now = opts.now ?? Date.now
  const prefix = cfg.redis.keyPrefix
  const sweepEveryMs = opts.sweepEveryMs ?? DETECTOR_ALERT_SWEEP_MS
  const thresholdOf = cachedThresholds(new RedisDetectorSettings(clients.redis, prefix), cfg.detectors.detectors, cfg.detectors.threshold, now)
  const live = new RedisLiveSource(clients.redis, prefix)
  const newAlertSink = () => createDetectorAlertSink(clients.redis, prefix, { thresholdOf, now })
  let alerts = newAlertSink()
  let statesCached = false
  let lastSweepMs = -Infinity
  const toAlerts: FindingSink = {
    async submit(findings: readonly DetectorFinding[]): Promise<void> {
      statesCached = true
      try {
        await alerts.submit(findings)
      } catch (err) {
        // Logged rather than failing the tick, so the tenant's other findings and the other tenants go on; the log sink has them.
        opts.log.error({ err, findings: findings.length }, 'detector findings could not be turned into alerts')
      }
    },
  }
  const afterTick = async (report: TickReport, nowMs: number): Promise<void> => {
    if (!report.leader) {
      if (statesCached) {
        alerts.stop()
        alerts = newAlertSink()
        statesCached = false
      }
      return
    }
    if (nowMs - lastSweepMs < sweepEveryMs) return
    lastSweepMs = nowMs
    statesCached = true
    try {
      const resolved = await alerts.sweep(nowMs, await live.tenants())
      if (resolved > 0) opts.log.info({ resolved }, 'quiet detector alerts resolved')
    } catch (err) {
      opts.log.error({ err }, 'sweeping quiet detector alerts failed; trying again next tick')
      lastSweepMs = -Infinity
    }
  }
  const sink = new FanoutFindingSink([new LoggingFindingSink(opts.log), toAlerts])
  const pool = createForestPool(cfg, opts.log)
  const runner = createDetectorRunner(cfg, clients, { sink, log: opts.log, now, afterTick, forestScorer: pool, ...(opts.lease === undefined ? {} : { lease: opts.lease }) })
  return {
    runner,
    close: () => {
      alerts.stop()
      void pool.close()
    },
  }
}

/** The scoring threads of ADW_DETECT_SCORING_THREADS; if they fail, scoring goes on in the runner's thread, and the log says so. */
export function createForestPool(cfg: AdwatchConfig, log: Logger): ForestPool {
  return new ForestPool(cfg.detectors.scoringThreads, {
    onDegraded: (reason) => log.error({ reason }, 'isolation forest scoring threads stopped; scoring goes on in the runner thread (slower)'),
  })
}

/**
 * A tenant's threshold for a detector, as the runner applies it (the detector settings, the
 * configured default where the tenant sets none), read at most once per THRESHOLD_CACHE_MS
 * per tenant rather than once per finding.
 */
export function cachedThresholds(
  settings: Pick<DetectorSettingsSource, 'thresholds'>, detectors: readonly string[], fallback: number, now: () => number, maxAgeMs = THRESHOLD_CACHE_MS,
): (tenant: string, detector: string) => Promise<number> {
  const cache = new Map<string, { atMs: number; thresholds: Promise<Map<string, number>> }>()
  return async (tenant, detector) => {
    const t = now()
    let entry = cache.get(tenant)
    if (entry === undefined || t - entry.atMs >= maxAgeMs || t < entry.atMs) {
      entry = { atMs: t, thresholds: settings.thresholds(tenant, detectors, fallback) }
      cache.set(tenant, entry)
    }
    try {
      return (await entry.thresholds).get(detector) ?? fallback
    } catch (err) {
      if (cache.get(tenant) === entry) cache.delete(tenant)
      throw err
    }
  }
}
