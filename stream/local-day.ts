/**
 * The calendar day (YYYY-MM-DD) of an instant in a time zone, as "today" totals need.
 * Intl formatting costs microseconds, so results are cached per zone and quarter hour
 * (every zone offset in use is a multiple of 15 minutes, DST changes included), and the last
 * answer per zone is kept at hand: events arrive roughly in time order.
 */
export class LocalDayCalendar {
  private readonly zones = new Map<string, ZoneDays>()

  /** `YYYY-MM-DD` of `epochMs` in `timeZone`. */
  dayOf(epochMs: number, timeZone: string): string {
    const quarter = Math.floor(epochMs / 900_000)
    let z = this.zones.get(timeZone)
    if (z === undefined) {
      // en-CA formats dates as YYYY-MM-DD.
      z = { format: new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }), days: new Map(), lastQuarter: Number.NaN, lastDay: '' }
      this.zones.set(timeZone, z)
    }
    if (quarter === z.lastQuarter) return z.lastDay
    let day = z.days.get(quarter)
    if (day === undefined) {
      day = z.format.format(quarter * 900_000)
      if (z.days.size > 10_000) z.days.clear()
      z.days.set(quarter, day)
    }
    z.lastQuarter = quarter
    z.lastDay = day
    return day
  }
}

/** One zone's formatter and the days of the quarter hours asked so far. */
interface ZoneDays {
  readonly format: Intl.DateTimeFormat
  readonly days: Map<number, string>
  lastQuarter: number
  lastDay: string
}
