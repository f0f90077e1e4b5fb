/**
 * Shapes of gateway routes that did not exist yet when the dashboard was written (alerts,
 * silences, rules, backtest, detectors): proposed here from DESIGN.md, issue 6's route list,
 * rules/rule-model.ts and alerts/alert-event.ts. When gateway/api-types.ts gains a shape,
 * the dashboard imports it from there and this file loses it.
 */
import type { Level } from '../../../gateway/api-types.ts'
import type { LabelMatcher } from '../../../alerts/matchers.ts'

// Rules and detectors landed in the gateway: their shapes live in gateway/api-types.ts.
export type {
  BacktestRequest, BacktestResultDto, DetectorDto, DetectorScoreDto, DetectorStatus, Rule, RuleProblem, StoredRuleDto, ValidationDto,
} from '../../../gateway/api-types.ts'

export type AlertSeverity = 'critical' | 'error' | 'warning' | 'info'
export type AlertPhase = 'pending' | 'firing' | 'resolved'

/** An alert identity as `GET /alerts` lists it (latest transition, with ack and silence). */
export interface AlertDto {
  readonly fingerprint: string
  readonly source: 'rule' | 'detector'
  readonly sourceId: string
  readonly level: Level
  readonly entity: string
  readonly account: string | null
  readonly campaign: string | null
  readonly severity: AlertSeverity
  readonly state: AlertPhase
  readonly explanation: string
  readonly labels: Readonly<Record<string, string>>
  /** ISO-8601: when it went pending or firing; when it resolved (null while open). */
  readonly startsAt: string
  readonly endsAt: string | null
  readonly updatedAt: string
  readonly acknowledgedBy: string | null
  readonly acknowledgedAt: string | null
  /** Ids of the silences that match it now. */
  readonly silencedBy: readonly string[]
}

/** A label matcher as the alerts part keeps them (alerts/matchers.ts): `=`, `!=`, `=~`, `!~`. */
export type MatcherDto = LabelMatcher

/** `POST /silences` body. */
export interface SilenceInput {
  readonly matchers: readonly MatcherDto[]
  readonly startsAt: string
  readonly endsAt: string
  readonly comment: string
}

export interface SilenceDto extends SilenceInput {
  readonly id: string
  readonly createdBy: string
}

/** Score history of one entity for the chart bands (`GET /detectors/scores/:level/:id`). */
export interface ScoreSeriesDto {
  readonly timesSec: readonly number[]
  /** Highest score of any detector per bucket (0–1). */
  readonly maxScore: readonly number[]
}
