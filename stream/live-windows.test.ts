import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LiveWindowState } from './live-windows.ts'

const T = Date.parse('2026-11-21T10:30:20Z') // 20 s into minute 10:30
const MIN = 60_000
const minute = (back: number) => Math.floor(T / MIN) * MIN - back * MIN

test('windows sum the N latest minute buckets, the current one included', () => {
  const s = new LiveWindowState()
  for (let back = 0; back < 70; back++) s.applyMinute('acme', 'campaign', 'c1', minute(back), [1, 0, 10, 0, 0], T)
  const w = s.windows('acme', 'campaign', 'c1', T, '2026-11-21')
  assert.deepEqual(w['1m'], [1, 0, 10, 0, 0]) // the current partial minute only
  assert.deepEqual(w['5m'], [5, 0, 50, 0, 0])
  assert.deepEqual(w['15m'], [15, 0, 150, 0, 0])
  assert.deepEqual(w['1h'], [60, 0, 600, 0, 0]) // minutes 61–70 back are outside the hour
})

test('deltas add up; a snapshot replaces; a newer minute reuses an old slot', () => {
  const s = new LiveWindowState()
  s.applyMinute('acme', 'campaign', 'c1', minute(0), [1, 2, 3, 4, 5], T)
  s.applyMinute('acme', 'campaign', 'c1', minute(0), [1, 1, 1, 1, 1], T)
  assert.deepEqual(s.windows('acme', 'campaign', 'c1', T, 'x')['1m'], [2, 3, 4, 5, 6])
  s.applyMinute('acme', 'campaign', 'c1', minute(0), [7, 0, 0, 0, 0], T, true)
  assert.deepEqual(s.windows('acme', 'campaign', 'c1', T, 'x')['1m'], [7, 0, 0, 0, 0])
  // 64 minutes later the same ring slot holds the new minute; the old value is gone.
  const later = T + 64 * MIN
  s.applyMinute('acme', 'campaign', 'c1', minute(0) + 64 * MIN, [1, 0, 0, 0, 0], later)
  assert.deepEqual(s.windows('acme', 'campaign', 'c1', later, 'x')['1h'], [1, 0, 0, 0, 0])
  // A late delta for a minute older than the ring holds is ignored, not misfiled.
  s.applyMinute('acme', 'campaign', 'c1', minute(0), [100, 0, 0, 0, 0], later)
  assert.deepEqual(s.windows('acme', 'campaign', 'c1', later, 'x')['1h'], [1, 0, 0, 0, 0])
})

test('windows of a quiet entity drain as time passes', () => {
  const s = new LiveWindowState()
  s.applyMinute('acme', 'campaign', 'c1', minute(0), [1, 0, 0, 0, 0], T)
  assert.deepEqual(s.windows('acme', 'campaign', 'c1', T + 5 * MIN, 'x')['5m'], [0, 0, 0, 0, 0]) // five minutes on, out of 5m
  assert.deepEqual(s.windows('acme', 'campaign', 'c1', T + 5 * MIN, 'x')['15m'], [1, 0, 0, 0, 0])
})

test('today is the named local day; only the 3 latest days are kept', () => {
  const s = new LiveWindowState()
  for (const d of ['2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21']) s.applyDay('acme', 'account', 'a1', d, [1, 1, 1, 1, 1], T)
  s.applyDay('acme', 'account', 'a1', '2026-11-21', [1, 0, 0, 0, 0], T)
  assert.deepEqual(s.windows('acme', 'account', 'a1', T, '2026-11-21').today, [2, 1, 1, 1, 1])
  assert.deepEqual(s.windows('acme', 'account', 'a1', T, '2026-11-18').today, [0, 0, 0, 0, 0]) // evicted
})

test('list filters by change time; evictIdle frees quiet entities', () => {
  const s = new LiveWindowState()
  s.applyMinute('acme', 'campaign', 'old', minute(0), [1, 0, 0, 0, 0], 1_000)
  s.applyMinute('acme', 'campaign', 'new', minute(0), [1, 0, 0, 0, 0], 5_000)
  s.applyMinute('globex', 'campaign', 'other', minute(0), [1, 0, 0, 0, 0], 5_000)
  assert.deepEqual(s.list('acme', 'campaign', 2_000), ['new'])
  assert.equal(s.evictIdle(2_000), 1)
  assert.equal(s.has('acme', 'campaign', 'old'), false)
})

test('windowsInto writes exactly the sums windows() returns, without allocating', () => {
  const s = new LiveWindowState()
  // Irregular minutes (gaps, fractions, a day delta) so a wrong order or window edge would show.
  for (let back = 0; back < 70; back += 1 + (back % 3)) s.applyMinute('acme', 'campaign', 'c1', minute(back), [back, 0.1 * back, 1e6 + back, back % 2, 0.3], T)
  s.applyDay('acme', 'campaign', 'c1', '2026-11-21', [7, 0.5, 9, 1, 2], T)
  s.applyDay('acme', 'campaign', 'c1', '2026-11-21', [1, 0.25, 1, 0, 0], T)
  const out = new Float64Array(25).fill(99)
  for (const [entity, day] of [['c1', '2026-11-21'], ['c1', '2026-11-20'], ['unknown', '2026-11-21']] as const) {
    s.windowsInto('acme', 'campaign', entity, T, day, out)
    const w = s.windows('acme', 'campaign', entity, T, day)
    assert.deepEqual([...out], [...w['1m'], ...w['5m'], ...w['15m'], ...w['1h'], ...w.today], `${entity} ${day}`)
  }
  assert.deepEqual(s.windows('acme', 'campaign', 'c1', T, '2026-11-21').today, [8, 0.75, 10, 1, 2]) // two day deltas added
})
