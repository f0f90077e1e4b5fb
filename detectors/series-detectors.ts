import { UnknownDetectorError } from './errors.ts'
import { hourOfDay, hourOfWeek } from './features.ts'
import { SeriesIForest } from './series-iforest.ts'
import { clamp, normalTail, robustSummary, zFromLogTail, zToScore } from './stats.ts'

/**
 * Streaming detectors of one univariate series (`timestamp,value`), for the CSV command and
 * the NAB evaluation: each row's score is computed from the rows before it and the row
 * itself, then the row is learnt, so no score ever depends on a later row. The same ideas
 * as the entity detectors, on one value; windowed_gaussian is NAB's own baseline. Pure.
 */

/** A streaming scorer of one series. */
export interface SeriesDetector {
  readonly name: string
  /** The anomaly score (0–1) of this row; rows must come in time order. */
  update(tsMs: number, value: number): number
}

/** The series detectors by name. */
export const seriesDetectorFactories = {
  seasonal_z: () => new SeriesSeasonalZ(),
  ewma: () => new SeriesEwma(),
  flatline: () => new SeriesFlatline(),
  iforest: () => new SeriesIForest(),
  windowed_gaussian: () => new WindowedGaussian(),
} satisfies Record<string, () => SeriesDetector>

/** One of the series detector names. */
export type SeriesDetectorName = keyof typeof seriesDetectorFactories
/** Every series detector name, in a stable order. */
export const SERIES_DETECTOR_NAMES = Object.keys(seriesDetectorFactories) as SeriesDetectorName[]

/** Builds a series detector; an unknown name is ADW_DETECT_UNKNOWN naming `source`. */
export function createSeriesDetector(name: string, source: string): SeriesDetector {
  if (!Object.hasOwn(seriesDetectorFactories, name)) throw new UnknownDetectorError(source, name, SERIES_DETECTOR_NAMES)
  return seriesDetectorFactories[name as SeriesDetectorName]()
}

/** A ring of the last `cap` values of each of `slots` slots. */
class SlotRings {
  private readonly data: Float64Array
  private readonly counts: Int32Array
  private readonly next: Int32Array
  private readonly buf: Float64Array

  constructor(readonly slots: number, readonly cap: number) {
    this.data = new Float64Array(slots * cap)
    this.counts = new Int32Array(slots)
    this.next = new Int32Array(slots)
    this.buf = new Float64Array(cap)
  }

  count(slot: number): number {
    return this.counts[slot] as number
  }

  push(slot: number, v: number): void {
    this.data[slot * this.cap + (this.next[slot] as number)] = v
    this.next[slot] = ((this.next[slot] as number) + 1) % this.cap
    this.counts[slot] = Math.min(this.cap, (this.counts[slot] as number) + 1)
  }

  summary(slot: number): { median: number; scale: number } {
    const n = this.counts[slot] as number
    this.buf.set(this.data.subarray(slot * this.cap, slot * this.cap + n))
    return robustSummary(this.buf, n)
  }
}

/**
 * Seasonal robust z: the value against the median and robust scale of the same hour of the
 * week (the last 40 of them), else of the same hour of the day (last 120), else of the last
 * 1,000 rows; the scale never drops below a quarter of the recent rows' scale.
 */
export class SeriesSeasonalZ implements SeriesDetector {
  readonly name = 'seasonal_z'
  private readonly how = new SlotRings(168, 40)
  private readonly hod = new SlotRings(24, 120)
  private readonly recent = new SlotRings(1, 1000)
  private rows = 0
  private recentScale = NaN

  update(tsMs: number, value: number): number {
    const w = hourOfWeek(tsMs)
    const d = hourOfDay(tsMs)
    let score = 0
    if (this.rows % 50 === 0 && this.recent.count(0) >= 20) this.recentScale = this.recent.summary(0).scale
    const ring = this.how.count(w) >= 12 ? { r: this.how, s: w } : this.hod.count(d) >= 12 ? { r: this.hod, s: d } : this.recent.count(0) >= 20 ? { r: this.recent, s: 0 } : undefined
    if (ring !== undefined) {
      const base = ring.r.summary(ring.s)
      const floor = Math.max(0.25 * (this.recentScale || 0), 1e-6 * Math.abs(base.median), 1e-9)
      score = zToScore(Math.abs(value - base.median) / Math.max(base.scale, floor))
    }
    this.how.push(w, value)
    this.hod.push(d, value)
    this.recent.push(0, value)
    this.rows++
    return score
  }
}

/**
 * EWMA drift: residuals against a slow exponentially weighted mean and mean absolute
 * deviation (α = 0.01), clipped to ±6σ, averaged with λ = 0.25; the score is the average in
 * units of its standard error σ·√(λ/(2−λ)).
 */
export class SeriesEwma implements SeriesDetector {
  readonly name = 'ewma'
  private mean = 0
  private absDev = 0
  private ewma = 0
  private rows = 0
  private static readonly ALPHA = 0.01
  private static readonly LAMBDA = 0.25
  private static readonly WARMUP = 30

