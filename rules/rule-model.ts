import type { Level } from '../stream/event.ts'

/** Operators the compiled evaluator supports (json-rules-engine's defaults). */
export const OPERATORS = ['equal', 'notEqual', 'lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive', 'in', 'notIn'] as const
export type Operator = (typeof OPERATORS)[number]
export const NUMERIC_OPERATORS: ReadonlySet<string> = new Set(['lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive'])
export const LIST_OPERATORS: ReadonlySet<string> = new Set(['in', 'notIn'])

export const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const
export type Severity = (typeof SEVERITIES)[number]

export const NO_DATA_POLICIES = ['ok', 'alert', 'keep_last'] as const
export type NoDataPolicy = (typeof NO_DATA_POLICIES)[number]

/** A value compared against: a literal, or a reference to another fact of the same entity. */
export type ConditionValue = number | string | boolean | null | ReadonlyArray<number | string> | { readonly fact: string }

/** One comparison (json-rules-engine's condition format, without `path` and `params`). */
export interface LeafCondition {
  readonly fact: string
  readonly operator: Operator
  readonly value: ConditionValue
}

/** json-rules-engine's nested condition format. */
export type Condition =
  | LeafCondition
  | { readonly all: readonly Condition[] }
  | { readonly any: readonly Condition[] }
  | { readonly not: Condition }
  | { readonly condition: string }

/** A label matcher, as Alertmanager writes them: `=`, `!=`, `=~`, `!~`. */
export interface Matcher {
  readonly name: string
  readonly op: '=' | '!=' | '=~' | '!~'
  readonly value: string
}

/** Which entities a rule runs on, besides its level. Empty means all of the tenant's. */
export interface RuleScope {
  readonly accounts?: readonly string[]
  readonly platforms?: readonly string[]
  /** Matchers over the entity's labels: level, platform, account, campaign, adset, entity. */
  readonly matchers?: readonly Matcher[]
}

/** An alert rule as rule authors write it (docs/rules.md). */
export interface Rule {
  readonly id: string
  readonly name: string
  readonly level: Level
  readonly severity: Severity
  readonly conditions: Condition
  readonly scope?: RuleScope
  /** How long the condition must hold before the alert fires (duration, default "0s"). */
  readonly for?: string
  /** How long an alert keeps firing after the condition clears (default "0s"). */
  readonly keep_firing_for?: string
  /** Evaluate at most this often (default: every tick). */
  readonly every?: string
  readonly labels?: Readonly<Record<string, string>>
  readonly annotations?: { readonly summary?: string; readonly description?: string }
  /** What an entity without data in the last hour means (default "ok"). */
  readonly no_data?: NoDataPolicy
  /** Named conditions that `{ "condition": name }` refers to. */
  readonly shared_conditions?: Readonly<Record<string, Condition>>
  readonly enabled?: boolean
}

/** A rule as stored: the author's rule plus version bookkeeping. */
export interface StoredRule {
  readonly rule: Rule
  readonly version: number
  readonly author: string
  readonly savedAtMs: number
}
