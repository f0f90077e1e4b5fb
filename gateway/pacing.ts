import type { LocalDay } from '../rules/zoned-day.ts'
import type { PacingDto } from './api-types.ts'

/** What pacing is computed from. */
export interface PacingInput {
  readonly dailyBudgetMicros: number
  readonly spendTodayMicros: number
  /** Spend of the last 15 minutes (the current minute included), the rate projected forward. */
  readonly spend15mMicros: number
  readonly nowMs: number
  /** The account's local day containing `nowMs` (rules/zoned-day.ts localDayOf). */
  readonly day: LocalDay
}

const PROJECTION_WINDOW_MS = 15 * 60_000

/**
 * Budget pacing: spend today ÷ (daily budget × share of the local day elapsed), null when that
 * is 0; and when the budget runs out at the last 15 minutes' rate. Pure.
 */
export function computePacing(i: PacingInput): PacingDto {
  const dayMs = i.day.endMs - i.day.startMs
  const elapsed = Math.min(1, Math.max(0, (i.nowMs - i.day.startMs) / dayMs))
  const target = i.dailyBudgetMicros * elapsed
  const remaining = i.dailyBudgetMicros - i.spendTodayMicros
  const ratePerMs = i.spend15mMicros / PROJECTION_WINDOW_MS
  let exhaustionMs: number | null = null
  if (remaining > 0 && ratePerMs > 0) exhaustionMs = i.nowMs + remaining / ratePerMs
  return {
    dailyBudgetMicros: i.dailyBudgetMicros,
    spendTodayMicros: i.spendTodayMicros,
    remainingMicros: remaining,
    dayElapsedShare: elapsed,
    pacing: target === 0 ? null : i.spendTodayMicros / target,
    projectedExhaustionAt: exhaustionMs === null ? null : new Date(Math.round(exhaustionMs)).toISOString(),
    exhaustsToday: remaining <= 0 || (exhaustionMs !== null && exhaustionMs < i.day.endMs),
  }
}
