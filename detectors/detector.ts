import type { EntityBaseline } from './baseline.ts'
import { FEATURE_COUNT, MinuteWindow, WINDOW_WORDS, type Minute } from './features.ts'
import type { IsolationForest } from './isolation-forest.ts'

/**
 * The contract between the entity scorer and the detectors it runs on each minute of each
 * entity. Pure: a detector reads the minute's context and its entity's state, returns an
 * equivalent z (see stats.ts), and explains itself only when asked (findings are rare, so
 * the hot path builds no strings).
 */

/** The detectors of ad entities; their latest scores are the rule facts `anomaly_<name>`. */
export const DETECTOR_NAMES = ['iforest', 'seasonal_z', 'ewma', 'flatline'] as const
/** One of DETECTOR_NAMES. */
export type DetectorName = (typeof DETECTOR_NAMES)[number]

/** Quantile levels at which a forest's training scores are recorded, and their normal z. */
export const CALIBRATION_LEVELS = [0.5, 0.9, 0.99, 0.999] as const
const CALIBRATION_Z = [0, 1.2816, 2.3263, 3.0902] as const

/** An isolation forest with the quantiles of its scores on its own training data. */
export interface CalibratedForest {
  readonly forest: IsolationForest
  /** Training scores at CALIBRATION_LEVELS (ascending). */
  readonly quantiles: readonly number[]
  /** `level`: shared by the entities of a level; `campaign`: one campaign's own. */
  readonly kind: 'level' | 'campaign'
}

/**
 * The equivalent z of a raw forest score: the training score quantiles map to the normal
 * quantiles of the same level, linearly between them, and past the 99.9th percentile the
 * line through the last two continues (isolation scores are bounded, so no tail model fits
 * better than the data's own).
 */
export function forestZ(cf: CalibratedForest, score: number): number {
  const q = cf.quantiles
  const n = Math.min(q.length, CALIBRATION_Z.length)
  if (n < 2) return 0
  for (let i = 0; i < n - 1; i++) {
    const lo = q[i] as number
    const hi = q[i + 1] as number
    if (score < hi || i === n - 2) {
      const width = Math.max(hi - lo, 1e-6)
      return (CALIBRATION_Z[i] as number) + ((score - lo) / width) * ((CALIBRATION_Z[i + 1] as number) - (CALIBRATION_Z[i] as number))
    }
  }
  return 0
}

/** What a detector needs to judge an entity: its baseline and, when trained, a forest. */
export interface EntityModels {
  readonly baseline: EntityBaseline
  readonly forest: CalibratedForest | undefined
}

/** Where an EntityState's numbers sit in its block: the minute window, the EWMAs, then the scalars. */
const EWMA_AT = WINDOW_WORDS
const LAST_MINUTE = EWMA_AT + FEATURE_COUNT
const ZERO_RUN = LAST_MINUTE + 1
const ZERO_LOG_CHANCE = ZERO_RUN + 1
const ZERO_SILENT = ZERO_LOG_CHANCE + 1
const ZERO_EXPECTED = ZERO_SILENT + 1
const CLICKLESS_RUN = ZERO_EXPECTED + 1
const CLICKLESS_EXPECTED = CLICKLESS_RUN + 1
const CLICKLESS_IMPRESSIONS = CLICKLESS_EXPECTED + 1
const CLICKLESS_SPEND = CLICKLESS_IMPRESSIONS + 1
const CONVERSIONLESS_RUN = CLICKLESS_SPEND + 1
const CONVERSIONLESS_CLICKS = CONVERSIONLESS_RUN + 1
const CONVERSIONLESS_EXPECTED = CONVERSIONLESS_CLICKS + 1
/** Numbers per state, rounded up to whole 64-byte cache lines. */
const STATE_WORDS = Math.ceil((CONVERSIONLESS_EXPECTED + 1) / 8) * 8
/** States per shared block. */
const BLOCK_STATES = 256

let block = new Float64Array(0)
let blockNext = 0

/**
 * Per-entity state carried from minute to minute (in memory in the runner). Its numbers sit
 * together in a block shared with the states created just before and after it (typically one
 * tick's new entities, scored in that order), not in separate small objects and boxed double
 * fields: judging an entity then reads one run of cache lines (the per-minute detectors of a
 * 10,000-entity tick took 4.8–5.3 ms CPU time at best instead of 6.8–8.9 ms with the numbers
 * spread over separate arrays and boxed fields). A block (BLOCK_STATES states, 80 KB) lives as
 * long as any of its states.
 */
export class EntityState {
  /** The block holding this state's numbers, from `at` (STATE_WORDS of them). */
  readonly values: Float64Array
  readonly at: number
  /** The trailing minutes the ratio features use. */
  readonly window: MinuteWindow
  /** Index in `values` of the EWMA of each feature's residual (FEATURE_COUNT values). */
  readonly ewmaAt: number

