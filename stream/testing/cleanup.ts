import { DeleteStreamCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import type { ClickHouseClient } from '@clickhouse/client'
import type { Redis } from 'ioredis'
import type { AdwatchConfig } from '../../core/config.ts'
import { ident, sql } from '../../core/sql.ts'

/** Drops a test's stream, ClickHouse database and Redis keys, and closes the clients. */
export async function dropTestData(cfg: AdwatchConfig, c: { redis: Redis; ch: ClickHouseClient; kinesis: KinesisClient }): Promise<void> {
  await c.kinesis.send(new DeleteStreamCommand({ StreamName: cfg.kinesis.streamName })).catch(() => undefined)
  await c.ch.command({ query: sql`DROP DATABASE IF EXISTS ${ident(cfg.clickhouse.database)}`.text }).catch(() => undefined)
  let cursor = '0'
  do {
    const [next, keys] = await c.redis.scan(cursor, 'MATCH', `${cfg.redis.keyPrefix}:*`, 'COUNT', 5000)
    cursor = next
    if (keys.length > 0) await c.redis.unlink(...keys)
  } while (cursor !== '0')
  await Promise.allSettled([c.redis.quit(), c.ch.close()])
  c.kinesis.destroy()
}
