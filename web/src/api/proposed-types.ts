/**
 * Shapes of gateway routes that did not exist yet when the dashboard was written (alerts,
 * silences, rules, backtest, detectors): proposed here from DESIGN.md, issue 6's route list,
 * rules/rule-model.ts and alerts/alert-event.ts. When gateway/api-types.ts gains a shape,
 * the dashboard imports it from there and this file loses it.
 */
import type { Level } from '../../../gateway/api-types.ts'
import type { LabelMatcher } from '../../../alerts/matchers.ts'
import type { BacktestReport } from '../../../rules/backtest-service.ts'
import type { Rule } from '../../../rules/rule-model.ts'
import type { RuleProblem } from '../../../rules/validate-rule.ts'

export type { Rule, RuleProblem }

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

/** A stored rule version (`GET /rules`, `/rules/:id`, `/rules/:id/versions`). */
export interface StoredRuleDto {
  readonly rule: Rule
  readonly version: number
  readonly author: string
  readonly savedAt: string
}

/** `POST /rules/validate` answer. */
export interface ValidationDto {
  readonly ok: boolean
  readonly problems: readonly RuleProblem[]
}

/** `POST /rules/backtest` body: a draft rule replayed over the last `days` of minute rollups. */
export interface BacktestRequest {
  readonly rule: unknown
  readonly days: number
}

/** `POST /rules/backtest` answer: the rules engine's report as it is (rules/backtest-service.ts). */
export type BacktestResultDto = BacktestReport

/** A detector with its model (`GET /detectors`). */
export interface DetectorDto {
  readonly name: string
  readonly level: Level
  readonly modelVersion: number | null
  readonly trainedAt: string | null
  readonly threshold: number
  readonly status: 'ready' | 'training' | 'untrained'
}

/** Latest scores of one entity (`GET /detectors/scores`). */
export interface DetectorScoreDto {
  readonly level: Level
  readonly entity: string
  readonly scores: Readonly<Record<string, number | null>>
  readonly at: string
}

/** Score history of one entity for the chart bands (`GET /detectors/scores/:level/:id`). */
export interface ScoreSeriesDto {
  readonly timesSec: readonly number[]
  /** Highest score of any detector per bucket (0–1). */
  readonly maxScore: readonly number[]
}