  constructor(readonly account: string) {
    if (blockNext === BLOCK_STATES || block.length === 0) {
      block = new Float64Array(BLOCK_STATES * STATE_WORDS)
      blockNext = 0
    }
    this.values = block
    this.at = blockNext++ * STATE_WORDS
    this.window = new MinuteWindow(block, this.at)
    this.ewmaAt = this.at + EWMA_AT
    this.lastMinuteMs = -Infinity
    this.zeroSpendSilent = true
  }

  /** A copy of the EWMA of each feature's residual. */
  get ewma(): Float64Array {
    return this.values.slice(this.ewmaAt, this.ewmaAt + FEATURE_COUNT)
  }

  /** Start of the last minute scored; −Infinity before the first. */
  get lastMinuteMs(): number { return this.values[this.at + LAST_MINUTE] as number }
  set lastMinuteMs(v: number) { this.values[this.at + LAST_MINUTE] = v }
  /** Consecutive zero-spend minutes, the log-chance of that run, whether nothing at all happened, and the spend expected over it. */
  get zeroSpendRun(): number { return this.values[this.at + ZERO_RUN] as number }
  set zeroSpendRun(v: number) { this.values[this.at + ZERO_RUN] = v }
  get zeroSpendLogChance(): number { return this.values[this.at + ZERO_LOG_CHANCE] as number }
  set zeroSpendLogChance(v: number) { this.values[this.at + ZERO_LOG_CHANCE] = v }
  get zeroSpendSilent(): boolean { return this.values[this.at + ZERO_SILENT] === 1 }
  set zeroSpendSilent(v: boolean) { this.values[this.at + ZERO_SILENT] = v ? 1 : 0 }
  get zeroSpendExpected(): number { return this.values[this.at + ZERO_EXPECTED] as number }
  set zeroSpendExpected(v: number) { this.values[this.at + ZERO_EXPECTED] = v }
  /** Consecutive minutes with impressions or spend but no click, and the clicks expected over them. */
  get clicklessRun(): number { return this.values[this.at + CLICKLESS_RUN] as number }
  set clicklessRun(v: number) { this.values[this.at + CLICKLESS_RUN] = v }
  get clicklessExpected(): number { return this.values[this.at + CLICKLESS_EXPECTED] as number }
  set clicklessExpected(v: number) { this.values[this.at + CLICKLESS_EXPECTED] = v }
  get clicklessImpressions(): number { return this.values[this.at + CLICKLESS_IMPRESSIONS] as number }
  set clicklessImpressions(v: number) { this.values[this.at + CLICKLESS_IMPRESSIONS] = v }
  get clicklessSpend(): number { return this.values[this.at + CLICKLESS_SPEND] as number }
  set clicklessSpend(v: number) { this.values[this.at + CLICKLESS_SPEND] = v }
  /** Consecutive minutes with clicks but no conversion, their clicks and the conversions expected over them. */
  get conversionlessRun(): number { return this.values[this.at + CONVERSIONLESS_RUN] as number }
  set conversionlessRun(v: number) { this.values[this.at + CONVERSIONLESS_RUN] = v }
  get conversionlessClicks(): number { return this.values[this.at + CONVERSIONLESS_CLICKS] as number }
  set conversionlessClicks(v: number) { this.values[this.at + CONVERSIONLESS_CLICKS] = v }
  get conversionlessExpected(): number { return this.values[this.at + CONVERSIONLESS_EXPECTED] as number }
  set conversionlessExpected(v: number) { this.values[this.at + CONVERSIONLESS_EXPECTED] = v }
}

/** The minute being judged, with its features and residuals already computed. */
export interface MinuteContext {
  readonly minuteMs: number
  readonly minute: Minute
  readonly models: EntityModels
  readonly state: EntityState
  /**
   * Features (see features.ts) and their robust z against the baseline (NaN when undefined),
   * FEATURE_COUNT values from `at` (buffers shared by the batch).
   */
  readonly features: Float64Array
  readonly residuals: Float64Array
  readonly at: number
  /** Position of this minute in the batch being scored (see EntityScorer.scoreBatch). */
  readonly index: number
}

/** One entity's minute in a batch: the minutes of many entities are scored together. */
export interface BatchItem {
  readonly models: EntityModels
  readonly state: EntityState
  readonly minuteMs: number
  readonly minute: Minute
}

/** Why a detector scored high: the feature it blames, expected vs actual, and a sentence. */
export interface Explanation {
  readonly feature: string
  readonly expected: number
  readonly actual: number
  readonly text: string
}

/** One detector of ad entities. */
export interface EntityDetector {
  readonly name: DetectorName
  /** Judges the minute (updating the entity's state for this detector); returns an equivalent z. */
  assess(ctx: MinuteContext): number
  /**
   * Optional: judges the first `count` contexts of a batch at once, writing each equivalent z
   * into `z` (by index); the scorer then uses it instead of assess (the forest scores tree by
   * tree).
   */
  assessMany?(contexts: readonly MinuteContext[], count: number, z: Float64Array): void
  /** Explains the verdict just returned for the same context. */
  explain(ctx: MinuteContext): Explanation
}
