import type { BacktestResultDto } from '../api/proposed-types.ts'

/** Columns of the backtest chart: bucket starts (epoch s), spend in intervals ($), entities firing. */
export interface BacktestSeries {
  readonly timesSec: Float64Array
  readonly spend: Float64Array
  readonly firing: Float64Array
  readonly stepSec: number
}

/**
 * The backtest's intervals as a chart over its range: per bucket, how many entities would have
 * been firing (the most at once) and the spend during their intervals (each interval's spend
 * spread evenly over its minutes). Open intervals run to the end of the range. Pure.
 */
export function backtestSeries(result: Pick<BacktestResultDto, 'fromMs' | 'toMs' | 'intervals'>, maxBuckets = 240): BacktestSeries {
  const rangeMs = Math.max(60_000, result.toMs - result.fromMs)
  const stepMs = Math.max(60_000, Math.ceil(rangeMs / maxBuckets / 60_000) * 60_000)
  const n = Math.ceil(rangeMs / stepMs)
  const timesSec = new Float64Array(n)
  for (let i = 0; i < n; i++) timesSec[i] = (result.fromMs + i * stepMs) / 1000
  const spend = new Float64Array(n)
  // Firing entities per minute, then the maximum per bucket.
  const minutes = Math.ceil(rangeMs / 60_000)
  const perMinute = new Float64Array(minutes + 1)
  for (const iv of result.intervals) {
    const start = Math.max(result.fromMs, iv.startMs)
    const end = Math.min(result.toMs, iv.endMs ?? result.toMs)
    if (end <= start) continue
    const m0 = Math.floor((start - result.fromMs) / 60_000)
    const m1 = Math.ceil((end - result.fromMs) / 60_000)
    perMinute[m0] = perMinute[m0]! + 1
    perMinute[m1] = perMinute[m1]! - 1
    const spendPerMs = iv.spend / (end - start)
    for (let b = Math.floor((start - result.fromMs) / stepMs); b < n && result.fromMs + b * stepMs < end; b++) {
      const bStart = result.fromMs + b * stepMs
      const overlap = Math.min(end, bStart + stepMs) - Math.max(start, bStart)
      if (overlap > 0) spend[b] = spend[b]! + spendPerMs * overlap
    }
  }
  const firing = new Float64Array(n)
  let running = 0
  for (let m = 0; m < minutes; m++) {
    running += perMinute[m]!
    const b = Math.floor((m * 60_000) / stepMs)
    if (b < n && running > firing[b]!) firing[b] = running
  }
  return { timesSec, spend, firing, stepSec: stepMs / 1000 }
}
