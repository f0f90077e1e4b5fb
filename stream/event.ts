/** Event types of the adwatch event contract (../docs/event-contract.md). */
export const EVENT_TYPES = ['impression', 'click', 'spend', 'conversion'] as const
export type EventType = (typeof EVENT_TYPES)[number]

/** Entity levels, outermost first; counters roll up to every level an event names. */
export const LEVELS = ['account', 'campaign', 'adset', 'ad'] as const
export type Level = (typeof LEVELS)[number]

/** One ad event as producers write it to Kinesis (one JSON object per record). */
export interface AdEventInput {
  id: string
  ts: string | number
  tenant: string
  platform: string
  account: string
  campaign: string
  adset?: string
  ad?: string
  type: EventType
  impressions?: number
  clicks?: number
  spend_micros?: number
  conversions?: number
  revenue_micros?: number
  currency?: string
}

/** A validated event: metrics default to 0 and the timestamp is epoch milliseconds. */
export interface AdEvent {
  readonly id: string
  readonly tsMs: number
  readonly tenant: string
  readonly platform: string
  readonly account: string
  readonly campaign: string
  readonly adset: string
  readonly ad: string
  readonly type: EventType
  readonly impressions: number
  readonly clicks: number
  readonly spendMicros: number
  readonly conversions: number
  readonly revenueMicros: number
  readonly currency: string
}

/** Patterns and bounds of the event contract's fields (docs/event-contract.md), for every check of them. */
export const TENANT_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/
export const CURRENCY_PATTERN = /^[A-Z]{3}$/
/** An ISO-8601 timestamp with an offset or `Z`; `Date.parse` reads what it admits. */
export const ISO_8601_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/
/** Longest id (event id, platform, account, campaign, adset, ad), in characters. */
export const ID_MAX_LENGTH = 256

/**
 * Largest value of one metric in one event (10^12: a trillion impressions, or 1,000,000 in
 * micros of money); larger values are dead-lettered. Counters in Redis are 64-bit: with this
 * bound one overflows only after 9.2 million maximal events. Without it a producer bug (nanos
 * sent as micros, say) with values up to 2^53 could overflow a day's total within a few thousand
 * events, and the apply script would then fail part-way on every retry and stall the shard.
 */
export const MAX_METRIC_PER_EVENT = 1_000_000_000_000

/** The five additive metrics, in the order used by folds, Redis fields and ClickHouse columns. */
export const METRICS = ['impressions', 'clicks', 'spendMicros', 'conversions', 'revenueMicros'] as const
export type Metric = (typeof METRICS)[number]
