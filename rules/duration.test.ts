import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseDuration } from './duration.ts'

test('rule durations: days, hours, minutes and seconds in that order; no milliseconds', () => {
  const cases: Array<[string, number | undefined]> = [
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1d2h3m4s', 93_784_000],
    ['0s', 0],
    ['250ms', undefined],
    ['1m5ms', undefined],
    ['', undefined],
    ['5x', undefined],
    ['30m1h', undefined],
    ['1.5h', undefined],
  ]
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text)
})
