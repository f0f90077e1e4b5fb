import { test } from 'node:test'
import assert from 'node:assert/strict'
import { minuteAt } from './baseline.ts'
import { trainBaseline } from './baseline-training.ts'
import { DETECTOR_NAMES, EntityState, type EntityModels } from './detector.ts'
import { createEntityDetectors } from './entity-detectors.ts'
import { EntityScorer } from './entity-scorer.ts'
import { MINUTE_STRIDE, type Minute } from './features.ts'
import { createSeededRandom } from './random.ts'
import { busyCampaign, drawMinute, steadyHistory } from './testing/steady-minutes.ts'
import { trainCalibratedForest } from './training.ts'

const START = Date.UTC(2026, 0, 5)
const DAYS = 3
const opts = busyCampaign(21, START, DAYS * 1440)
const trained = trainBaseline(steadyHistory('cmp_1', opts))!
const models: EntityModels = { baseline: trained.baseline, forest: trainCalibratedForest(trained.vectors, 'campaign', 50, 64, 1) }
const IDX = Object.fromEntries(DETECTOR_NAMES.map((d, i) => [d, i])) as Record<(typeof DETECTOR_NAMES)[number], number>

/**
 * Scores `normal` ordinary minutes after the history, then the minutes `anomaly` makes of
 * further ordinary ones; returns the scores and explanations of the anomalous minutes.
 */
function run(anomaly: (m: Minute, k: number) => Minute, count: number, normal = 30) {
  const scorer = new EntityScorer(createEntityDetectors([...DETECTOR_NAMES], 'test'))
  const state = new EntityState('act_1')
  const rng = createSeededRandom(99)
  const buf = new Float64Array((normal + count) * MINUTE_STRIDE)
  const t0 = START + DAYS * 86_400_000
  const scores = new Float64Array(DETECTOR_NAMES.length)
  const normalMax = new Float64Array(DETECTOR_NAMES.length)
  const out: Array<{ scores: number[]; why: string[] }> = []
  for (let k = 0; k < normal + count; k++) {
    const minuteMs = t0 + k * 60_000
    drawMinute(rng, opts, minuteMs, buf, k)
    const m = k < normal ? minuteAt(buf, k) : anomaly(minuteAt(buf, k), k - normal)
    scorer.score(models, state, minuteMs, m, scores)
    if (k < normal) scores.forEach((s, i) => (normalMax[i] = Math.max(normalMax[i]!, s)))
    else out.push({ scores: Array.from(scores), why: DETECTOR_NAMES.map((_, i) => scorer.explain(i).text) })
  }
  return { normalMax: Array.from(normalMax), out }
}

test('ordinary minutes score below the default threshold on every detector', () => {
  const { normalMax, out } = run((m) => m, 90)
  const max = DETECTOR_NAMES.map((_, i) => Math.max(normalMax[i]!, ...out.map((o) => o.scores[i]!)))
  for (const [i, d] of DETECTOR_NAMES.entries()) assert.ok(max[i]! < 0.8, `${d} max ${max[i]}`)
})

test('a spend spike (5× spend, same volume) fires seasonal_z at once, blaming spend or price', () => {
  const { out } = run((m) => ({ ...m, spend: m.spend * 5 }), 1)
  const first = out[0]!
  assert.ok(first.scores[IDX.seasonal_z]! >= 0.8, `seasonal_z ${first.scores[IDX.seasonal_z]}`)
  assert.match(first.why[IDX.seasonal_z]!, /^(spend|price) /)
})

test('spend stops: seasonal_z at the first empty minute, flatline as the run grows, "no data"', () => {
  const { out } = run(() => ({ impressions: 0, clicks: 0, spend: 0, conversions: 0 }), 4)
  assert.ok(out[0]!.scores[IDX.seasonal_z]! >= 0.8, 'a busy campaign at 0 is far below its hour')
  const flat = out.map((o) => o.scores[IDX.flatline]!)
  for (let k = 1; k < flat.length; k++) assert.ok(flat[k]! >= flat[k - 1]!, `flatline grows with the run: ${flat.join(', ')}`)
  assert.ok(flat[3]! >= 0.8, `flatline after 4 empty minutes: ${flat[3]}`)
  assert.match(out[3]!.why[IDX.flatline]!, /^no data for 4 min/)
})

test('impressions but no clicks (about 10 clicks expected a minute at this hour) fires flatline within 3 minutes', () => {
  const { out } = run((m) => ({ ...m, clicks: 0, conversions: 0, spend: (m.impressions * 8) / 1000 }), 3)
  const k = out.findIndex((o) => o.scores[IDX.flatline]! >= 0.8)
  assert.ok(k >= 0 && k <= 2, `first flatline finding at minute ${k}`)
  assert.match(out[k]!.why[IDX.flatline]!, /^impressions but no clicks: [\d,]+ impressions and 0 clicks in \d min \(\d+ clicks usual\)/)
})

test('a CPC drift to +60 % over 10 minutes is seen by ewma before it ends, blaming a price feature', () => {
  const { out } = run((m, k) => ({ ...m, spend: m.spend + m.clicks * 0.6 * 0.06 * (k + 1) }), 10)
  const k = out.findIndex((o) => o.scores[IDX.ewma]! >= 0.8)
  assert.ok(k >= 0 && k < 10, `ewma first at minute ${k}: ${out.map((o) => o.scores[IDX.ewma]!.toFixed(2)).join(' ')}`)
  assert.match(out[k]!.why[IDX.ewma]!, /^(cpc|price) drifting up/)
})

test('a combined anomaly (clicks ×5 and spend ×5) scores far higher on the forest than ordinary minutes', () => {
  const { normalMax, out } = run((m) => ({ ...m, clicks: m.clicks * 5, spend: m.spend * 5 }), 1)
  const s = out[0]!.scores[IDX.iforest]!
  assert.ok(s > normalMax[IDX.iforest]! + 0.2, `iforest ${s} vs ordinary max ${normalMax[IDX.iforest]}`)
  assert.match(out[0]!.why[IDX.iforest]!, /^unusual combination, led by \w+/)
})

test('an unknown detector name is a coded error naming where it came from', () => {
  assert.throws(() => createEntityDetectors(['seasonal_z', 'prophet'], 'ADW_DETECT_DETECTORS'), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'ADW_DETECT_UNKNOWN')
    assert.match(err.message, /ADW_DETECT_DETECTORS\[1\]: unknown detector "prophet"; use one of iforest, seasonal_z, ewma, flatline/)
    return true
  })
})
