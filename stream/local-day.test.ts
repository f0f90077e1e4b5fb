import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LocalDayCalendar } from './local-day.ts'

test('dayOf follows the time zone, including DST changes and half-hour zones', () => {
  const cal = new LocalDayCalendar()
  const cases: Array<[string, string, string]> = [
    ['2026-11-21T03:59:59Z', 'America/New_York', '2026-11-20'], // 22:59 EST the day before
    ['2026-11-21T05:00:00Z', 'America/New_York', '2026-11-21'],
    ['2026-03-08T04:59:00Z', 'America/New_York', '2026-03-07'], // 23:59 EST, DST starts at 07:00Z
    ['2026-03-08T05:00:00Z', 'America/New_York', '2026-03-08'],
    ['2026-11-01T04:30:00Z', 'America/New_York', '2026-11-01'], // 00:30 EDT on the day DST ends
    ['2026-11-20T18:29:00Z', 'Asia/Kolkata', '2026-11-20'], // 23:59 IST (UTC+5:30)
    ['2026-11-20T18:30:00Z', 'Asia/Kolkata', '2026-11-21'],
    ['2026-11-21T23:59:59Z', 'UTC', '2026-11-21'],
  ]
  for (const [iso, tz, day] of cases) {
    assert.equal(cal.dayOf(Date.parse(iso), tz), day, `${iso} in ${tz}`)
    assert.equal(cal.dayOf(Date.parse(iso), tz), day, `${iso} in ${tz} (cached)`)
  }
})
