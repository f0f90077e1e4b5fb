import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EntityBaseline, EWMA_LEN, FLAT_LEN, MIN_ACTIVE_MINUTES, IFOREST_DIMS, RATIO_COUNT, RATIO_LEN, VOLUME_LEN } from './baseline.ts'
import { trainBaseline } from './baseline-training.ts'
import { FEATURE_COUNT, FEATURES, MINUTE_STRIDE } from './features.ts'
import { binomialZ } from './stats.ts'
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

test('a rate of counts is never further out than its counts: CTR and CVR z bounded by the binomial z', () => {
  // A narrow CVR slot (centre 14 %, scale 0.365: a thin hour's) and the usual rates.
  const ratio = new Float32Array(RATIO_LEN)
  for (let hod = 0; hod < 24; hod++) {
    for (let r = 0; r < RATIO_COUNT; r++) ratio.set([r === 2 ? Math.log(0.14) : Math.log(0.003), 0.365, 10], (hod * RATIO_COUNT + r) * 3)
  }
  const flat = new Float32Array(FLAT_LEN)
  for (let hod = 0; hod < 24; hod++) flat.set([0.01, 0.003, 0.1, 0.14], hod * 4)
  const volume = new Float32Array(VOLUME_LEN).fill(1)
  const b = new EntityBaseline('cmp', 'acc', START, START, 1000, { perImpression: 0, perClick: 1 }, volume, ratio, flat, new Float32Array(EWMA_LEN))
  const cvr = FEATURES.indexOf('cvr')
  const ctr = FEATURES.indexOf('ctr')
  const residual = (f: number, k: number, n: number): number => {
    const feats = new Float64Array(FEATURE_COUNT).fill(NaN)
    const dens = new Float64Array(FEATURE_COUNT)
    feats[f] = Math.log((k + 0.5) / (n + 0.5))
    dens[f] = n
    const out = new Float64Array(FEATURE_COUNT)
    b.residuals(START, feats, dens, out)
    return out[f]!
  }
  // 0 conversions from 32 clicks: the slot alone says −6σ; the counts say −2.5σ (it happens once in 125 minutes).
  assert.ok((Math.log(0.5 / 32.5) - Math.log(0.14)) / 0.365 < -6)
  assert.ok(Math.abs(residual(cvr, 0, 32) - binomialZ(0, 32, Math.fround(0.14))) < 1e-9)
  assert.ok(residual(cvr, 0, 32) > -2.6 && residual(cvr, 0, 32) < -2.4)
  // 0 from 400 clicks: the counts are strong (−10.7σ); the slot's −12.9σ is bounded to it, still an anomaly.
  assert.ok(residual(cvr, 0, 400) < -10.5 && residual(cvr, 0, 400) > -11)
  // 4 from 32 is within half a count of the usual 4.5: no evidence either way, whatever the slot says.
  assert.equal(residual(cvr, 4, 32), 0)
  // 9 from 32: the slot says +2.0σ, the counts +1.9σ, bounded to the counts…
  assert.ok(Math.abs(residual(cvr, 9, 32) - binomialZ(9, 32, Math.fround(0.14))) < 1e-9)
  // …while 20 from 32 is +6.1σ by the counts and the slot's +4.1σ is the weaker evidence: it stands.
  assert.ok(Math.abs(residual(cvr, 20, 32) - (Math.log(20.5 / 32.5) - Math.log(0.14)) / 0.365) < 1e-6)
  assert.ok(binomialZ(20, 32, 0.14) > 6)
  // …and CPC, not a rate of counts, is not bounded: its slot's z stands.
  assert.ok(Math.abs(residual(FEATURES.indexOf('cpc'), 0, 32) - (Math.log(0.5 / 32.5) - Math.log(0.003)) / 0.365) < 1e-6)
})
