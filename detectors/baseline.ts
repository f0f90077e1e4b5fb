import { DetectorModelError } from './errors.ts'
import { FEATURE_COUNT, hourOfDay, hourOfWeek, MINUTE_STRIDE, VOLUME_COUNT, type Minute, type PriceModel } from './features.ts'
import { fromBase64, toBase64 } from './isolation-forest.ts'
import { binomialZ, clamp } from './stats.ts'

/**
 * An entity's baseline: what is normal for it at each hour, learnt from its minute history.
 * Volumes get a median and robust scale per hour of the week (168 slots), ratios per hour of
 * the day (24 slots; prices and rates vary less over the week than volumes do); a slot with
 * fewer than MIN_SLOT_SAMPLES minutes borrows from the hour of the day, then from all hours.
 * It also keeps what the flatline and EWMA detectors need: the chance of a zero-spend minute
 * per hour of the day, clicks per impression and per unit spent, conversions per click, and
 * the usual range of each feature's EWMA. Pure.
 */

/** Slots need this many minutes before their own median is trusted. */
export const MIN_SLOT_SAMPLES = 30
/** An entity needs this many active minutes in its history to get a baseline. */
export const MIN_ACTIVE_MINUTES = 60
/** Smoothing of the EWMA detector (weight of the newest minute). */
export const EWMA_LAMBDA = 0.25
/** Residuals are clipped here before they enter an EWMA, so one spike cannot pass for a drift. */
export const EWMA_CLIP = 6
/**
 * Isolation-forest input: the clipped residuals. The hour-of-week context is in them already
 * (each is relative to its hour's baseline); raw hour dimensions would only dilute the splits.
 */
export const IFOREST_DIMS = FEATURE_COUNT
const IFOREST_CLIP = 10

/** Number of ratio features (after the volumes). */
export const RATIO_COUNT = FEATURE_COUNT - VOLUME_COUNT
/**
 * Per ratio (after the volumes): where its usual rate sits in an hour's four flatline rates, for
 * the two rates of counts (CTR: clicks per impression; CVR: conversions per click); −1 for the rest.
 */
const COUNT_RATE_AT = [1, -1, 3, -1] as const
/** Length of a baseline's volume array: per hour of week and volume feature, center and scale. */
export const VOLUME_LEN = 168 * VOLUME_COUNT * 2
/** Length of its ratio array: per hour of day and ratio feature, center, scale and usual base. */
export const RATIO_LEN = 24 * RATIO_COUNT * 3
/** Length of its flatline array: per hour of day, four rates (see the constructor). */
export const FLAT_LEN = 24 * 4
/** Length of its EWMA array: per feature, center and scale. */
export const EWMA_LEN = FEATURE_COUNT * 2

/** An entity's minute history: consecutive minutes from `startMs`, stride MINUTE_STRIDE, zeros where nothing happened. */
export interface EntityHistory {
  readonly entity: string
  readonly account: string
  readonly startMs: number
  readonly minutes: Float64Array
}

/** The JSON form of a baseline: the numbers as base64 Float32, the rest as fields. */
export interface BaselineJson {
  readonly format: 'adwatch-baseline/1'
  readonly entity: string
  readonly account: string
  readonly fromMs: number
  readonly toMs: number
  readonly activeMinutes: number
  readonly price: PriceModel
  readonly values: string
}

/** A trained baseline; see the module comment. */
export class EntityBaseline {
  constructor(
    readonly entity: string,
    readonly account: string,
    /** First and end (exclusive) minute of the history it was learnt from. */
    readonly fromMs: number,
    readonly toMs: number,
    readonly activeMinutes: number,
    readonly price: PriceModel,
    /** Per hour of week and volume feature: center, scale. */
    private readonly volume: Float32Array,
    /** Per hour of day and ratio feature: center, scale, and the entity's median base of the ratio over all hours. */
    private readonly ratio: Float32Array,
    /** Per hour of day: chance of a zero-spend minute, clicks per impression, clicks per unit spent, conversions per click. */
    private readonly flat: Float32Array,
    /** Per feature: center and scale of its EWMA over the history. */
    private readonly ewmaRange: Float32Array,
  ) {}

  /**
   * Robust z of each feature against this hour's baseline, into `out` from index `at` (NaN where the feature
   * is undefined). A ratio resting on less than the entity's usual base (over all hours) gets
   * a scale widened by √(usual / base): a CPC from 3 clicks is noisier than one from 300, and
   * at quiet hours single lumps (a spend adjustment) give ratios tails a median cannot see.
   * CTR and CVR are rates of counts: their z is never further out than the counts themselves
   * are from the hour's usual rate (binomialZ), so a thin hour's narrow slot cannot call
   * 0 conversions from 32 clicks a −6σ event (at 14 % it happens once in 125 minutes).
   */
  residuals(minuteMs: number, feats: Float64Array, dens: Float64Array, out: Float64Array, at = 0): void {
    const how = hourOfWeek(minuteMs)
    for (let f = 0; f < VOLUME_COUNT; f++) {
      const k = (how * VOLUME_COUNT + f) * 2
      out[at + f] = ((feats[at + f] as number) - (this.volume[k] as number)) / (this.volume[k + 1] as number)
    }
    const hod = hourOfDay(minuteMs)
    for (let r = 0; r < RATIO_COUNT; r++) {
      const f = at + VOLUME_COUNT + r
      const x = feats[f] as number
      if (Number.isNaN(x)) {
        out[f] = NaN
        continue
      }
      const k = (hod * RATIO_COUNT + r) * 3
      const base = dens[f] as number
      const usual = this.ratio[k + 2] as number
      const widen = base > 0 && usual > base ? Math.sqrt(usual / base) : 1
      const z = (x - (this.ratio[k] as number)) / ((this.ratio[k + 1] as number) * widen)
      const rateAt = COUNT_RATE_AT[r] as number
      // The numerator back from the half-count log ratio (features.ts): log((k + 0.5) / (n + 0.5)).
      out[f] = rateAt < 0 ? z : boundByCounts(z, binomialZ(Math.exp(x) * (base + 0.5) - 0.5, base, this.flat[hod * 4 + rateAt] as number))
    }
  }

