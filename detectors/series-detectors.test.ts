import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { createSeriesDetector, SERIES_DETECTOR_NAMES, WindowedGaussian } from './series-detectors.ts'
import { normalTail } from './stats.ts'

const T0 = Date.UTC(2014, 3, 1)
const STEP = 5 * 60_000

function scoreAll(name: string, values: readonly number[]): number[] {
  const d = createSeriesDetector(name, 'test')
  return values.map((v, i) => d.update(T0 + i * STEP, v))
}

/** A daily sine with noise, 5-minute rows. */
function daily(n: number, seed = 1): number[] {
  let s = seed
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648)
  return Array.from({ length: n }, (_, i) => 50 + 20 * Math.sin((2 * Math.PI * i) / 288) + 3 * (rnd() - 0.5))
}

test('no look-ahead, every detector: changing rows after k never changes the scores up to k', () => {
  const base = daily(700)
  for (const name of SERIES_DETECTOR_NAMES) {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 698 }), fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 5 }), (k, tail) => {
        const changed = [...base.slice(0, k + 1), ...tail.map((t, i) => base[k + 1 + i]! + t), ...base.slice(k + 1 + tail.length)]
        const a = scoreAll(name, base).slice(0, k + 1)
        const b = scoreAll(name, changed).slice(0, k + 1)
        assert.deepEqual(b, a)
      }),
      { numRuns: 6, seed: 42 },
    )
  }
})

test('every detector scores a large spike well above its typical score, in [0, 1]', () => {
  const values = daily(2000)
  values[1500] = values[1500]! + 200
  for (const name of SERIES_DETECTOR_NAMES) {
    const s = scoreAll(name, values)
    for (const x of s) assert.ok(x >= 0 && x <= 1, `${name} score ${x}`)
    if (name === 'flatline') continue // a spike is not a flatline
    const typical = [...s.slice(1000, 1490)].sort((a, b) => a - b)[Math.floor(490 * 0.99)]!
    assert.ok(s[1500]! > typical, `${name}: spike ${s[1500]} vs typical 99th percentile ${typical}`)
  }
})

test('flatline: a long constant stretch in a noisy series scores high; a series that is often flat does not', () => {
  const values = daily(1200)
  for (let i = 1000; i < 1025; i++) values[i] = 42
  const s = scoreAll('flatline', values)
  assert.ok(s[1024]! > 0.8, `after 25 equal rows: ${s[1024]}`)
  assert.ok(Math.max(...s.slice(0, 1000)) < 0.5)
  const steps = Array.from({ length: 1200 }, (_, i) => Math.floor(i / 50) % 2)
  assert.ok(Math.max(...scoreAll('flatline', steps)) < 0.8, 'a square wave repeats 98 % of the time: its runs are ordinary')
})

test('windowed_gaussian is NAB\'s: 1 − Q(|x − mean| / std) over the values so far', () => {
  const d = new WindowedGaussian()
  assert.equal(d.update(T0, 10), 0, 'no window yet')
  d.update(T0 + STEP, 12)
  // window [10, 12]: mean 11, population std 1; x = 14 is 3σ out.
  assert.ok(Math.abs(d.update(T0 + 2 * STEP, 14) - (1 - normalTail(3))) < 1e-12)
})

test('an unknown series detector is a coded error listing the names', () => {
  assert.throws(() => createSeriesDetector('lstm', '--detector'), { code: 'ADW_DETECT_UNKNOWN', message: /--detector: unknown detector "lstm"; use one of seasonal_z, ewma, flatline, iforest, windowed_gaussian/ })
})
