/**
 * Shapes of the gateway's REST answers, shared with web/ (type-only imports, so the browser
 * bundle gets no server code). The JSON Schemas in routes/schemas.ts describe the same shapes
 * for validation, serialisation and the OpenAPI document; a unit test holds them together.
 */
import type { Level } from '../stream/event.ts'
import type { WindowName } from '../stream/live-windows.ts'
import type { BacktestReport } from '../rules/backtest-service.ts'
import type { Rule } from '../rules/rule-model.ts'
import type { RuleProblem } from '../rules/validate-rule.ts'

export type { Level, Rule, RuleProblem, WindowName }

/** One window's sums and ratios; a ratio is null when its denominator is 0. Money in micros. */
export interface WindowMetrics {
  readonly impressions: number
  readonly clicks: number
  readonly spendMicros: number
  readonly conversions: number
  readonly revenueMicros: number
  /** clicks ÷ impressions */
  readonly ctr: number | null
  /** spend ÷ clicks */
  readonly cpcMicros: number | null
  /** spend ÷ impressions × 1000 */
  readonly cpmMicros: number | null
  /** spend ÷ conversions */
  readonly cpaMicros: number | null
  /** revenue ÷ spend */
  readonly roas: number | null
}

/** The live windows of an entity: 1 m, 5 m, 15 m, 1 h (current minute included) and today. */
export type WindowsDto = Readonly<Record<WindowName, WindowMetrics>>

/**
 * Budget pacing of a campaign with a daily budget: spend today ÷ (budget × share of the
 * account's local day elapsed); 1 is on pace. The projection extrapolates the last 15 minutes.
 */
export interface PacingDto {
  readonly dailyBudgetMicros: number
  readonly spendTodayMicros: number
  readonly remainingMicros: number
  /** Share of the account's local day elapsed, 0–1. */
  readonly dayElapsedShare: number
  readonly pacing: number | null
  /** When the budget runs out at the last 15 minutes' rate; null without spend in them. */
  readonly projectedExhaustionAt: string | null
  /** True when that time falls before the local day ends (or the budget is spent already). */
  readonly exhaustsToday: boolean
}

/** A campaign row of the accounts ▸ campaigns table. */
export interface CampaignDto {
  readonly id: string
  readonly account: string | null
  readonly name: string | null
  readonly dailyBudgetMicros: number | null
  /** The account's time zone and its local date that "today" means. */
  readonly timeZone: string
  readonly today: string
  readonly windows: WindowsDto
  readonly pacing: PacingDto | null
}

/** An account row. */
export interface AccountDto {
  readonly id: string
  readonly name: string | null
  readonly timeZone: string
  readonly today: string
  readonly windows: WindowsDto
}

/** A page of a list. */
export interface PageDto<T> {
  readonly items: readonly T[]
  readonly total: number
  readonly limit: number
  readonly offset: number
}

export interface CampaignSettingsDto {
  readonly name: string | null
  readonly dailyBudgetMicros: number | null
}

export interface AccountSettingsDto {
  readonly name: string | null
  /** The zone set for the account, or null when it uses the default. */
  readonly timeZone: string | null
  /** The zone in effect (the default when none is set). */
  readonly effectiveTimeZone: string
}

/** Per-bucket sums of an entity from ClickHouse, columnar (as uPlot takes them). */
export interface TimeSeriesDto {
  readonly level: Level
  readonly entity: string
  readonly stepSec: number
  /** Bucket starts, epoch seconds, every bucket of the range (empty ones are 0). */
  readonly timesSec: readonly number[]
  readonly impressions: readonly number[]
  readonly clicks: readonly number[]
  readonly spendMicros: readonly number[]
  readonly conversions: readonly number[]
  readonly revenueMicros: readonly number[]
}

