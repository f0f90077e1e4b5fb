import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { AdEvent } from './event.ts'
import { foldEvents } from './fold.ts'

const T0 = Date.parse('2026-11-21T10:00:00Z')
function ev(over: Partial<AdEvent>): AdEvent {
  return {
    id: 'x', tsMs: T0, tenant: 'acme', platform: 'meta', account: 'act_1', campaign: 'cmp_1', adset: 'as_1', ad: 'ad_1',
    type: 'click', impressions: 0, clicks: 1, spendMicros: 100, conversions: 0, revenueMicros: 0, currency: 'USD', ...over,
  }
}
const utcDay = (e: AdEvent) => new Date(e.tsMs).toISOString().slice(0, 10)

test('events roll up to every level they name, per minute and per day', () => {
  const batch = foldEvents(
    [
      ev({ tsMs: T0 + 1_000 }),
      ev({ tsMs: T0 + 59_999, spendMicros: 50 }), // same minute as the first
      ev({ tsMs: T0 + 60_000, ad: 'ad_2' }), // next minute, other ad
      ev({ campaign: 'cmp_2', adset: '', ad: '', impressions: 10, clicks: 0, spendMicros: 7 }), // no adset/ad levels
    ],
    utcDay,
  )
  const cell = (level: string, entity: string, minuteMs: number) =>
    batch.minutes.find((m) => m.level === level && m.entity === entity && m.minuteMs === minuteMs)?.sums
  assert.deepEqual(cell('account', 'act_1', T0), [10, 2, 157, 0, 0]) // all but the next-minute event
  assert.deepEqual(cell('campaign', 'cmp_1', T0), [0, 2, 150, 0, 0])
  assert.deepEqual(cell('campaign', 'cmp_1', T0 + 60_000), [0, 1, 100, 0, 0])
  assert.deepEqual(cell('ad', 'ad_1', T0), [0, 2, 150, 0, 0])
  assert.deepEqual(cell('ad', 'ad_2', T0 + 60_000), [0, 1, 100, 0, 0])
  assert.equal(batch.minutes.some((m) => m.entity === ''), false) // empty adset/ad are not entities
  const day = batch.days.find((d) => d.level === 'account' && d.entity === 'act_1')
  assert.deepEqual(day?.sums, [10, 3, 257, 0, 0])
  assert.equal(batch.events, 4)
})

test('the day key comes from the account calendar function', () => {
  const batch = foldEvents([ev({}), ev({ tsMs: T0 + 86_400_000 })], () => 'local-day')
  // Both events land on the one day the calendar function says, whatever their UTC dates.
  assert.equal(batch.days.filter((d) => d.level === 'campaign').length, 1)
})

test('entity metadata records parents per level', () => {
  const batch = foldEvents([ev({})], utcDay)
  const ad = batch.entities.find((m) => m.level === 'ad')
  assert.deepEqual([ad?.account, ad?.campaign, ad?.adset], ['act_1', 'cmp_1', 'as_1'])
  const account = batch.entities.find((m) => m.level === 'account')
  assert.equal(account?.campaign, '')
})
