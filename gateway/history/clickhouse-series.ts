import type { ClickHouseClient } from '@clickhouse/client'
import { ident, sql, type SqlFragment } from '../../core/sql.ts'
import type { Level } from '../../stream/event.ts'
import type { TimeSeriesDto } from '../api-types.ts'
import type { SeriesQuery, TimeSeriesReader } from '../deps.ts'
import { queryRows } from './query-rows.ts'

/**
 * The SQL of a time series: the entity's per-minute rollups summed per bucket of `stepSec`
 * (`intDiv` arithmetic: ClickHouse 18.16 has no toStartOfInterval or WITH FILL). The range
 * is `[fromMs, toMs)` with both ends on bucket boundaries. Pure.
 */
export function seriesSql(db: SqlFragment, q: SeriesQuery): SqlFragment {
  const step = q.stepSec
  return sql`SELECT intDiv(toUInt32(minute), ${step}) * ${step} AS bucket, sum(impressions) AS impressions, sum(clicks) AS clicks, sum(spend_micros) AS spend_micros, sum(conversions) AS conversions, sum(revenue_micros) AS revenue_micros FROM ${db}.rollup_minute WHERE tenant = ${q.tenant} AND ${levelColumn(q.level)} = ${q.entity} AND minute >= toDateTime(${Math.floor(q.fromMs / 1000)}) AND minute < toDateTime(${Math.floor(q.toMs / 1000)}) GROUP BY bucket ORDER BY bucket`
}

/** Whether the rollups hold anything of the entity at all. Pure. */
export function entityExistsSql(db: SqlFragment, tenant: string, level: Level, entity: string): SqlFragment {
  return sql`SELECT 1 AS found FROM ${db}.rollup_minute WHERE tenant = ${tenant} AND ${levelColumn(level)} = ${entity} LIMIT 1`
}

function levelColumn(level: Level): SqlFragment {
  return ident(level)
}

interface BucketRow {
  bucket: number
  impressions: number
  clicks: number
  spend_micros: number
  conversions: number
  revenue_micros: number
}

/** Every bucket of the range, zero where the rollups have nothing. Pure. */
export function fillBuckets(q: SeriesQuery, rows: readonly BucketRow[]): TimeSeriesDto {
  const fromSec = Math.floor(q.fromMs / 1000)
  const n = Math.max(0, Math.ceil((Math.floor(q.toMs / 1000) - fromSec) / q.stepSec))
  const out = { timesSec: new Array<number>(n), impressions: new Array<number>(n).fill(0), clicks: new Array<number>(n).fill(0), spendMicros: new Array<number>(n).fill(0), conversions: new Array<number>(n).fill(0), revenueMicros: new Array<number>(n).fill(0) }
  for (let i = 0; i < n; i++) out.timesSec[i] = fromSec + i * q.stepSec
  for (const r of rows) {
    const i = (Number(r.bucket) - fromSec) / q.stepSec
    if (!Number.isInteger(i) || i < 0 || i >= n) continue
    out.impressions[i] = Number(r.impressions)
    out.clicks[i] = Number(r.clicks)
    out.spendMicros[i] = Number(r.spend_micros)
    out.conversions[i] = Number(r.conversions)
    out.revenueMicros[i] = Number(r.revenue_micros)
  }
  return { level: q.level, entity: q.entity, stepSec: q.stepSec, ...out }
}

/** Time series from ClickHouse's `rollup_minute`. */
export class ClickHouseSeriesReader implements TimeSeriesReader {
  private readonly db: SqlFragment

  constructor(private readonly ch: ClickHouseClient, database: string) {
    this.db = ident(database)
  }

  async read(q: SeriesQuery): Promise<TimeSeriesDto> {
    return fillBuckets(q, await queryRows<BucketRow>(this.ch, seriesSql(this.db, q)))
  }

  async exists(tenant: string, level: Level, entity: string): Promise<boolean> {
    return (await queryRows(this.ch, entityExistsSql(this.db, tenant, level, entity))).length > 0
  }
}
