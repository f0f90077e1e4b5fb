import { CALIBRATION_LEVELS, forestZ, type CalibratedForest } from './detector.ts'
import { IsolationForest } from './isolation-forest.ts'
import { quantileSorted, zToScore } from './stats.ts'

/** Rows before the first forest, rows between refits, and rows a forest learns from. */
const FIRST_FIT = 256
const REFIT_EVERY = 500
const TRAIN_ROWS = 4000
const DIMS = 3
const LAG = 12

/**
 * Isolation forest on one series: each row becomes (value, change from the previous row,
 * distance from the mean of the previous 12); a forest is trained on the rows seen so far
 * (the last 4,000) after 256 rows and again every 500, and calibrated like the entity
 * forests (training-score quantiles matched to normal quantiles). Rows before the first
 * forest score 0. Deterministic: the seed of each refit is its row number.
 */
export class SeriesIForest {
  readonly name = 'iforest'
  private readonly rows = new Float64Array(TRAIN_ROWS * DIMS)
  private readonly lags = new Float64Array(LAG)
  private seen = 0
  private stored = 0
  private forest: CalibratedForest | undefined
  private readonly point = new Float64Array(DIMS)

  update(_tsMs: number, value: number): number {
    if (this.seen >= FIRST_FIT && (this.forest === undefined || (this.seen - FIRST_FIT) % REFIT_EVERY === 0)) this.refit()
    const n = Math.min(this.seen, LAG)
    let sum = 0
    for (let k = 0; k < n; k++) sum += this.lags[k] as number
    const prev = this.seen > 0 ? (this.lags[(this.seen - 1) % LAG] as number) : value
    this.point[0] = value
    this.point[1] = value - prev
    this.point[2] = n > 0 ? value - sum / n : 0
    const score = this.forest === undefined ? 0 : zToScore(forestZ(this.forest, this.forest.forest.score(this.point)))
    this.rows.set(this.point, (this.stored % TRAIN_ROWS) * DIMS)
    this.stored++
    this.lags[this.seen % LAG] = value
    this.seen++
    return score
  }

  private refit(): void {
    const n = Math.min(this.stored, TRAIN_ROWS)
    const data = this.rows.subarray(0, n * DIMS)
    const forest = IsolationForest.fit(data, DIMS, { trees: 100, sampleSize: 256, seed: this.seen })
    const scores = forest.scoreAll(data).sort()
    this.forest = { forest, quantiles: CALIBRATION_LEVELS.map((q) => quantileSorted(scores, q)), kind: 'level' }
  }
}
