import type { Level } from '../stream/event.ts'
import type { EntityHistory } from './baseline.ts'
import type { ModelVersionRow } from './model-codec.ts'
import type { LevelModels } from './training.ts'

/**
 * The narrow interfaces the detector runner needs from the outside world. Adapters named for
 * their technology implement them (RedisLiveSource, ClickHouseModelStore, …); tests use fakes.
 */

/** Live minute data: tenants, active entities and their minute buckets (Redis). */
export interface LiveSource {
  /** Registered tenants. */
  tenants(): Promise<string[]>
  /** Entities of a level whose counters changed at or after `sinceMs`. */
  activeEntities(tenant: string, level: Level, sinceMs: number): Promise<string[]>
  /** The account of each entity ('' when unknown); an account-level entity is its own account. */
  accounts(tenant: string, level: Level, entities: readonly string[]): Promise<Map<string, string>>
  /**
   * Minute sums of each request's entity over [fromMs, toMs) (minute-aligned), dense with
   * stride 4 (impressions, clicks, spend in currency units, conversions); zeros where nothing
   * was counted. One array per request, in order.
   */
  readMinutes(tenant: string, level: Level, requests: ReadonlyArray<{ entity: string; fromMs: number; toMs: number }>): Promise<Float64Array[]>
}

/** Minute histories for training (ClickHouse rollups). */
export interface HistorySource {
  /** Each entity's dense minute history over [fromMs, toMs), one entity at a time. */
  histories(tenant: string, level: Level, fromMs: number, toMs: number): AsyncIterable<EntityHistory>
}

/** Versioned model storage (ClickHouse). */
export interface ModelStore {
  /** The newest complete version's manifest per tenant and level. */
  latestVersions(): Promise<ModelVersionRow[]>
  load(manifest: ModelVersionRow): Promise<LevelModels>
  save(models: LevelModels): Promise<void>
}

/** One entity's scores of one minute (the latest, as written for rules to read; or any judged minute, for the history). */
export interface ScoreRow {
  readonly entity: string
  readonly minuteMs: number
  readonly scores: Readonly<Record<string, number>>
}

/** Where the latest scores go (Redis, with a TTL). */
export interface ScoreStore {
  writeScores(tenant: string, level: Level, rows: readonly ScoreRow[]): Promise<void>
}

/** Where every judged minute's scores go (ClickHouse), for the dashboard's score bands. */
export interface ScoreHistory {
  append(tenant: string, level: Level, rows: readonly ScoreRow[]): Promise<void>
  /** Drops the minutes of days older than the retention (the runner calls it about hourly); resolves with the days dropped. */
  prune?(nowMs: number): Promise<string[]>
}

/** Per-tenant detector settings and retrain requests (Redis). */
export interface DetectorSettingsSource {
  /** The tenant's alert threshold per detector, `fallback` where it sets none. */
  thresholds(tenant: string, detectors: readonly string[], fallback: number): Promise<Map<string, number>>
  /** Takes (and clears) the pending retrain requests: tenant names, or `*` for every tenant. */
  takeRetrainRequests(): Promise<string[]>
}

/** Leadership, so that of several runners only one scores and trains at a time. */
export interface LeaderLease {
  /** Takes or renews the lease; true while this runner holds it. */
  hold(): Promise<boolean>
  release(): Promise<void>
}
