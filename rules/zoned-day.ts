/**
 * Local-day arithmetic in an IANA time zone, DST included: when the local day containing an
 * instant starts and ends (days are 23, 24 or 25 hours long), and its date.
 */
export interface LocalDay {
  readonly date: string
  readonly startMs: number
  readonly endMs: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function partsOf(epochMs: number, timeZone: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  let f = formatters.get(timeZone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
    formatters.set(timeZone, f)
  }
  const p: Record<string, number> = {}
  for (const part of f.formatToParts(epochMs)) if (part.type !== 'literal') p[part.type] = Number(part.value)
  return { y: p.year!, mo: p.month!, d: p.day!, h: p.hour!, mi: p.minute!, s: p.second! }
}

/** Offset of the zone from UTC at an instant, in ms (local wall time − UTC). */
function offsetMs(epochMs: number, timeZone: string): number {
  const p = partsOf(epochMs, timeZone)
  const wall = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s)
  return wall - (epochMs - (epochMs % 1000))
}

/**
 * UTC instant of the first moment of a local date: the local midnight, or where a DST jump
 * skips midnight, the instant of the jump. Tries the zone's offsets of the hours around.
 */
function localMidnight(y: number, mo: number, d: number, timeZone: string): number {
  const wall = Date.UTC(y, mo - 1, d)
  const candidates = [...new Set([offsetMs(wall - 14 * 3_600_000, timeZone), offsetMs(wall + 14 * 3_600_000, timeZone)])]
    .map((off) => wall - off)
    .sort((a, b) => a - b)
  const onDate = candidates.filter((t) => partsOf(t, timeZone).d === d)
  const midnight = onDate.find((t) => {
    const p = partsOf(t, timeZone)
    return p.h === 0 && p.mi === 0
  })
  return midnight ?? onDate[0] ?? candidates[0]!
}

/** The local day containing `epochMs` in `timeZone`. */
export function localDayOf(epochMs: number, timeZone: string): LocalDay {
  const p = partsOf(epochMs, timeZone)
  const startMs = localMidnight(p.y, p.mo, p.d, timeZone)
  const next = new Date(Date.UTC(p.y, p.mo - 1, p.d + 1))
  const endMs = localMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone)
  const date = `${p.y}-${String(p.mo).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`
  return { date, startMs, endMs }
}
