import { test } from 'node:test'
import assert from 'node:assert/strict'
import { computeFeatures, FEATURE_COUNT, fitPriceModel, hourOfDay, hourOfWeek, MINUTE_STRIDE, MinuteWindow } from './features.ts'

test('hour slots: the epoch (a Thursday, 00:00 UTC) is slot 0; a week later it is again', () => {
  assert.equal(hourOfWeek(0), 0)
  assert.equal(hourOfWeek(7 * 86_400_000), 0)
  assert.equal(hourOfWeek(3_600_000 * 30), 30)
  assert.equal(hourOfDay(3_600_000 * 30), 6)
})

test('the minute window keeps running sums of the last 3 minutes', () => {
  const w = new MinuteWindow()
  w.push(10, 1, 2, 0)
  w.push(20, 2, 4, 1)
  w.push(30, 3, 6, 0)
  assert.deepEqual(Array.from(w.sums), [60, 6, 12, 1])
  w.push(0, 0, 0, 0) // the first minute leaves the window
  assert.deepEqual(Array.from(w.sums), [50, 5, 10, 1])
  assert.deepEqual(w.toArray(), [20, 2, 4, 1, 30, 3, 6, 0, 0, 0, 0, 0])
})

test('features: volumes in √ space, ratios over the window, undefined ratios are NaN', () => {
  const w = new MinuteWindow()
  const out = new Float64Array(FEATURE_COUNT)
  const den = new Float64Array(FEATURE_COUNT)
  const price = { perImpression: 0.008, perClick: 0.5 }
  const m = { impressions: 1000, clicks: 10, spend: 13, conversions: 1 }
  w.push(m.impressions, m.clicks, m.spend, m.conversions)
  computeFeatures(m, w, price, out, den)
  assert.equal(out[0], Math.sqrt(13))
  assert.equal(out[1], Math.sqrt(1000))
  assert.ok(Math.abs(out[4]! - Math.log(1.3)) < 1e-12, 'cpc = spend / clicks')
  assert.ok(Math.abs(out[6]! - 0) < 1e-12, 'spend exactly as the prices predict: price index 1, log 0')
  assert.equal(den[4], 10)
  const quiet = new MinuteWindow()
  quiet.push(0, 0, 0, 0)
  computeFeatures({ impressions: 0, clicks: 0, spend: 0, conversions: 0 }, quiet, price, out, den)
  for (const f of [3, 4, 5, 6]) assert.ok(Number.isNaN(out[f]!), `feature ${f} has no data`)
})

test('the price model recovers CPM and CPC from minutes, and falls back when they are collinear', () => {
  const n = 500
  const minutes = new Float64Array(n * MINUTE_STRIDE)
  for (let k = 0; k < n; k++) {
    const imp = 800 + ((k * 37) % 400)
    const clk = 5 + ((k * 13) % 11)
    minutes.set([imp, clk, imp * 0.006 + clk * 0.7, 0], k * MINUTE_STRIDE)
  }
  const p = fitPriceModel(minutes)
  assert.ok(Math.abs(p.perImpression - 0.006) < 1e-9 && Math.abs(p.perClick - 0.7) < 1e-9)
  // Clicks always 1 % of impressions: both fits explain spend equally; a one-regressor fit is taken.
  for (let k = 0; k < n; k++) minutes.set([1000 + k, (1000 + k) / 100, (1000 + k) * 0.01, 0], k * MINUTE_STRIDE)
  const q = fitPriceModel(minutes)
  assert.ok(q.perImpression * 1000 + q.perClick * 10 > 9.99 && q.perImpression * 1000 + q.perClick * 10 < 10.01)
  assert.deepEqual(fitPriceModel(new Float64Array(8)), { perImpression: 0, perClick: 0 })
})
