import type { Redis } from 'ioredis'
import type { Logger } from '../core/log.ts'
import type { AccountSettings, CampaignSettings } from '../stream/entity-settings.ts'
import type { Level } from '../stream/event.ts'
import type { EntityWindows } from '../stream/live-windows.ts'
import type { PutInput } from '../stream/producer/put-records.ts'
import type { ScoreSeriesDto, TimeSeriesDto } from './api-types.ts'
import type { ApiKeyStore } from './auth/api-key-store.ts'
import type { Authenticator } from './auth/authenticator.ts'
import type { GatewayMetrics } from './metrics.ts'
import type { AlertingStores } from './alerting/alerting-stores.ts'
import type { LocalDay } from '../rules/zoned-day.ts'
import type { BacktestReport, BacktestRequest as RuleBacktestRequest } from '../rules/backtest-service.ts'
import type { StoredRule } from '../rules/rule-model.ts'

/** The live windows' change feed, followed on a short interval by the window pusher. */
export interface LiveFeed {
  /** Applies new changes; an entity changed by this call has lastChangeMs(...) === nowMs after. */
  poll(nowMs: number): Promise<void>
  lastChangeMs(tenant: string, level: Level, id: string): number | undefined
}

/** Levels with a list and settings in the API. */
export type ListedLevel = 'account' | 'campaign'

/** One entity's live state as the API shows it. */
export interface EntityView {
  readonly id: string
  /** The account it belongs to (itself for accounts); undefined when not yet known. */
  readonly account: string | undefined
  readonly timeZone: string
  /** The account-local day "today" means at the time of the read. */
  readonly day: LocalDay
  readonly windows: EntityWindows
}

/**
 * The tenants' entities, live windows and settings. RedisEntityCatalog reads the gateway's
 * in-memory live windows and Redis; tests use MemoryEntityCatalog.
 */
export interface EntityCatalog {
  readonly defaultTimeZone: string
  /** Ids of the tenant's entities at a level: active in the last 7 days (accounts: or with a zone set). */
  ids(tenant: string, level: ListedLevel): Promise<string[]>
  /** Views of the given entities; ids the tenant does not have are left out. */
  views(tenant: string, level: Level, ids: readonly string[], nowMs: number): Promise<Map<string, EntityView>>
  campaignSettings(tenant: string, ids: readonly string[]): Promise<Map<string, CampaignSettings>>
  setCampaignSettings(tenant: string, id: string, settings: CampaignSettings): Promise<void>
  accountSettings(tenant: string, id: string): Promise<AccountSettings>
  setAccountSettings(tenant: string, id: string, settings: AccountSettings): Promise<void>
  /** Drops cached settings of a tenant (another gateway changed them). */
  forgetSettings(tenant: string): void
}

/** A time-series request: `[fromMs, toMs)` in buckets of `stepSec`. */
export interface SeriesQuery {
  readonly tenant: string
  readonly level: Level
  readonly entity: string
  readonly fromMs: number
  readonly toMs: number
  readonly stepSec: number
}

/** Per-bucket sums from the ClickHouse minute rollups. */
export interface TimeSeriesReader {
  read(q: SeriesQuery): Promise<TimeSeriesDto>
  /** Whether the history holds anything of the entity (for 404s). */
  exists(tenant: string, level: Level, entity: string): Promise<boolean>
}

/** Where a dead letter is: its stream, shard and position. */
export interface DeadLetterKey {
  readonly stream: string
  readonly shard: string
  readonly pos: string
}

/** A stored dead letter with its replay, if any. */
export interface DeadLetterRow extends DeadLetterKey {
  readonly sequenceNumber: string
  readonly subSequence: number
  readonly partitionKey: string
  readonly code: string
  readonly reason: string
  readonly rawBase64: string
  readonly arrivedAtMs: number
  readonly replayedAtMs: number | undefined
  readonly replayedBy: string | undefined
}

/** Filters of a dead-letter listing. */
export interface DeadLetterFilter {
  readonly code?: string
  readonly fromMs?: number
  readonly toMs?: number
}

/** The tenants' dead letters (ClickHouse) and their replays. */
export interface DeadLetterStore {
  list(tenant: string, filter: DeadLetterFilter, page: { limit: number; offset: number }): Promise<{ items: DeadLetterRow[]; total: number }>
  countByCode(tenant: string, filter: DeadLetterFilter): Promise<Array<{ code: string; count: number }>>
  /** The given dead letters of the tenant (others are left out). */
  get(tenant: string, keys: readonly DeadLetterKey[]): Promise<DeadLetterRow[]>
  /** Claims a replay across gateways; false when it was claimed (or replayed) before. */
  claimReplay(tenant: string, key: DeadLetterKey): Promise<boolean>
  releaseReplay(tenant: string, key: DeadLetterKey): Promise<void>
  markReplayed(tenant: string, keys: readonly DeadLetterKey[], by: string, nowMs: number): Promise<void>
}

/** Writes records to the Kinesis stream (PutRecords with partial-failure retries). */
export interface EventWriter {
  put(records: readonly PutInput[]): Promise<void>
}