  update(_tsMs: number, value: number): number {
    const lambda = SeriesEwma.LAMBDA
    let score = 0
    if (this.rows === 0) this.mean = value
    else {
      const sigma = Math.max(1.2533 * this.absDev, 1e-6 * Math.abs(this.mean), 1e-9)
      this.ewma = (1 - lambda) * this.ewma + lambda * clamp((value - this.mean) / sigma, -6, 6)
      if (this.rows >= SeriesEwma.WARMUP) score = zToScore(Math.abs(this.ewma) / Math.sqrt(lambda / (2 - lambda)))
    }
    const a = this.rows < SeriesEwma.WARMUP ? 1 / (this.rows + 1) : SeriesEwma.ALPHA
    this.absDev += a * (Math.abs(value - this.mean) - this.absDev)
    this.mean += a * (value - this.mean)
    this.rows++
    return score
  }
}

/**
 * Flatline: a run of k equal consecutive values (or of zeros) is judged by the series' own
 * habits, as a two-state Markov chain learnt from the rows so far (Jeffreys-smoothed): the
 * chance of the run is P(start a run) · P(continue)^(k−1), and the score is that chance's
 * normal z. A series that often sits still (a step signal) has long runs that are ordinary.
 */
export class SeriesFlatline implements SeriesDetector {
  readonly name = 'flatline'
  private prev = NaN
  private rows = 0
  private readonly repeat = new RunChain()
  private readonly zero = new RunChain()
  private static readonly WARMUP = 50

  update(_tsMs: number, value: number): number {
    const zr = this.repeat.observe(value === this.prev)
    const zz = this.zero.observe(value === 0)
    const score = this.rows >= SeriesFlatline.WARMUP ? zToScore(Math.max(zr, zz, 0)) : 0
    this.prev = value
    this.rows++
    return score
  }
}

/**
 * A two-state chain (in a run or not) with transition counts; `observe` returns the run's z,
 * then learns. Transitions are learnt LEARN_DELAY rows late, so a flatline being judged does
 * not teach the chain, within its first rows, that flatlines are normal; one that lasts
 * becomes the series' normal after that.
 */
class RunChain {
  private static readonly LEARN_DELAY = 60
  private inRun = false
  private run = 0
  private logChance = 0
  // Transitions: from outside a run (to out, to in), from inside (to out, to in).
  private readonly counts = [0, 0, 0, 0]
  private readonly pending = new Int8Array(RunChain.LEARN_DELAY)
  private seen = 0

  observe(inRun: boolean): number {
    const c = this.counts
    const pStart = ((c[1] as number) + 0.5) / ((c[0] as number) + (c[1] as number) + 1)
    const pContinue = ((c[3] as number) + 0.5) / ((c[2] as number) + (c[3] as number) + 1)
    const transition = (this.inRun ? 2 : 0) + (inRun ? 1 : 0)
    if (inRun) {
      this.logChance = this.run === 0 ? Math.log(pStart) : this.logChance + Math.log(pContinue)
      this.run++
    } else {
      this.run = 0
      this.logChance = 0
    }
    const z = this.run > 0 ? zFromLogTail(this.logChance) : 0
    const slot = this.seen % RunChain.LEARN_DELAY
    if (this.seen >= RunChain.LEARN_DELAY) c[this.pending[slot] as number]!++
    this.pending[slot] = transition
    this.seen++
    this.inRun = inRun
    return z
  }
}

/**
 * NAB's windowedGaussian baseline, as numenta/NAB defines it: mean and standard deviation of
 * a window of the first 6,400 values, then slid forward 100 values at a time; the score is
 * 1 − Q(|x − mean| / std) (Q the normal upper tail), so it lies in [0.5, 1).
 */
export class WindowedGaussian implements SeriesDetector {
  readonly name = 'windowed_gaussian'
  private readonly window: number[] = []
  private step: number[] = []
  private mean = 0
  private std = 1
  // Welford's running mean and squared deviations while the window fills (NAB recomputes with
  // numpy at every row; the values agree to rounding).
  private m2 = 0
  private static readonly WINDOW = 6400
  private static readonly STEP = 100

  update(_tsMs: number, value: number): number {
    const score = this.window.length > 0 ? 1 - normalTail(Math.abs(value - this.mean) / this.std) : 0
    if (this.window.length < WindowedGaussian.WINDOW) {
      this.window.push(value)
      const n = this.window.length
      const before = n === 1 ? value : this.mean
      this.mean = before + (value - before) / n
      this.m2 += (value - before) * (value - this.mean)
      this.setStd(Math.max(0, this.m2 / n))
    } else {
      this.step.push(value)
      if (this.step.length === WindowedGaussian.STEP) {
        this.window.splice(0, WindowedGaussian.STEP)
        this.window.push(...this.step)
        this.step = []
        let sum = 0
        for (const v of this.window) sum += v
        this.mean = sum / this.window.length
        let sq = 0
        for (const v of this.window) sq += (v - this.mean) ** 2
        this.setStd(sq / this.window.length)
      }
    }
    return score
  }

  private setStd(variance: number): void {
    this.std = Math.sqrt(variance)
    if (this.std === 0) this.std = 0.000001
  }
}