  /** The expected value of a feature at this minute in raw units (spend per minute, counts, ratios). */
  expected(feature: number, minuteMs: number): number {
    if (feature < VOLUME_COUNT) {
      const c = this.volume[(hourOfWeek(minuteMs) * VOLUME_COUNT + feature) * 2] as number
      return c * c
    }
    const c = this.ratio[(hourOfDay(minuteMs) * RATIO_COUNT + (feature - VOLUME_COUNT)) * 3] as number
    // CTR and CVR were logged with half-count pseudo counts; exp(center) is their typical value.
    return Math.exp(c)
  }

  /** Chance that a minute at this hour of day has no spend, from the history (Jeffreys-smoothed). */
  zeroSpendChance(minuteMs: number): number {
    return this.flat[hourOfDay(minuteMs) * 4] as number
  }

  /** Clicks per impression at this hour of day. */
  clicksPerImpression(minuteMs: number): number {
    return this.flat[hourOfDay(minuteMs) * 4 + 1] as number
  }

  /** Clicks per unit of spend at this hour of day. */
  clicksPerSpend(minuteMs: number): number {
    return this.flat[hourOfDay(minuteMs) * 4 + 2] as number
  }

  /** Conversions per click at this hour of day. */
  conversionsPerClick(minuteMs: number): number {
    return this.flat[hourOfDay(minuteMs) * 4 + 3] as number
  }

  /** Center of a feature's EWMA over the history. */
  ewmaCenter(feature: number): number {
    return this.ewmaRange[feature * 2] as number
  }

  /** Robust scale of a feature's EWMA over the history. */
  ewmaScale(feature: number): number {
    return this.ewmaRange[feature * 2 + 1] as number
  }

  /** The compact JSON form. */
  toJSON(): BaselineJson {
    const values = new Float32Array(VOLUME_LEN + RATIO_LEN + FLAT_LEN + EWMA_LEN)
    values.set(this.volume, 0)
    values.set(this.ratio, VOLUME_LEN)
    values.set(this.flat, VOLUME_LEN + RATIO_LEN)
    values.set(this.ewmaRange, VOLUME_LEN + RATIO_LEN + FLAT_LEN)
    return {
      format: 'adwatch-baseline/1',
      entity: this.entity,
      account: this.account,
      fromMs: this.fromMs,
      toMs: this.toMs,
      activeMinutes: this.activeMinutes,
      price: this.price,
      values: toBase64(values),
    }
  }

  /** Loads a baseline saved by toJSON; throws ADW_DETECT_MODEL when it is malformed. */
  static fromJSON(json: BaselineJson): EntityBaseline {
    if (json?.format !== 'adwatch-baseline/1') throw new DetectorModelError(`baseline: unknown format ${JSON.stringify(json?.format)}`)
    const values = new Float32Array(fromBase64(json.values, 4))
    if (values.length !== VOLUME_LEN + RATIO_LEN + FLAT_LEN + EWMA_LEN) throw new DetectorModelError(`baseline of ${json.entity}: ${values.length} values, expected ${VOLUME_LEN + RATIO_LEN + FLAT_LEN + EWMA_LEN}`)
    let at = 0
    const take = (n: number) => values.slice(at, (at += n))
    return new EntityBaseline(json.entity, json.account, json.fromMs, json.toMs, json.activeMinutes, json.price, take(VOLUME_LEN), take(RATIO_LEN), take(FLAT_LEN), take(EWMA_LEN))
  }
}

/** Writes one isolation-forest row (from the residuals at `resAt`): clipped to ±10, 0 (as expected) where undefined. */
export function writeForestRow(res: Float64Array, out: Float64Array, offset: number, resAt = 0): void {
  for (let f = 0; f < FEATURE_COUNT; f++) {
    const z = res[resAt + f] as number
    out[offset + f] = Number.isNaN(z) ? 0 : clamp(z, -IFOREST_CLIP, IFOREST_CLIP)
  }
}

/** The minute at index k of a stride-MINUTE_STRIDE array. */
export function minuteAt(minutes: Float64Array, k: number): Minute {
  const b = k * MINUTE_STRIDE
  return { impressions: minutes[b] as number, clicks: minutes[b + 1] as number, spend: minutes[b + 2] as number, conversions: minutes[b + 3] as number }
}

/** A ratio's z bounded by its counts' own z: same sign, never larger; 0 when the counts point the other way. */
function boundByCounts(z: number, counts: number): number {
  if (Number.isNaN(counts)) return z
  return z < 0 ? Math.max(z, Math.min(0, counts)) : Math.min(z, Math.max(0, counts))
}
