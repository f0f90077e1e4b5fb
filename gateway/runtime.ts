import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis'
import { Redis } from 'ioredis'
import { createClickHouse } from '../core/clickhouse.ts'
import type { AdwatchConfig } from '../core/config.ts'
import { createKinesisClient } from '../core/kinesis-client.ts'
import type { Logger } from '../core/log.ts'
import { migrate } from '../core/migrate.ts'
import { RedisKeys } from '../stream/redis-keys.ts'
import { TenantDirectory } from '../stream/tenant-directory.ts'
import { buildGateway, type Gateway } from './app.ts'
import { createAlertingStores } from './alerting/create-alerting-stores.ts'
import { RedisApiKeyStore } from './auth/api-key-store.ts'
import { Authenticator } from './auth/authenticator.ts'
import { JwtVerifier } from './auth/jwt-verifier.ts'
import { ClickHouseDeadLetterStore } from './history/clickhouse-dead-letters.ts'
import { ClickHouseSeriesReader } from './history/clickhouse-series.ts'
import { KinesisEventWriter } from './kinesis-event-writer.ts'
import { LiveView } from './live/live-view.ts'
import { RedisEntityCatalog } from './live/redis-entity-catalog.ts'
import { ClickHouseRollupReader } from '../rules/backtest-reader.ts'
import { RedisRuleStore } from '../rules/rule-store.ts'
import { EntitySettingsStore } from '../stream/entity-settings.ts'
import { GatewayBacktester } from './history/backtester.ts'
import { ClickHouseScoreSeries } from './history/clickhouse-score-series.ts'
import { ClickHouseDetectorModels } from './history/clickhouse-detector-models.ts'
import { RedisDetectorCatalog } from './live/redis-detector-catalog.ts'
import { GatewayMetrics, type ExternalMetricSources, type IngestStatsSource } from './metrics.ts'

/** A gateway wired to the real servers, with the clients it owns. */
export interface GatewayRuntime {
  readonly gateway: Gateway
  readonly redis: Redis
  /** Stops the gateway and closes every client. */
  close(): Promise<void>
}

/**
 * Wires a gateway from config: Redis (commands, rate limits, and two connections for the
 * Socket.IO adapter), ClickHouse (migrations applied, as workers do), Kinesis, the live
 * windows (loaded before it answers), and the stores. Call `gateway.listen()` to serve.
 */
export async function startGatewayRuntime(cfg: AdwatchConfig, log: Logger, opts: { now?: () => number; metricSources?: ExternalMetricSources } = {}): Promise<GatewayRuntime> {
  const now = opts.now ?? Date.now
  const redis = new Redis(cfg.redis.url, { maxRetriesPerRequest: 2 })
  const pub = redis.duplicate()
  const sub = redis.duplicate()
  // One rate-limit check per request: auto-pipelining sends the checks of a burst in one write.
  const rateLimitRedis = new Redis(cfg.redis.url, { maxRetriesPerRequest: 1, enableAutoPipelining: true })
  const admin = createClickHouse(cfg.clickhouse, 'default')
  try {
    await migrate(admin, cfg.clickhouse.database)
  } finally {
    await admin.close()
  }
  const clickhouse = createClickHouse(cfg.clickhouse)
  const kinesis = createKinesisClient(cfg.kinesis)
  const keys = new RedisKeys(cfg.redis.keyPrefix)
  const stream = cfg.kinesis.streamName

  const tenants = new TenantDirectory(redis, cfg.redis.keyPrefix, cfg.consumer.defaultTimeZone, now)
  const live = new LiveView(redis, cfg.redis.keyPrefix, tenants)
  await live.poll(now(), true)
  const apiKeys = new RedisApiKeyStore(redis, cfg.redis.keyPrefix)
  const authenticator = new Authenticator({ jwt: new JwtVerifier({ ...cfg.gateway.jwt, now }), apiKeys, tenants, apiKeyCacheMs: cfg.gateway.authCacheMs, now })
  const ingest: IngestStatsSource = {
    async read() {
      const [totals, lag] = await Promise.all([redis.hgetall(keys.ingestStats(stream)), redis.hgetall(keys.consumerLag(stream))])
      return {
        totals: Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, Number(v)])),
        lag: Object.entries(lag).map(([shard, v]) => {
          const [lagMs, atMs] = v.split(':').map(Number)
          return { shard, lagMs: lagMs ?? 0, reportedAtMs: atMs ?? 0 }
        }),
      }
    },
  }
  const metrics = new GatewayMetrics({ ingest, now, ...(opts.metricSources === undefined ? {} : { external: opts.metricSources }) })
  const rules = new RedisRuleStore(redis, cfg.redis.keyPrefix, now)

  const gateway = await buildGateway(
    {
      now,
      log,
      authenticator,
      apiKeys,
      entities: new RedisEntityCatalog(redis, cfg.redis.keyPrefix, live, cfg.consumer.defaultTimeZone, now),
      live: { poll: (t) => live.poll(t), lastChangeMs: (t, l, id) => live.lastChangeMs(t, l, id) },
      series: new ClickHouseSeriesReader(clickhouse, cfg.clickhouse.database),
      deadLetters: new ClickHouseDeadLetterStore(clickhouse, cfg.clickhouse.database, redis, cfg.redis.keyPrefix, stream),
      events: new KinesisEventWriter(kinesis, stream),
      metrics,
      readiness: [
        { name: 'redis', check: async () => void (await redis.ping()) },
        {
          name: 'clickhouse',
          check: async () => {
            const r = await clickhouse.ping()
            if (!r.success) throw r.error
          },
        },
        { name: 'kinesis', check: async () => void (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))) },
      ],
      streamName: stream,
      maxLatenessMs: cfg.consumer.maxLatenessSec * 1000,
      maxFutureMs: cfg.consumer.maxFutureSec * 1000,
      rateLimitRedis,
      adapter: { pub, sub },
      alerting: createAlertingStores(redis, clickhouse, cfg, now),
      rules,
      backtests: new GatewayBacktester({ rollups: new ClickHouseRollupReader(clickhouse, cfg.clickhouse.database), timeZones: tenants, budgets: new EntitySettingsStore(redis, cfg.redis.keyPrefix), rules, now }),
      detectors: new RedisDetectorCatalog(
        redis,
        cfg.redis.keyPrefix,
        { names: cfg.detectors.detectors, levels: cfg.detectors.levels, defaultThreshold: cfg.detectors.threshold, activeWindowMs: cfg.detectors.activeWindowMin * 60_000, maxEntities: 5_000 },
        new ClickHouseDetectorModels(clickhouse, cfg.clickhouse.database),
        new ClickHouseScoreSeries(clickhouse, cfg.clickhouse.database),
      ),
    },
    cfg,
  )
  return {
    gateway,
    redis,
    async close() {
      await gateway.close()
      await Promise.allSettled([redis.quit(), pub.quit(), sub.quit(), rateLimitRedis.quit(), clickhouse.close()])
      kinesis.destroy()
    },
  }
}
