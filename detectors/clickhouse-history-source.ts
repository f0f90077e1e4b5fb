import type { ClickHouseClient } from '@clickhouse/client'
import { ident, raw, sql, dateTime } from '../core/sql.ts'
import type { Level } from '../stream/event.ts'
import type { EntityHistory } from './baseline.ts'
import { DetectorStoreError } from './errors.ts'
import { MINUTE_STRIDE } from './features.ts'
import type { HistorySource } from './ports.ts'

const ENTITY_COLUMN: Record<Level, string> = { account: 'account', campaign: 'campaign', adset: 'adset', ad: 'ad' }

/** The SQL reading one tenant's per-entity minute sums of a level over [fromMs, toMs), ordered by entity and minute. */
export function historySql(database: string, tenant: string, level: Level, fromMs: number, toMs: number): string {
  const col = raw(ENTITY_COLUMN[level])
  return sql`SELECT ${col} AS entity, any(account) AS owner, toUInt32(minute) AS m,
  sum(impressions) AS i, sum(clicks) AS c, sum(spend_micros) AS s, sum(conversions) AS v
FROM ${ident(database)}.rollup_minute
WHERE tenant = ${tenant} AND minute >= ${dateTime(fromMs)} AND minute < ${dateTime(toMs)} AND ${col} != ''
GROUP BY entity, m
ORDER BY entity, m`.text
}

interface HistoryRow {
  entity: string
  owner: string
  m: number | string
  i: number | string
  c: number | string
  s: number | string
  v: number | string
}

/**
 * Training histories from ClickHouse's `rollup_minute` (summed per entity and minute, as its
 * SummingMergeTree requires), streamed and cut into one dense history per entity, so memory
 * holds one entity at a time.
 */
export class ClickHouseHistorySource implements HistorySource {
  constructor(private readonly ch: ClickHouseClient, private readonly database: string) {}

  async *histories(tenant: string, level: Level, fromMs: number, toMs: number): AsyncIterable<EntityHistory> {
    const startMs = fromMs - (fromMs % 60_000)
    const minutes = Math.ceil((toMs - startMs) / 60_000)
    let current: { entity: string; account: string; minutes: Float64Array } | undefined
    let rs
    try {
      rs = await this.ch.query({ query: historySql(this.database, tenant, level, startMs, toMs), format: 'JSONEachRow' })
    } catch (err) {
      throw new DetectorStoreError(`ClickHouse: read ${level} history of ${tenant}: ${(err as Error).message}`, { cause: err })
    }
    for await (const rows of rs.stream<HistoryRow>()) {
      for (const row of rows) {
        const r = row.json()
        if (current === undefined || current.entity !== r.entity) {
          if (current !== undefined) yield { entity: current.entity, account: current.account, startMs, minutes: current.minutes }
          current = { entity: r.entity, account: r.owner, minutes: new Float64Array(minutes * MINUTE_STRIDE) }
        }
        const k = (Number(r.m) * 1000 - startMs) / 60_000
        if (k < 0 || k >= minutes) continue
        const b = k * MINUTE_STRIDE
        current.minutes[b] = Number(r.i)
        current.minutes[b + 1] = Number(r.c)
        current.minutes[b + 2] = Number(r.s) / 1e6
        current.minutes[b + 3] = Number(r.v)
      }
    }
    if (current !== undefined) yield { entity: current.entity, account: current.account, startMs, minutes: current.minutes }
  }
}
