import type { CSSProperties } from 'react'
import type { PacingDto } from '../../../gateway/api-types.ts'
import { formatClock, formatMicros, formatPacing } from '../format.ts'

/** How a pacing value reads: over, under or on pace (±15%). */
export function pacingTone(pacing: number | null): 'over' | 'under' | 'on' | 'none' {
  if (pacing === null) return 'none'
  if (pacing > 1.15) return 'over'
  if (pacing < 0.85) return 'under'
  return 'on'
}

/**
 * Budget pacing: the bar is spend today over the daily budget, the tick is the share of the
 * account's day elapsed (where an on-pace bar ends), and the label gives the pacing and, when
 * the budget runs out before the day ends, the projected time (in the account's zone).
 */
export function PacingBar({ pacing, timeZone }: { pacing: PacingDto | null; timeZone?: string }) {
  if (pacing === null) return <span className="muted">no budget</span>
  const spentShare = pacing.dailyBudgetMicros > 0 ? Math.min(1, pacing.spendTodayMicros / pacing.dailyBudgetMicros) : 0
  const tone = pacingTone(pacing.pacing)
  const pct = formatPacing(pacing.pacing)
  const out = pacing.exhaustsToday && pacing.projectedExhaustionAt !== null ? formatClock(pacing.projectedExhaustionAt, timeZone) : undefined
  const spent = pacing.remainingMicros <= 0
  const label = `Pacing ${pct}: ${formatMicros(pacing.spendTodayMicros)} of ${formatMicros(pacing.dailyBudgetMicros)} spent${spent ? ', budget spent' : out !== undefined ? `, budget runs out at ${out}` : ''}`
  return (
    <span className={`pacing pacing-${tone}`} title={label} aria-label={label} role="img">
      {/* One box: fill and tick are background layers sized by two custom properties (a table row lays out fewer boxes). */}
      <span className="pacing-track" style={{ '--fill': `${(spentShare * 100).toFixed(1)}%`, '--tick': `${(Math.min(1, pacing.dayElapsedShare) * 100).toFixed(1)}%` } as CSSProperties} />
      <span className="pacing-text">
        {pct}
        {spent ? <span className="pacing-out"> · spent</span> : out !== undefined && <span className="pacing-out"> · out {out}</span>}
      </span>
    </span>
  )
}
