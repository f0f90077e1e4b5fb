import type { ClickHouseClient } from '@clickhouse/client'
import { Redis } from 'ioredis'
import type { AlertEventSink } from '../alerts/alert-event.ts'
import { RedisAlertStateStore } from '../alerts/alert-state-store.ts'
import { RedisAlertEventLog } from '../alerts/redis-event-log.ts'
import { createClickHouse } from '../core/clickhouse.ts'
import type { AdwatchConfig } from '../core/config.ts'
import type { Logger } from '../core/log.ts'
import { RedisChangeFeed } from '../stream/change-feed.ts'
import { EntitySettingsStore } from '../stream/entity-settings.ts'
import { LiveWindowState } from '../stream/live-windows.ts'
import { LocalDayCalendar } from '../stream/local-day.ts'
import { TenantDirectory } from '../stream/tenant-directory.ts'
import { readDetectorScores } from '../detectors/redis-score-store.ts'
import { ClickHouseBaselineReader } from './baseline-reader.ts'
import { EntityMetaCache } from './entity-meta-cache.ts'
import { EvaluationRunner, type ScoreReader } from './evaluation-runner.ts'
import { RedisRuleStore } from './rule-store.ts'

/** A wired evaluation runner and the clients it owns. */
export interface RulesRuntime {
  readonly runner: EvaluationRunner
  readonly redis: Redis
  readonly clickhouse: ClickHouseClient
  readonly rules: RedisRuleStore
  close(): Promise<void>
}

/**
 * Wires the rules engine from config. `now` is the clock for stores (rule save times); the
 * tick time is passed to `runner.tick`. `sink` defaults to the Redis alert event log.
 */
export function createRulesRuntime(cfg: AdwatchConfig, log: Logger, opts: { now?: () => number; sink?: AlertEventSink; scores?: ScoreReader } = {}): RulesRuntime {
  const now = opts.now ?? Date.now
  const redis = new Redis(cfg.redis.url, { maxRetriesPerRequest: 5 })
  const clickhouse = createClickHouse(cfg.clickhouse)
  const tenants = new TenantDirectory(redis, cfg.redis.keyPrefix, cfg.consumer.defaultTimeZone, now)
  const windows = new LiveWindowState()
  const calendar = new LocalDayCalendar()
  const feed = new RedisChangeFeed(redis, cfg.redis.keyPrefix, windows, (tenant, account, ms) => calendar.dayOf(ms, tenants.timeZoneOf(tenant, account)))
  const rules = new RedisRuleStore(redis, cfg.redis.keyPrefix, now)
  const runner = new EvaluationRunner({
    feed,
    windows,
    tenants,
    rules,
    states: new RedisAlertStateStore(redis, cfg.redis.keyPrefix),
    settings: new EntitySettingsStore(redis, cfg.redis.keyPrefix),
    meta: new EntityMetaCache(redis, cfg.redis.keyPrefix),
    baselines: new ClickHouseBaselineReader(clickhouse, cfg.clickhouse.database),
    scores: opts.scores ?? ((tenant, level, entities) => readDetectorScores(redis, cfg.redis.keyPrefix, tenant, level, entities)),
    sink: opts.sink ?? new RedisAlertEventLog(redis, cfg.redis.keyPrefix),
    log,
  })
  return {
    runner,
    redis,
    clickhouse,
    rules,
    async close() {
      await Promise.allSettled([redis.quit(), clickhouse.close()])
    },
  }
}
