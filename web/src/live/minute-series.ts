import type { TimeSeriesDto, WindowMetrics } from '../../../gateway/api-types.ts'
import type { WindowUpdate } from '../../../gateway/socket-events.ts'
import { ColumnarRing } from './columnar-ring.ts'

/** Columns of a minute series, in uPlot order (x first). */
export const MINUTE_COLUMNS = ['timeSec', 'spend', 'clicks', 'ctrPct'] as const
const TIME = 0
const SPEND = 1
const CLICKS = 2
const CTR = 3
const IMPRESSIONS = 4 // kept to recompute CTR when rows are merged; not drawn

/** The sums of one minute as the series keeps them; money in currency units. */
export interface MinuteSums {
  readonly spend: number
  readonly clicks: number
  readonly impressions: number
}

/**
 * Spend, clicks and CTR per minute of one entity, in a columnar ring fed by two sources: the
 * time-series API (history, and corrections of closed minutes) and live window updates, whose
 * `1m` window is the current minute's running sums. Minutes without an update are zero rows,
 * so the x axis has no holes. Pure: the caller says what time it is through the updates.
 */
export class MinuteSeries {
  private readonly ring: ColumnarRing
  /** Bumped on every change; a chart redraws when it differs from the one it drew. */
  version = 0

  constructor(readonly capacityMinutes = 60) {
    this.ring = new ColumnarRing(capacityMinutes, 5)
  }

  /** Minutes held. */
  get size(): number {
    return this.ring.size
  }

  /** Start (epoch s) of the newest minute, or undefined when empty. */
  get lastMinuteSec(): number | undefined {
    return this.ring.get(-1, TIME)
  }

  /** The newest row: [timeSec, spend, clicks, ctrPct]. */
  last(): readonly number[] | undefined {
    if (this.ring.size === 0) return undefined
    return [TIME, SPEND, CLICKS, CTR].map((c) => this.ring.get(-1, c)!)
  }

  /** Applies a live update: sets (never adds to) the row of the update's minute. */
  applyWindow(update: Pick<WindowUpdate, 'atMs' | 'windows'>): boolean {
    return this.setMinute(Math.floor(update.atMs / 60_000) * 60, sumsOf(update.windows['1m']))
  }

  /**
   * Replaces the history with a time series (oldest first); rows the socket wrote for minutes
   * at or after the series' last one are kept (they are fresher running sums).
   */
  load(series: Pick<TimeSeriesDto, 'timesSec' | 'spendMicros' | 'clicks' | 'impressions'>): void {
    const lastHistory = series.timesSec[series.timesSec.length - 1] ?? Number.NEGATIVE_INFINITY
    const live: Array<[number, MinuteSums]> = []
    for (let i = 0; i < this.ring.size; i++) {
      const t = this.ring.get(i, TIME)!
      if (t >= lastHistory) live.push([t, { spend: this.ring.get(i, SPEND)!, clicks: this.ring.get(i, CLICKS)!, impressions: this.ring.get(i, IMPRESSIONS)! }])
    }
    this.ring.clear()
    this.merge(series)
    for (const [t, sums] of live) this.setMinute(t, sums)
    this.version++
  }

  /** Overwrites the minutes a time series covers (a closed minute's final sums). */
  merge(series: Pick<TimeSeriesDto, 'timesSec' | 'spendMicros' | 'clicks' | 'impressions'>): void {
    for (let i = 0; i < series.timesSec.length; i++) {
      this.setMinute(series.timesSec[i]!, { spend: (series.spendMicros[i] ?? 0) / 1e6, clicks: series.clicks[i] ?? 0, impressions: series.impressions[i] ?? 0 })
    }
  }

  /** Columns for uPlot: [times, spend, clicks, ctr%] (views valid until the next change). */
  data(): readonly Float64Array[] {
    return this.ring.views().slice(0, 4)
  }

  private setMinute(minuteSec: number, sums: MinuteSums): boolean {
    const last = this.lastMinuteSec
    if (last === undefined || minuteSec > last) {
      if (last !== undefined) {
        // Minutes without updates in between are zero rows (at most a ring's worth).
        const gapStart = Math.max(last + 60, minuteSec - (this.capacityMinutes - 1) * 60)
        for (let t = gapStart; t < minuteSec; t += 60) this.ring.push([t, 0, 0, 0, 0])
      }
      this.ring.push([minuteSec, sums.spend, sums.clicks, ctrPct(sums), sums.impressions])
    } else {
      const back = (last - minuteSec) / 60
      if (!Number.isInteger(back) || back >= this.ring.size) return false // older than the ring or off-grid
      const row = -1 - back
      this.ring.set(row, SPEND, sums.spend)
      this.ring.set(row, CLICKS, sums.clicks)
      this.ring.set(row, IMPRESSIONS, sums.impressions)
      this.ring.set(row, CTR, ctrPct(sums))
    }
    this.version++
    return true
  }
}

function sumsOf(w: WindowMetrics): MinuteSums {
  return { spend: w.spendMicros / 1e6, clicks: w.clicks, impressions: w.impressions }
}

/** CTR in percent; 0 without impressions (typed arrays have no null for a gap). */
function ctrPct(s: MinuteSums): number {
  return s.impressions === 0 ? 0 : (s.clicks / s.impressions) * 100
}
