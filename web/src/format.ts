/** Display formatting of the dashboard's numbers; `—` stands for "no value". */

const money0 = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 0 })
const money2 = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 })
const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

/** Micros as dollars: cents below $10,000, whole dollars above. */
export function formatMicros(micros: number | null | undefined): string {
  if (micros === null || micros === undefined || !Number.isFinite(micros)) return '—'
  const v = micros / 1e6
  return Math.abs(v) >= 10_000 ? money0.format(v) : money2.format(v)
}

/** Micros as dollars for narrow cells: whole dollars from $1,000. */
export function formatMicrosCompact(micros: number | null | undefined): string {
  if (micros === null || micros === undefined || !Number.isFinite(micros)) return '—'
  const v = micros / 1e6
  return Math.abs(v) >= 1_000 ? money0.format(v) : money2.format(v)
}

/** An axis label in dollars: $950, $1.2k, $40k, $1.5M. */
export function formatDollarsAxis(v: number): string {
  const a = Math.abs(v)
  if (a >= 1e6) return `$${(v / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`
  if (a >= 1e3) return `$${(v / 1e3).toFixed(a >= 1e4 ? 0 : 1)}k`
  return `$${v.toFixed(a < 10 && v !== 0 ? 2 : 0)}`
}

/** A pacing or share as a whole percentage, capped for display (">999%"). */
export function formatPacing(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '—'
  return share >= 10 ? '>999%' : `${Math.round(share * 100)}%`
}

/** A share (0.0123) as a percentage ("1.23%"). */
export function formatPercent(share: number | null | undefined, digits = 2): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '—'
  return `${(share * 100).toFixed(digits)}%`
}

/** A ratio such as ROAS ("2.41×"). */
export function formatRatio(r: number | null | undefined): string {
  if (r === null || r === undefined || !Number.isFinite(r)) return '—'
  return `${r.toFixed(2)}×`
}

export function formatInt(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—'
  return int.format(n)
}

// Intl formatters cost ~0.1 ms to build: one per zone, reused (rows format on every update).
const clockFormats = new Map<string, Intl.DateTimeFormat>()
const dateTimeFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' })

/** A local wall time ("14:32") in a zone, or the browser's. */
export function formatClock(ms: number | string | null | undefined, timeZone?: string): string {
  if (ms === null || ms === undefined) return '—'
  const t = typeof ms === 'string' ? Date.parse(ms) : ms
  if (!Number.isFinite(t)) return '—'
  const key = timeZone ?? ''
  let f = clockFormats.get(key)
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone })
    clockFormats.set(key, f)
  }
  return f.format(t)
}

/** Date and time ("21 Nov 14:32:05"). */
export function formatDateTime(ms: number | string | null | undefined): string {
  if (ms === null || ms === undefined) return '—'
  const t = typeof ms === 'string' ? Date.parse(ms) : ms
  if (!Number.isFinite(t)) return '—'
  return dateTimeFormat.format(t)
}

/** "3 min ago", "2 h ago" relative to `nowMs`. */
export function formatAgo(ms: number, nowMs: number): string {
  const s = Math.max(0, Math.round((nowMs - ms) / 1000))
  if (s < 60) return `${s} s ago`
  if (s < 3600) return `${Math.floor(s / 60)} min ago`
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`
  return `${Math.floor(s / 86_400)} d ago`
}

const axisClock = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' })
const axisDay = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short' })

/** Time-axis tick labels (epoch seconds): "14:30" for ranges up to two days, "21 Nov" beyond. */
export function formatTimeTicks(ticksSec: readonly number[], spanSec: number): string[] {
  const f = spanSec > 2 * 86_400 ? axisDay : axisClock
  return ticksSec.map((t) => f.format(t * 1000))
}
