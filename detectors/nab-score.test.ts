import { test } from 'node:test'
import assert from 'node:assert/strict'
import { optimizeThreshold, probationaryLength, scaledSigmoid, scoreAtThreshold, sweepFile, type NabFile } from './nab-score.ts'

const STEP = 60_000

/** 1,000 rows with one window on rows 600–699 and the given detections (score 1). */
function file(detections: readonly number[], windows = [{ from: 600, to: 699 }]): NabFile {
  const timestampsMs = Float64Array.from({ length: 1000 }, (_, i) => i * STEP)
  const scores = new Float64Array(1000)
  for (const d of detections) scores[d] = 1
  return { name: 'f', group: 'g', timestampsMs, scores, windows: windows.map((w) => ({ startMs: w.from * STEP, endMs: w.to * STEP })) }
}

test('NAB constants: scaled sigmoid 0.98661 at a window start, 0 at its end, −1 far past; probation 15 % up to 750 rows', () => {
  assert.ok(Math.abs(scaledSigmoid(-1) - 0.98661) < 1e-5)
  assert.equal(scaledSigmoid(0), 0)
  assert.equal(scaledSigmoid(3), -1)
  assert.equal(probationaryLength(1000), 150)
  assert.equal(probationaryLength(22_000), 750)
})

test('a detection at the window start scores 100, none scores 0, a late one less, false ones cost 0.11', () => {
  const cases: Array<[string, number[], (n: number) => boolean]> = [
    ['first row of the window', [600], (n) => Math.abs(n - 100) < 1e-9],
    ['never fires', [], (n) => n === 0],
    ['in the middle of the window: less than a start', [650], (n) => n > 50 && n < 100],
    ['start plus one false positive long before: 100 − 0.11/2 · 100', [600, 200], (n) => Math.abs(n - (100 - 5.5)) < 1e-9],
    ['a detection in probation (row 100) is ignored', [100], (n) => n === 0],
  ]
  for (const [why, detections, ok] of cases) {
    const r = scoreAtThreshold([sweepFile(file(detections))], 0.5)
    assert.ok(ok(r.normalized), `${why}: ${r.normalized}`)
  }
})

test('precision and recall count runs of detections and windows found', () => {
  const r = scoreAtThreshold([sweepFile(file([600, 601, 602, 300, 301]))], 0.5)
  assert.equal(r.detections, 2, 'two runs: 600–602 and 300–301')
  assert.equal(r.detectionsInWindows, 1)
  assert.equal(r.precision, 0.5)
  assert.equal(r.recall, 1)
})

test('the optimal threshold gives the best score of any threshold, and scoreAtThreshold agrees with it', () => {
  const f = file([])
  f.scores.set([0.9, 0.4], 600)
  f.scores[300] = 0.95 // a false positive scoring higher than the true detection
  f.scores[310] = 0.7
  const swept = [sweepFile(f)]
  const best = optimizeThreshold(swept)
  assert.equal(best.threshold, 0.9, 'taking the 0.95 false positive as well as the window beats missing the window')
  assert.ok(Math.abs(scoreAtThreshold(swept, best.threshold).raw - best.raw) < 1e-12)
  for (const t of [0.3, 0.5, 0.8, 0.96]) assert.ok(scoreAtThreshold(swept, t).raw <= best.raw + 1e-12)
})