/** One dead letter of the caller's tenant. `id` is opaque (for replay). */
export interface DeadLetterDto {
  readonly id: string
  readonly code: string
  readonly reason: string
  readonly shard: string
  readonly sequenceNumber: string
  readonly subSequence: number
  readonly partitionKey: string
  readonly arrivedAt: string
  readonly rawBase64: string
  readonly replayedAt: string | null
  readonly replayedBy: string | null
}

/** Outcome of replaying one dead letter. */
export interface ReplayResultDto {
  readonly id: string
  readonly status: 'replayed' | 'already_replayed' | 'not_found' | 'refused'
  readonly reason?: string
}

/** An API key as listed (the secret is never shown again). */
export interface ApiKeyDto {
  readonly id: string
  readonly name: string
  readonly role: 'viewer' | 'editor' | 'admin'
  readonly createdAt: string
  readonly createdBy: string
  readonly lastUsedAt: string | null
  readonly revokedAt: string | null
}

/** A new API key: `key` is shown here once and stored only as a hash. */
export interface CreatedApiKeyDto extends ApiKeyDto {
  readonly key: string
}

/** What happened to each event of an ingest batch, in request order. */
export interface IngestResultDto {
  readonly accepted: number
  readonly rejected: number
  readonly results: ReadonlyArray<{ readonly index: number; readonly id: string; readonly status: 'accepted' | 'rejected'; readonly code?: string; readonly reason?: string }>
}

/** Every error answer. */
export interface ErrorBodyDto {
  readonly error: {
    readonly code: string
    readonly message: string
    readonly field?: string
    readonly requestId: string
    /** Every problem of an invalid rule (ADW_RULE_INVALID), at its JSON path in the rule. */
    readonly problems?: readonly RuleProblem[]
  }
}

/** A stored rule version (`GET /rules`, `/rules/:id`, `/rules/:id/versions`). */
export interface StoredRuleDto {
  readonly rule: Rule
  readonly version: number
  readonly author: string
  readonly savedAt: string
}

/** `POST /rules/validate` answer: the problems of a rule, each at its JSON path (`$` is the rule). */
export interface ValidationDto {
  readonly ok: boolean
  readonly problems: readonly RuleProblem[]
}

/**
 * `POST /rules/backtest` body: a draft rule (or a saved one by id and optional version) replayed
 * over the last `days` days of minute rollups.
 */
export type BacktestRequest = { readonly days?: number } & ({ readonly rule: unknown } | { readonly ruleId: string; readonly version?: number })

/** `POST /rules/backtest` answer: the rules engine's report as it is (rules/backtest-service.ts). */
export type BacktestResultDto = BacktestReport

/** Whether a detector's models are usable, being retrained, or not trained yet. */
export type DetectorStatus = 'ready' | 'training' | 'untrained'

/** A detector at one level with the tenant's model and threshold (`GET /detectors`). */
export interface DetectorDto {
  readonly name: string
  readonly level: Level
  /** Version of the tenant's models of that level (the training time, ms); null when untrained. */
  readonly modelVersion: number | null
  readonly trainedAt: string | null
  /** Entities with a baseline in that version. */
  readonly entities: number
  /** Score (0–1) at or above which the detector fires for this tenant. */
  readonly threshold: number
  readonly status: DetectorStatus
  /** When a retrain was last requested (null: never, or trained since). */
  readonly retrainRequestedAt: string | null
}

/** Latest scores of one entity (`GET /detectors/scores`). */
export interface DetectorScoreDto {
  readonly level: Level
  readonly entity: string
  readonly scores: Readonly<Record<string, number | null>>
  /** Start of the minute scored. */
  readonly at: string
}

/** Severity of an alert. */
export type AlertSeverity = 'critical' | 'error' | 'warning' | 'info'
/** Where an alert stands: pending (its `for` not yet elapsed), firing, or resolved. */
export type AlertPhase = 'pending' | 'firing' | 'resolved'

