import type { EntityBaseline } from './baseline.ts'
import { FEATURE_COUNT, MinuteWindow, type Minute } from './features.ts'
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

/** Per-entity state carried from minute to minute (in memory in the runner). */
export class EntityState {
  /** The trailing minutes the ratio features use. */
  readonly window = new MinuteWindow()
  /** EWMA of each feature's residual. */
  readonly ewma = new Float64Array(FEATURE_COUNT)
  /** Start of the last minute scored; −Infinity before the first. */
  lastMinuteMs = -Infinity
  /** Consecutive zero-spend minutes, the log-chance of that run, and whether nothing at all happened. */
  zeroSpendRun = 0
  zeroSpendLogChance = 0
  zeroSpendSilent = true
  zeroSpendExpected = 0
  /** Consecutive minutes with impressions or spend but no click, and the clicks expected over them. */
  clicklessRun = 0
  clicklessExpected = 0
  clicklessImpressions = 0
  clicklessSpend = 0
  /** Consecutive minutes with clicks but no conversion, their clicks and the conversions expected over them. */
  conversionlessRun = 0
  conversionlessClicks = 0
  conversionlessExpected = 0

  constructor(readonly account: string) {}
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
