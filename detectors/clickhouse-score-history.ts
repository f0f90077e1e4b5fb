import type { ClickHouseClient } from '@clickhouse/client'
import { ident } from '../core/sql.ts'
import type { Level } from '../stream/event.ts'
import { DetectorStoreError } from './errors.ts'
import type { ScoreHistory, ScoreRow } from './ports.ts'

/**
 * The score of every judged minute in ClickHouse `detector_scores` (one row per entity and
 * minute: each detector's score and the highest), for the dashboard's score bands.
 */
export class ClickHouseScoreHistory implements ScoreHistory {
  private readonly table: string

  constructor(private readonly ch: ClickHouseClient, database: string) {
    this.table = `${ident(database).text}.detector_scores`
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
