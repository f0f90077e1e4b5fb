import type { ClickHouseClient } from '@clickhouse/client'
import { ident, sql, type SqlFragment } from '../../core/sql.ts'
import { LEVELS, type Level } from '../../stream/event.ts'
import type { DetectorModelInfo } from '../deps.ts'
import { queryRows } from './query-rows.ts'

/** Reads the newest detector model version per level of a tenant. */
export interface DetectorModelReader {
  models(tenant: string): Promise<DetectorModelInfo[]>
}

/** The newest complete version per level of a tenant (manifests are written last, so complete). Pure. */
export function latestModelsSql(db: SqlFragment, tenant: string): SqlFragment {
  return sql`SELECT level, version, entities FROM ${db}.detector_model_versions WHERE tenant = ${tenant} ORDER BY level, version DESC LIMIT 1 BY level`
}

/** Model manifests from ClickHouse `detector_model_versions` (written by the detector runner). */
export class ClickHouseDetectorModels implements DetectorModelReader {
  private readonly db: SqlFragment

  constructor(private readonly ch: ClickHouseClient, database: string) {
    this.db = ident(database)
  }

  async models(tenant: string): Promise<DetectorModelInfo[]> {
    const rows = await queryRows<{ level: string; version: number | string; entities: number | string }>(this.ch, latestModelsSql(this.db, tenant))
    return rows
      .filter((r) => (LEVELS as readonly string[]).includes(r.level))
      // The version is the training time in ms (detectors/training.ts).
      .map((r) => ({ level: r.level as Level, version: Number(r.version), trainedAtMs: Number(r.version), entities: Number(r.entities) }))
  }
}
