import type { ClickHouseClient } from '@clickhouse/client'
import { ident, sql } from '../core/sql.ts'
import type { Level } from '../stream/event.ts'
import { DetectorStoreError } from './errors.ts'
import { decodeLevelModels, encodeLevelModels, type ModelRow, type ModelVersionRow } from './model-codec.ts'
import type { ModelStore } from './ports.ts'
import type { LevelModels } from './training.ts'

const INSERT_CHUNK_ROWS = 500

interface ManifestRow {
  tenant: string
  level: string
  version: number | string
  trained_at: number | string
  from_ms: number | string
  to_ms: number | string
  entities: number | string
  campaign_forests: number | string
  level_forest: number | string
  train_ms: number | string
}

/**
 * Model versions in ClickHouse (migration 0010): the model rows of a version first, its
 * manifest last, so a reader that picks the newest manifest never sees a partial version.
 */
export class ClickHouseModelStore implements ModelStore {
  private readonly db

  constructor(private readonly ch: ClickHouseClient, database: string) {
    this.db = ident(database)
  }

  async latestVersions(): Promise<ModelVersionRow[]> {
    const query = sql`SELECT tenant, level, version, toUInt32(trained_at) AS trained_at, from_ms, to_ms, entities, campaign_forests, level_forest, train_ms
FROM ${this.db}.detector_model_versions ORDER BY tenant, level, version DESC LIMIT 1 BY tenant, level`.text
    const rows = await this.read<ManifestRow>('read model versions', query)
    return rows.map((r) => ({
      tenant: r.tenant,
      level: r.level as Level,
      version: Number(r.version),
      trainedAtMs: Number(r.version),
      fromMs: Number(r.from_ms),
      toMs: Number(r.to_ms),
      entities: Number(r.entities),
      campaignForests: Number(r.campaign_forests),
      levelForest: Number(r.level_forest) === 1,
      trainMs: Number(r.train_ms),
    }))
  }

  async load(manifest: ModelVersionRow): Promise<LevelModels> {
    const query = sql`SELECT kind, entity, payload FROM ${this.db}.detector_models
WHERE tenant = ${manifest.tenant} AND level = ${manifest.level} AND version = ${manifest.version}`.text
    const rows = await this.read<ModelRow>(`load models ${manifest.tenant}/${manifest.level} v${manifest.version}`, query)
    return decodeLevelModels(manifest, rows)
  }

  async save(models: LevelModels): Promise<void> {
    const { manifest, rows } = encodeLevelModels(models)
    const trainedAt = Math.floor(manifest.trainedAtMs / 1000)
    const what = `save models ${manifest.tenant}/${manifest.level} v${manifest.version}`
    try {
      for (let i = 0; i < rows.length; i += INSERT_CHUNK_ROWS) {
        const values = rows.slice(i, i + INSERT_CHUNK_ROWS).map((r) => ({
          tenant: manifest.tenant, level: manifest.level, version: manifest.version, kind: r.kind, entity: r.entity, trained_at: trainedAt, payload: r.payload,
        }))
        await this.ch.insert({ table: `${this.db.text}.detector_models`, values, format: 'JSONEachRow' })
      }
      await this.ch.insert({
        table: `${this.db.text}.detector_model_versions`,
        values: [{
          tenant: manifest.tenant, level: manifest.level, version: manifest.version, trained_at: trainedAt, from_ms: manifest.fromMs, to_ms: manifest.toMs,
          entities: manifest.entities, campaign_forests: manifest.campaignForests, level_forest: manifest.levelForest ? 1 : 0, train_ms: manifest.trainMs,
        }],
        format: 'JSONEachRow',
      })
    } catch (err) {
      throw new DetectorStoreError(`ClickHouse: ${what}: ${(err as Error).message}`, { cause: err })
    }
  }

  private async read<T>(what: string, query: string): Promise<T[]> {
    try {
      const rs = await this.ch.query({ query, format: 'JSONEachRow' })
      return await rs.json<T>()
    } catch (err) {
      throw new DetectorStoreError(`ClickHouse: ${what}: ${(err as Error).message}`, { cause: err })
    }
  }
}
