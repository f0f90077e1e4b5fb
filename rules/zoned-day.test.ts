import { test } from 'node:test'
import assert from 'node:assert/strict'
import { localDayOf } from './zoned-day.ts'

const H = 3_600_000

test('a plain day is 24 h from local midnight', () => {
  const d = localDayOf(Date.parse('2026-11-21T15:00:00Z'), 'America/New_York')
  assert.equal(d.date, '2026-11-21')
  assert.equal(new Date(d.startMs).toISOString(), '2026-11-21T05:00:00.000Z') // EST = UTC−5
  assert.equal(d.endMs - d.startMs, 24 * H)
})

test('the day DST starts is 23 h long, the day it ends 25 h', () => {
  const spring = localDayOf(Date.parse('2026-03-08T15:00:00Z'), 'America/New_York')
  assert.equal(new Date(spring.startMs).toISOString(), '2026-03-08T05:00:00.000Z') // still EST at midnight
  assert.equal(spring.endMs - spring.startMs, 23 * H)
  const fall = localDayOf(Date.parse('2026-11-01T15:00:00Z'), 'America/New_York')
  assert.equal(new Date(fall.startMs).toISOString(), '2026-11-01T04:00:00.000Z') // EDT at midnight
  assert.equal(fall.endMs - fall.startMs, 25 * H)
  const berlin = localDayOf(Date.parse('2026-03-29T12:00:00Z'), 'Europe/Berlin')
  assert.equal(berlin.endMs - berlin.startMs, 23 * H)
})

test('instants just before and after local midnight fall on different days', () => {
  assert.equal(localDayOf(Date.parse('2026-11-21T04:59:59Z'), 'America/New_York').date, '2026-11-20')
  assert.equal(localDayOf(Date.parse('2026-11-21T05:00:00Z'), 'America/New_York').date, '2026-11-21')
  assert.equal(localDayOf(Date.parse('2026-11-20T18:30:00Z'), 'Asia/Kolkata').date, '2026-11-21') // UTC+5:30
})

test('a zone whose midnight does not exist starts the day at 01:00', () => {
  // America/Santiago skips 00:00–01:00 when DST starts (2026-09-06).
  const d = localDayOf(Date.parse('2026-09-06T15:00:00Z'), 'America/Santiago')
  assert.equal(d.date, '2026-09-06')
  assert.equal(d.endMs - d.startMs, 23 * H)
})
