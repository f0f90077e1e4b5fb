import type { ClickHouseClient } from '@clickhouse/client'
import { dateTime, ident, raw, sql } from '../core/sql.ts'
import type { Level } from '../stream/event.ts'
import type { MetricSums } from '../stream/fold.ts'

/** Same-window sums a day and a week earlier, per entity. */
export interface Baselines {
  readonly yesterday: ReadonlyMap<string, MetricSums>
  readonly last_week: ReadonlyMap<string, MetricSums>
}

const REFRESH_MS = 60_000
const LEVEL_COLUMN: Record<Level, string> = { account: 'account', campaign: 'campaign', adset: 'adset', ad: 'ad' }

/**
 * Reads the 1h window of every entity of a level as it was 24 h and 7 days ago from the
 * ClickHouse minute rollups, one query per tenant and level, cached for a minute (the window
 * a day ago moves by a minute per minute).
 */
export class ClickHouseBaselineReader {
  private readonly cache = new Map<string, { atMs: number; value: Baselines }>()
  private readonly db

  constructor(private readonly ch: ClickHouseClient, database: string) {
    this.db = ident(database)
  }

  /** Baselines of the tenant's entities at `level` for the hour ending at `nowMs`. */
  async get(tenant: string, level: Level, nowMs: number): Promise<Baselines> {
    const key = `${tenant}\u0000${level}`
    const hit = this.cache.get(key)
    if (hit !== undefined && nowMs - hit.atMs < REFRESH_MS) return hit.value
    const value = await this.query(tenant, level, nowMs)
    this.cache.set(key, { atMs: nowMs, value })
    return value
  }

  private async query(tenant: string, level: Level, nowMs: number): Promise<Baselines> {
    // The live 1h window is the 60 minute buckets ending with the current minute.
    const end = nowMs - (nowMs % 60_000) + 60_000
    const ranges = { yesterday: end - 86_400_000, last_week: end - 7 * 86_400_000 } as const
    const col = raw(LEVEL_COLUMN[level])
    const inRange = (endMs: number) => sql`minute >= ${dateTime(endMs - 3_600_000)} AND minute < ${dateTime(endMs)}`
    const sums = (endMs: number) =>
      ['impressions', 'clicks', 'spend_micros', 'conversions', 'revenue_micros'].map((m) => sql`sumIf(${raw(m)}, ${inRange(endMs)}) AS ${raw(`${m}_${endMs === ranges.yesterday ? 'y' : 'w'}`)}`.text).join(', ')
    const query = sql`SELECT ${col} AS entity, ${raw(sums(ranges.yesterday))}, ${raw(sums(ranges.last_week))}
      FROM ${this.db}.rollup_minute
      WHERE tenant = ${tenant} AND ${col} != '' AND ((${inRange(ranges.yesterday)}) OR (${inRange(ranges.last_week)}))
      GROUP BY entity`.text
    const rs = await this.ch.query({ query, format: 'JSONEachRow' })
    const rows = await rs.json<Record<string, number | string>>()
    const yesterday = new Map<string, MetricSums>()
    const lastWeek = new Map<string, MetricSums>()
    const pick = (r: Record<string, number | string>, s: string): MetricSums =>
      ['impressions', 'clicks', 'spend_micros', 'conversions', 'revenue_micros'].map((m) => Number(r[`${m}_${s}`] ?? 0)) as MetricSums
    for (const r of rows) {
      yesterday.set(String(r.entity), pick(r, 'y'))
      lastWeek.set(String(r.entity), pick(r, 'w'))
    }
    return { yesterday, last_week: lastWeek }
  }
}
