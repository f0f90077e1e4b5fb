import type { ClickHouseClient } from '@clickhouse/client'
import { ident, sql, type SqlFragment } from '../../core/sql.ts'
import type { Level } from '../../stream/event.ts'
import type { ScoreSeriesDto } from '../api-types.ts'
import { queryRows } from './query-rows.ts'

/** Reads an entity's detector score history (highest score per minute). */
export interface ScoreSeriesReader {
  scoreSeries(tenant: string, level: Level, entity: string, fromMs: number, toMs: number): Promise<ScoreSeriesDto>
}

/** The highest detector score of each judged minute in [fromMs, toMs), oldest first. Pure. */
export function scoreSeriesSql(db: SqlFragment, tenant: string, level: Level, entity: string, fromMs: number, toMs: number): SqlFragment {
  return sql`SELECT minute_ms, max(max_score) AS score FROM ${db}.detector_scores
WHERE tenant = ${tenant} AND level = ${level} AND entity = ${entity} AND minute_ms >= ${Math.floor(fromMs)} AND minute_ms < ${Math.ceil(toMs)}
GROUP BY minute_ms ORDER BY minute_ms`
}

/** Score history from ClickHouse `detector_scores` (written by the detector runner every tick). */
export class ClickHouseScoreSeries implements ScoreSeriesReader {
  private readonly db: SqlFragment

  constructor(private readonly ch: ClickHouseClient, database: string) {
    this.db = ident(database)
  }

  async scoreSeries(tenant: string, level: Level, entity: string, fromMs: number, toMs: number): Promise<ScoreSeriesDto> {
    const rows = await queryRows<{ minute_ms: number | string; score: number }>(this.ch, scoreSeriesSql(this.db, tenant, level, entity, fromMs, toMs))
    // Scores are Float32 in ClickHouse: 4 decimals, as the latest scores are shown.
    return { timesSec: rows.map((r) => Number(r.minute_ms) / 1000), maxScore: rows.map((r) => Math.round(Number(r.score) * 10_000) / 10_000) }
  }
}
