import { createClickHouse } from '../core/clickhouse.ts'
import type { AdwatchConfig } from '../core/config.ts'
import { ClickHouseHistoryWriter, type EncodedEvents, type ShardEvent } from '../stream/clickhouse-history-writer.ts'
import type { AdEvent } from '../stream/event.ts'
import { encodePosition } from '../stream/positions.ts'
import { countEventRows, dropDatabase, migrateDatabase } from './bench-env.ts'

/**
 * ClickHouse's raw insert rate in the sink's own form, the yardstick of the fold's ClickHouse
 * half: the events pre-encoded (untimed) as RowBinary blocks of `blockRows`, inserted one after
 * the other into a freshly migrated `events` table with its materialized views.
 */
export async function measureClickHouseBlockInsert(cfg: AdwatchConfig, events: readonly AdEvent[], blockRows: number, shards: number): Promise<number> {
  await migrateDatabase(cfg)
  const ch = createClickHouse(cfg.clickhouse)
  const writer = new ClickHouseHistoryWriter(ch, cfg.clickhouse.database)
  try {
    const blocks: EncodedEvents[] = []
    for (let from = 0; from < events.length; from += blockRows) {
      const rows: ShardEvent[] = events.slice(from, from + blockRows).map((event, i) => ({
        shard: `shardId-${String((from + i) % shards).padStart(12, '0')}`,
        pos: encodePosition(String(1_000_000 + from + i)),
        event,
      }))
      blocks.push(writer.encodeEvents('bench-ch-insert', rows, Date.now()))
    }
    const t0 = performance.now()
    for (const block of blocks) await writer.insertEncodedEvents([block])
    const seconds = (performance.now() - t0) / 1000
    const landed = await countEventRows(cfg)
    if (landed !== events.length) throw new Error(`ClickHouse insert: ${landed} rows landed, not ${events.length}`)
    return events.length / seconds
  } finally {
    await ch.close()
    await dropDatabase(cfg)
  }
}
