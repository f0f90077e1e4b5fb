import type { ClickHouseClient } from '@clickhouse/client'
import type { Redis } from 'ioredis'
import { ClickHouseAlertHistory, RedisAckStore, RedisAlertQueries, RedisRoutingStore, RedisSilenceStore } from '../../alerts/index.ts'
import type { AdwatchConfig } from '../../core/config.ts'
import type { AlertingStores } from './alerting-stores.ts'
import { RedisAlertFeed } from './redis-alert-feed.ts'

/**
 * The alerts part's stores on the gateway's Redis and ClickHouse clients. Routing configs are
 * validated as the alerts process builds them (ADW_ALERTS_ALLOW_INSECURE_RECEIVERS,
 * ADW_ALERTMANAGER_URL); secret values stay with the alerts process.
 */
export function createAlertingStores(redis: Redis, clickhouse: ClickHouseClient, cfg: Pick<AdwatchConfig, 'redis' | 'clickhouse' | 'alerts' | 'alertmanagerUrl'>, now: () => number): AlertingStores {
  const prefix = cfg.redis.keyPrefix
  return {
    alerts: new RedisAlertQueries(redis, prefix, now),
    acks: new RedisAckStore(redis, prefix, now),
    silences: new RedisSilenceStore(redis, prefix, now),
    routing: new RedisRoutingStore(redis, prefix, now, { allowInsecureUrls: cfg.alerts.allowInsecureReceivers, defaultAlertmanagerUrl: cfg.alertmanagerUrl }),
    history: new ClickHouseAlertHistory(clickhouse, cfg.clickhouse.database),
    events: new RedisAlertFeed(redis, prefix),
  }
}
