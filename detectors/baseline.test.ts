import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EntityBaseline, MIN_ACTIVE_MINUTES, IFOREST_DIMS } from './baseline.ts'
import { trainBaseline } from './baseline-training.ts'
import { FEATURE_COUNT, MINUTE_STRIDE } from './features.ts'
import { busyCampaign, steadyHistory } from './testing/steady-minutes.ts'

const START = Date.UTC(2026, 0, 5)

test('a baseline learnt from 3 days gives residuals centred on 0 with unit spread', () => {
  const h = steadyHistory('cmp_1', busyCampaign(1, START, 3 * 1440))
  const trained = trainBaseline(h)
  assert.ok(trained !== undefined)
  const rows = trained.vectors.length / IFOREST_DIMS
  assert.equal(rows, 3 * 1440, 'every active minute is a forest row')
  for (let f = 0; f < FEATURE_COUNT; f++) {
    const col = Float64Array.from({ length: rows }, (_, i) => trained.vectors[i * IFOREST_DIMS + f]!).sort()
    const med = col[Math.floor(rows / 2)]!
    const q90 = col[Math.floor(rows * 0.9)]!
    // In-sample residuals: median near 0; the 90th percentile near 1.28σ (scales are widened a little for tails).
    assert.ok(Math.abs(med) < 0.2, `feature ${f} median ${med}`)
    assert.ok(q90 > 0.6 && q90 < 1.6, `feature ${f} q90 ${q90}`)
  }
  assert.ok(Math.abs(trained.baseline.price.perClick - 0.6) < 0.05, `CPC ${trained.baseline.price.perClick}`)
})

test('a baseline round-trips through JSON', () => {
  const b = trainBaseline(steadyHistory('cmp_2', busyCampaign(2, START, 2 * 1440)))!.baseline
  const back = EntityBaseline.fromJSON(JSON.parse(JSON.stringify(b)))
  assert.deepEqual(JSON.stringify(back), JSON.stringify(b))
  for (const f of [0, 4]) assert.equal(back.expected(f, START + 3_600_000), b.expected(f, START + 3_600_000))
  assert.throws(() => EntityBaseline.fromJSON({ ...b.toJSON(), values: 'AAAA' }), { code: 'ADW_DETECT_MODEL' })
})

test('too little history gives no baseline; history starts at the first active minute', () => {
  const h = steadyHistory('new', busyCampaign(3, START, 1440))
  const empty = new Float64Array(h.minutes.length)
  assert.equal(trainBaseline({ ...h, minutes: empty }), undefined)
  // Active only in the last MIN_ACTIVE_MINUTES − 1 minutes: not enough.
  const late = new Float64Array(h.minutes.length)
  late.set(h.minutes.subarray((1440 - MIN_ACTIVE_MINUTES + 1) * MINUTE_STRIDE), (1440 - MIN_ACTIVE_MINUTES + 1) * MINUTE_STRIDE)
  assert.equal(trainBaseline({ ...h, minutes: late }), undefined)
  // Active for the last 600 minutes: trained from there, not from the empty start.
  const tail = new Float64Array(h.minutes.length)
  tail.set(h.minutes.subarray(840 * MINUTE_STRIDE), 840 * MINUTE_STRIDE)
  const t = trainBaseline({ ...h, minutes: tail })
  assert.equal(t?.baseline.fromMs, START + 840 * 60_000)
})