/** A live alert identity as `GET /alerts` lists it (latest transition, with ack and silences). */
export interface AlertDto {
  readonly fingerprint: string
  readonly source: 'rule' | 'detector'
  /** Rule id or detector name. */
  readonly sourceId: string
  readonly level: Level
  readonly entity: string
  readonly account: string | null
  readonly campaign: string | null
  readonly severity: AlertSeverity
  readonly state: AlertPhase
  readonly explanation: string
  readonly labels: Readonly<Record<string, string>>
  readonly annotations: Readonly<Record<string, string>>
  /** The facts the condition read, at the latest transition. */
  readonly values: Readonly<Record<string, number | string | null>>
  /** ISO-8601: when it went pending or firing; when it resolved (null while open). */
  readonly startsAt: string
  readonly endsAt: string | null
  readonly updatedAt: string
  /** Who acknowledged the current firing episode, and when (null when not acknowledged). */
  readonly acknowledgedBy: string | null
  readonly acknowledgedAt: string | null
  /** Ids of the silences that match it now. */
  readonly silencedBy: readonly string[]
}

/** One stored transition of an alert (`GET /alerts/history`, `/alerts/:fingerprint/history`). */
export interface AlertTransitionDto {
  /** The event log entry id (unique per transition). */
  readonly id: string
  readonly fingerprint: string
  readonly kind: AlertPhase | 'cancelled'
  readonly source: string
  readonly sourceId: string
  readonly sourceVersion: number
  readonly level: string
  readonly entity: string
  readonly account: string | null
  readonly campaign: string | null
  readonly severity: string
  readonly labels: Readonly<Record<string, string>>
  readonly values: Readonly<Record<string, number | string | null>>
  readonly explanation: string
  readonly at: string
  readonly startsAt: string
  readonly endsAt: string | null
}

/** A page of a list whose total is not counted: `hasMore` says whether a next page exists. */
export interface CursorPageDto<T> {
  readonly items: readonly T[]
  readonly limit: number
  readonly offset: number
  readonly hasMore: boolean
}

/** A label matcher as Alertmanager writes them: `=`, `!=`, `=~`, `!~` (regexes anchored). */
export interface MatcherDto {
  readonly name: string
  readonly op: '=' | '!=' | '=~' | '!~'
  readonly value: string
}

/** `POST /silences` body; `startsAt` defaults to now. The author is the caller. */
export interface SilenceInput {
  readonly matchers: readonly MatcherDto[]
  readonly startsAt?: string
  readonly endsAt: string
  readonly comment?: string
}

/** A silence of the caller's tenant. */
export interface SilenceDto {
  readonly id: string
  readonly matchers: readonly MatcherDto[]
  readonly startsAt: string
  readonly endsAt: string
  readonly comment: string
  readonly createdBy: string
  readonly createdAt: string
  readonly updatedAt: string
  readonly state: 'pending' | 'active' | 'expired'
}

/**
 * The tenant's routing config (`GET /alerting/config`): receivers, route tree, grouping and
 * inhibit rules as docs/alerts.md describes them. Receiver secrets are references
 * (`{"secret": "<name>"}`), never values. `config` is null while the default receiver applies.
 */
export interface RoutingConfigDto {
  readonly config: Readonly<Record<string, unknown>> | null
  readonly version: number
  readonly author: string | null
  readonly savedAt: string | null
}

/** One problem of a routing config: its JSON path (`$.receivers[0].type`), the same as a request field, and what is wrong. */
export interface ConfigProblemDto {
  readonly path: string
  readonly field: string
  readonly message: string
}

/** `POST /alerting/config/validate` answer. */
export interface ConfigValidationDto {
  readonly ok: boolean
  readonly problems: readonly ConfigProblemDto[]
}

/** An entity's detector score history (`GET /detectors/scores/:level/:id`): the highest score of any detector per judged minute. */
export interface ScoreSeriesDto {
  /** Start of each judged minute, epoch seconds, oldest first. */
  readonly timesSec: readonly number[]
  /** Highest score (0–1) of any detector in that minute. */
  readonly maxScore: readonly number[]
}
