/**
 * The calendar day (YYYY-MM-DD) of an instant in a time zone, as "today" totals need.
 * Intl formatting costs microseconds, so results are cached per zone and quarter hour
 * (every zone offset in use is a multiple of 15 minutes, DST changes included).
 */
export class LocalDayCalendar {
  private readonly formatters = new Map<string, Intl.DateTimeFormat>()
  private readonly cache = new Map<string, string>()

  /** `YYYY-MM-DD` of `epochMs` in `timeZone`. */
  dayOf(epochMs: number, timeZone: string): string {
    const quarter = Math.floor(epochMs / 900_000)
    const key = `${timeZone}|${quarter}`
    let day = this.cache.get(key)
    if (day === undefined) {
      day = this.format(quarter * 900_000, timeZone)
      if (this.cache.size > 50_000) this.cache.clear()
      this.cache.set(key, day)
    }
    return day
  }

  private format(epochMs: number, timeZone: string): string {
    let f = this.formatters.get(timeZone)
    if (f === undefined) {
      // en-CA formats dates as YYYY-MM-DD.
      f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
      this.formatters.set(timeZone, f)
    }
    return f.format(epochMs)
  }
}
