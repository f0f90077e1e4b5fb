import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { WindowMetrics, WindowsDto } from '../../../gateway/api-types.ts'
import { FrameRedrawer } from '../charts/frame-redrawer.ts'
import { ManualFrames } from './frame-scheduler.ts'
import { MinuteSeries } from './minute-series.ts'

const T0 = Date.UTC(2026, 10, 21, 10, 0, 0)

function metrics(spendMicros: number, clicks: number, impressions: number): WindowMetrics {
  return { impressions, clicks, spendMicros, conversions: 0, revenueMicros: 0, ctr: null, cpcMicros: null, cpmMicros: null, cpaMicros: null, roas: null }
}
function update(atMs: number, spendMicros: number, clicks = 0, impressions = 0) {
  const m = metrics(spendMicros, clicks, impressions)
  const windows: WindowsDto = { '1m': m, '5m': m, '15m': m, '1h': m, today: m }
  return { atMs, windows }
}

test('the 1m window sets (not adds to) the row of its minute, and a new minute appends', () => {
  const s = new MinuteSeries(60)
  s.applyWindow(update(T0 + 5_000, 1_000_000, 2, 100))
  s.applyWindow(update(T0 + 9_000, 3_000_000, 4, 200)) // same minute, running sums grew
  assert.deepEqual(s.last(), [T0 / 1000, 3, 4, 2])
  s.applyWindow(update(T0 + 61_000, 500_000, 1, 50))
  assert.equal(s.size, 2)
  assert.deepEqual([...s.data()[0]!], [T0 / 1000, T0 / 1000 + 60])
  assert.deepEqual([...s.data()[1]!], [3, 0.5])
})

test('minutes without updates become zero rows; updates older than the ring are ignored', () => {
  const s = new MinuteSeries(5)
  s.applyWindow(update(T0, 1_000_000))
  s.applyWindow(update(T0 + 3 * 60_000, 2_000_000))
  assert.deepEqual([...s.data()[1]!], [1, 0, 0, 2], 'two silent minutes in between are zeros')
  const before = s.version
  assert.equal(s.applyWindow(update(T0 - 10 * 60_000, 9_000_000)), false)
  assert.equal(s.version, before)
  s.applyWindow(update(T0 + 100 * 60_000, 1_000_000))
  assert.equal(s.size, 5, 'a long gap fills at most the ring')
  assert.deepEqual([...s.data()[1]!], [0, 0, 0, 0, 1])
})

test('history loads first and a closed minute is corrected by a later merge', () => {
  const s = new MinuteSeries(60)
  const t = T0 / 1000
  s.load({ timesSec: [t, t + 60, t + 120], spendMicros: [1e6, 2e6, 3e6], clicks: [1, 2, 3], impressions: [10, 20, 30] })
  s.applyWindow(update(T0 + 120_000 + 10_000, 3_500_000, 4, 40)) // live, current minute
  s.merge({ timesSec: [t + 60], spendMicros: [2_200_000], clicks: [2], impressions: [20] }) // late events of minute 2
  assert.deepEqual([...s.data()[1]!], [1, 2.2, 3.5])
  assert.deepEqual([...s.data()[3]!], [10, 10, 10], 'CTR in percent')
})

test('ring buffers feed uPlot at most once per animation frame, with the ring\'s own arrays', () => {
  const frames = new ManualFrames()
  const s = new MinuteSeries(60)
  const drawn: Array<readonly Float64Array[]> = []
  let drawnVersion = -1
  const plot = { setData: (d: readonly Float64Array[]) => drawn.push(d) }
  const redrawer = new FrameRedrawer(frames, () => {
    if (s.version === drawnVersion) return
    drawnVersion = s.version
    plot.setData(s.data())
  })
  // 500 pushes within one frame: one draw.
  for (let i = 0; i < 500; i++) {
    s.applyWindow(update(T0 + i * 100, i * 1000))
    redrawer.invalidate()
  }
  assert.equal(frames.waiting, 1, 'one frame requested however many changes')
  frames.runFrame()
  assert.equal(drawn.length, 1)
  assert.equal(redrawer.invalidations, 500)
  assert.equal(redrawer.draws, 1)
  const [x, spend] = drawn[0]!
  assert.ok(x instanceof Float64Array && spend instanceof Float64Array, 'typed columns, no copies into arrays')
  assert.equal(x!.length, spend!.length)
  assert.equal(spend![spend!.length - 1], 0.499, 'the last point is the newest running sum')
  // Nothing changed: no frame is requested, nothing is drawn.
  frames.runFrame()
  assert.equal(drawn.length, 1)
  assert.equal(frames.waiting, 0)
})
