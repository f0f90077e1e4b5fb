import type { ClickHouseClient } from '@clickhouse/client'
import { ident, sql, type SqlFragment } from '../core/sql.ts'
import type { Level } from '../stream/event.ts'
import { DetectorStoreError } from './errors.ts'
import type { ScoreHistory, ScoreRow } from './ports.ts'

/**
 * The score of every judged minute in ClickHouse `detector_scores` (one row per entity and
 * minute: each detector's score and the highest), for the dashboard's score bands; days older
 * than `retentionDays` are dropped by prune() (ClickHouse 18.16 has no TTL; the table is
 * partitioned by day).
 */
export class ClickHouseScoreHistory implements ScoreHistory {
  private readonly db: SqlFragment
  private readonly table: string

  constructor(private readonly ch: ClickHouseClient, private readonly database: string, private readonly retentionDays = 14) {
    this.db = ident(database)
    this.table = `${this.db.text}.detector_scores`
  }

  async prune(nowMs: number): Promise<string[]> {
    const keepFrom = new Date(nowMs - this.retentionDays * 86_400_000).toISOString().slice(0, 10)
    try {
      const rs = await this.ch.query({
        query: sql`SELECT DISTINCT partition FROM system.parts WHERE database = ${this.database} AND table = 'detector_scores' AND active`.text,
        format: 'JSONEachRow',
      })
      // A Date partition reads as 'YYYY-MM-DD' (quoted); older days sort first.
      const days = (await rs.json<{ partition: string }>()).map((r) => r.partition.replace(/'/g, '')).filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d) && d < keepFrom).sort()
      for (const day of days) await this.ch.command({ query: sql`ALTER TABLE ${this.db}.detector_scores DROP PARTITION ${day}`.text })
      return days
    } catch (err) {
      throw new DetectorStoreError(`ClickHouse: drop score history before ${keepFrom}: ${(err as Error).message}`, { cause: err })
    }
  }

  async append(tenant: string, level: Level, rows: readonly ScoreRow[]): Promise<void> {
    if (rows.length === 0) return
    const values = rows.map((r) => {
      const detectors = Object.keys(r.scores)
      const scores = detectors.map((d) => r.scores[d] as number)
      return {
        tenant,
        level,
        entity: r.entity,
        minute_ms: r.minuteMs,
        detectors,
        scores,
        max_score: scores.reduce((a, b) => Math.max(a, b), 0),
        day: new Date(r.minuteMs).toISOString().slice(0, 10),
      }
    })
    try {
      await this.ch.insert({ table: this.table, values, format: 'JSONEachRow' })
    } catch (err) {
      throw new DetectorStoreError(`ClickHouse: write the score history of ${rows.length} ${level} minutes of ${tenant}: ${(err as Error).message}`, { cause: err })
    }
  }
}