/**
 * The tenants' alert rules with their versions (RedisRuleStore implements it). Saves validate
 * and throw RuleInvalidError; an id the tenant does not have throws RuleNotFoundError.
 */
export interface RuleStore {
  /** Validates and saves a new version; with `onlyIfNew`, throws RuleExistsError when the id is current (atomically). */
  save(tenant: string, input: unknown, author: string, opts?: { onlyIfNew?: boolean }): Promise<StoredRule>
  /** The current version of every rule of the tenant (removed rules are left out). */
  list(tenant: string): Promise<StoredRule[]>
  get(tenant: string, id: string): Promise<StoredRule>
  /** Every version, oldest first (removed rules too). */
  versions(tenant: string, id: string): Promise<StoredRule[]>
  /** Saves an old version's content as the newest version. */
  restore(tenant: string, id: string, version: number, author: string): Promise<StoredRule>
  /** Takes a rule out of the current set; its versions stay restorable. */
  remove(tenant: string, id: string): Promise<void>
}

/** Runs backtests within the gateway's bounds (GatewayBacktester implements it). */
export interface Backtester {
  run(req: RuleBacktestRequest): Promise<BacktestReport>
}

/** One level's newest detector model version of a tenant. */
export interface DetectorModelInfo {
  readonly level: Level
  readonly version: number
  readonly trainedAtMs: number
  readonly entities: number
}

/** One entity's latest detector scores. */
export interface EntityScores {
  readonly entity: string
  readonly scores: Readonly<Record<string, number>>
  /** Start of the minute scored. */
  readonly atMs: number
}

/**
 * The tenants' detectors as the runner (detectors/main.ts) leaves them: model versions
 * (ClickHouse), thresholds, retrain requests and latest scores (Redis). RedisDetectorCatalog
 * implements it; tests use MemoryDetectorCatalog.
 */
export interface DetectorCatalog {
  /** The detectors and levels the runner is configured with (ADW_DETECT_DETECTORS, ADW_DETECT_LEVELS). */
  readonly names: readonly string[]
  readonly levels: readonly Level[]
  /** The newest model version per level of the tenant. */
  models(tenant: string): Promise<DetectorModelInfo[]>
  /** The tenant's threshold per detector. */
  thresholds(tenant: string): Promise<Map<string, number>>
  /** When the tenant last asked for a retrain (undefined: never). */
  retrainRequestedAtMs(tenant: string): Promise<number | undefined>
  /** Queues a retrain of the tenant's models, taken by the runner on its next tick. */
  requestRetrain(tenant: string, nowMs: number): Promise<void>
  /** Sets the tenant's threshold (0–1] of one detector. */
  setThreshold(tenant: string, detector: string, threshold: number): Promise<void>
  /**
   * Latest scores of the tenant's recently active entities of a level (the runner's active
   * window, bounded in number), the most anomalous first; entities without scores are left out.
   */
  latestScores(tenant: string, level: Level, nowMs: number): Promise<EntityScores[]>
  /** The highest score of any detector per judged minute of one entity in [fromMs, toMs) (ClickHouse). */
  scoreSeries(tenant: string, level: Level, entity: string, fromMs: number, toMs: number): Promise<ScoreSeriesDto>
}

/** One dependency /ready checks; resolves when reachable, rejects (or times out) when not. */
export interface ReadinessCheck {
  readonly name: string
  check(): Promise<void>
}

/** The Redis connections of the Socket.IO adapter; without them sockets stay in this process. */
export interface AdapterClients {
  readonly pub: Redis
  readonly sub: Redis
}

/**
 * Everything buildGateway needs, as interfaces: gateway/runtime.ts wires the real adapters,
 * unit tests pass fakes. Route groups that land later (rules, alerts, silences, receivers,
 * detectors) add their store here as an optional field and register their plugin in app.ts
 * when it is given.
 */
export interface GatewayDeps {
  readonly now: () => number
  readonly log: Logger
  readonly authenticator: Authenticator
  readonly apiKeys: ApiKeyStore
  readonly entities: EntityCatalog
  readonly live: LiveFeed
  readonly series: TimeSeriesReader
  readonly deadLetters: DeadLetterStore
  readonly events: EventWriter
  readonly metrics: GatewayMetrics
  readonly readiness: readonly ReadinessCheck[]
  /** The stream HTTP ingest writes to and whose dead letters the API shows. */
  readonly streamName: string
  /** Event-time limits of ingest, as the consumer applies them (ADW_MAX_*). */
  readonly maxLatenessMs: number
  readonly maxFutureMs: number
  /** Rate-limit counters; without it they are per process (tests). */
  readonly rateLimitRedis?: Redis
  readonly adapter?: AdapterClients
  /** Rules CRUD, validation and versions; backtests need `backtests` too. */
  readonly rules?: RuleStore
  readonly backtests?: Backtester
  readonly detectors?: DetectorCatalog
  /** Alerts, acknowledgements, silences, routing configs, history and the alert event log (live push). */
  readonly alerting?: AlertingStores
}
