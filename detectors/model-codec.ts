import { LEVELS, type Level } from '../stream/event.ts'
import { EntityBaseline, type BaselineJson } from './baseline.ts'
import type { CalibratedForest } from './detector.ts'
import { DetectorModelError } from './errors.ts'
import { IsolationForest, type IsolationForestJson } from './isolation-forest.ts'
import type { LevelModels } from './training.ts'

/**
 * The stored form of a model version: one manifest row and one row per model (an entity's
 * baseline or a forest), each with a JSON payload. Pure; the ClickHouse store writes and
 * reads these rows.
 */

/** The manifest of one version of a tenant's models for one level. */
export interface ModelVersionRow {
  readonly tenant: string
  readonly level: Level
  readonly version: number
  readonly trainedAtMs: number
  readonly fromMs: number
  readonly toMs: number
  readonly entities: number
  readonly campaignForests: number
  readonly levelForest: boolean
  readonly trainMs: number
}

/** One stored model: `kind` baseline (entity set) or forest (entity '' for the level's). */
export interface ModelRow {
  readonly kind: 'baseline' | 'forest'
  readonly entity: string
  readonly payload: string
}

interface ForestPayload {
  readonly forest: IsolationForestJson
  readonly quantiles: readonly number[]
  readonly kind: CalibratedForest['kind']
}

/** Encodes a version as its manifest and model rows. */
export function encodeLevelModels(m: LevelModels): { manifest: ModelVersionRow; rows: ModelRow[] } {
  const rows: ModelRow[] = []
  for (const [entity, b] of m.baselines) rows.push({ kind: 'baseline', entity, payload: JSON.stringify(b) })
  const forest = (cf: CalibratedForest): string => JSON.stringify({ forest: cf.forest.toJSON(), quantiles: cf.quantiles, kind: cf.kind } satisfies ForestPayload)
  if (m.levelForest !== undefined) rows.push({ kind: 'forest', entity: '', payload: forest(m.levelForest) })
  for (const [entity, cf] of m.campaignForests) rows.push({ kind: 'forest', entity, payload: forest(cf) })
  return {
    manifest: {
      tenant: m.tenant,
      level: m.level,
      version: m.version,
      trainedAtMs: m.version,
      fromMs: m.fromMs,
      toMs: m.toMs,
      entities: m.baselines.size,
      campaignForests: m.campaignForests.size,
      levelForest: m.levelForest !== undefined,
      trainMs: m.trainMs,
    },
    rows,
  }
}

/**
 * Decodes a version from its manifest and rows; throws ADW_DETECT_MODEL when a payload is
 * malformed or the rows do not add up to the manifest (a partly written version).
 */
export function decodeLevelModels(manifest: ModelVersionRow, rows: readonly ModelRow[]): LevelModels {
  if (!(LEVELS as readonly string[]).includes(manifest.level)) throw new DetectorModelError(`model version ${manifest.version}: unknown level "${manifest.level}"`)
  const baselines = new Map<string, EntityBaseline>()
  const campaignForests = new Map<string, CalibratedForest>()
  let levelForest: CalibratedForest | undefined
  for (const row of rows) {
    let parsed: unknown
    try {
      parsed = JSON.parse(row.payload)
    } catch (err) {
      throw new DetectorModelError(`model ${row.kind} "${row.entity}" of ${manifest.tenant}/${manifest.level} v${manifest.version}: payload is not JSON`, { cause: err })
    }
    if (row.kind === 'baseline') baselines.set(row.entity, EntityBaseline.fromJSON(parsed as BaselineJson))
    else {
      const p = parsed as ForestPayload
      if (!Array.isArray(p?.quantiles)) throw new DetectorModelError(`forest "${row.entity}" of ${manifest.tenant}/${manifest.level}: no calibration`)
      const cf: CalibratedForest = { forest: IsolationForest.fromJSON(p.forest), quantiles: p.quantiles, kind: p.kind === 'campaign' ? 'campaign' : 'level' }
      if (row.entity === '') levelForest = cf
      else campaignForests.set(row.entity, cf)
    }
  }
  if (baselines.size !== manifest.entities || campaignForests.size !== manifest.campaignForests || (levelForest !== undefined) !== manifest.levelForest) {
    throw new DetectorModelError(
      `model version ${manifest.tenant}/${manifest.level} v${manifest.version} is incomplete: ${baselines.size}/${manifest.entities} baselines, ${campaignForests.size}/${manifest.campaignForests} campaign forests`,
    )
  }
  return {
    tenant: manifest.tenant,
    level: manifest.level,
    version: manifest.version,
    fromMs: manifest.fromMs,
    toMs: manifest.toMs,
    baselines,
    levelForest,
    campaignForests,
    trainMs: manifest.trainMs,
    sparse: new Set(),
  }
}
