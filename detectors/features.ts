/**
 * Per-minute features of an entity, computed the same way in training and in scoring. Pure.
 *
 * Volume features (spend, impressions, clicks) are the minute's value in square-root space,
 * which steadies count noise (a Poisson count's square root has a spread near 0.5 whatever
 * its rate). Ratio features (CTR, CPC, conversion rate and the price index) are logs of
 * ratios over the trailing RATIO_WINDOW_MIN minutes, so one quiet minute does not make them
 * jump. The price index is spend over the spend the entity's own prices predict from its
 * impressions and clicks: it moves with CPC and CPM changes, not with volume.
 */

/** Feature names, in the order of every feature array. */
export const FEATURES = ['spend', 'impressions', 'clicks', 'ctr', 'cpc', 'cvr', 'price'] as const
/** One of FEATURES. */
export type FeatureName = (typeof FEATURES)[number]
/** Number of features. */
export const FEATURE_COUNT = FEATURES.length
/** The first VOLUME_COUNT features are volumes (square-root space); the rest are log ratios. */
export const VOLUME_COUNT = 3
/** Ratio features look at this many minutes, the current one included. */
export const RATIO_WINDOW_MIN = 3

/** Metric fields of a minute, in the order of minute arrays: impressions, clicks, spend (currency units), conversions. */
export const MINUTE_STRIDE = 4

/** One minute of an entity: the additive metrics, spend in currency units. */
export interface Minute {
  readonly impressions: number
  readonly clicks: number
  readonly spend: number
  readonly conversions: number
}

/** What the entity's prices predict spend from: spend ≈ perImpression · impressions + perClick · clicks. */
export interface PriceModel {
  readonly perImpression: number
  readonly perClick: number
}

const HOUR_MS = 3_600_000

/** Hour of the week (0–167) of a UTC timestamp; slot 0 starts Thursday 00:00 UTC (the epoch's weekday). */
export function hourOfWeek(ms: number): number {
  return Math.floor(ms / HOUR_MS) % 168
}

/** Hour of the day (0–23) of a UTC timestamp. */
export function hourOfDay(ms: number): number {
  return Math.floor(ms / HOUR_MS) % 24
}

/** Numbers a MinuteWindow keeps: its ring of RATIO_WINDOW_MIN minutes, then the sums over it. */
export const WINDOW_WORDS = (RATIO_WINDOW_MIN + 1) * MINUTE_STRIDE

/**
 * The trailing minutes an entity's ratio features need: a ring of RATIO_WINDOW_MIN minutes
 * with running sums. Push every minute in order, zeros included. Its numbers live in
 * `values` from `at` (WINDOW_WORDS of them): an array of its own, or a slice of a larger one
 * given to the constructor (an entity state's, so that one entity's numbers sit together).
 */
export class MinuteWindow {
  readonly values: Float64Array
  readonly at: number
  /** Index in `values` of the sums over the window: impressions, clicks, spend, conversions. */
  readonly sumsAt: number
  private next = 0

  constructor(values?: Float64Array, at = 0) {
    this.values = values ?? new Float64Array(WINDOW_WORDS)
    this.at = at
    this.sumsAt = at + RATIO_WINDOW_MIN * MINUTE_STRIDE
  }

  /** A copy of the sums over the window: impressions, clicks, spend, conversions. */
  get sums(): Float64Array {
    return this.values.slice(this.sumsAt, this.sumsAt + MINUTE_STRIDE)
  }

  /** Adds the newest minute (dropping the oldest once the window is full). */
  push(impressions: number, clicks: number, spend: number, conversions: number): void {
    const v = this.values
    const r = this.at + this.next * MINUTE_STRIDE
    const s = this.sumsAt
    v[s] = (v[s] as number) + impressions - (v[r] as number)
    v[s + 1] = (v[s + 1] as number) + clicks - (v[r + 1] as number)
    v[s + 2] = (v[s + 2] as number) + spend - (v[r + 2] as number)
    v[s + 3] = (v[s + 3] as number) + conversions - (v[r + 3] as number)
    v[r] = impressions
    v[r + 1] = clicks
    v[r + 2] = spend
    v[r + 3] = conversions
    this.next = this.next === RATIO_WINDOW_MIN - 1 ? 0 : this.next + 1
    // Running sums of floats drift; clamp the tiny negatives a subtraction can leave.
    if ((v[s] as number) < 1e-9) v[s] = 0
    if ((v[s + 1] as number) < 1e-9) v[s + 1] = 0
    if ((v[s + 2] as number) < 1e-9) v[s + 2] = 0
    if ((v[s + 3] as number) < 1e-9) v[s + 3] = 0
  }

  /** The window's minutes as a plain array (oldest first), for saving state. */
  toArray(): number[] {
    const out: number[] = []
    for (let k = 0; k < RATIO_WINDOW_MIN; k++) {
      const base = this.at + ((this.next + k) % RATIO_WINDOW_MIN) * MINUTE_STRIDE
      for (let j = 0; j < MINUTE_STRIDE; j++) out.push(this.values[base + j] as number)
    }
    return out
  }
}

/**
 * Writes the FEATURE_COUNT features of the newest minute into `out` from index `at`, and into `den` the
 * amount each ratio rests on (impressions for CTR, clicks for CPC and conversion rate,
 * predicted spend for the price index; 0 for volumes). A ratio without data is NaN.
 */
export function computeFeatures(m: Minute, window: MinuteWindow, price: PriceModel, out: Float64Array, den: Float64Array, at = 0): void {
  out[at] = Math.sqrt(m.spend)
  out[at + 1] = Math.sqrt(m.impressions)
  out[at + 2] = Math.sqrt(m.clicks)
  den[at] = 0
  den[at + 1] = 0
  den[at + 2] = 0
  const v = window.values
  const at0 = window.sumsAt
  const imp = v[at0] as number
  const clk = v[at0 + 1] as number
  const spend = v[at0 + 2] as number
  const conv = v[at0 + 3] as number
  // Half-count pseudo counts keep the logs finite when a numerator is 0.
  out[at + 3] = imp > 0 ? Math.log((clk + 0.5) / (imp + 0.5)) : NaN
  den[at + 3] = imp
  out[at + 4] = clk >= 1 && spend > 0 ? Math.log(spend / clk) : NaN
  den[at + 4] = clk
  out[at + 5] = clk >= 1 ? Math.log((conv + 0.5) / (clk + 0.5)) : NaN
  den[at + 5] = clk
  const predicted = price.perImpression * imp + price.perClick * clk
  out[at + 6] = predicted > 0 ? Math.log(Math.max(spend, 0.01 * predicted) / predicted) : NaN
  den[at + 6] = predicted
}

/** The features in raw units, for explanations: spend per minute, impressions, clicks, CTR, CPC, CVR, price index. */
export function rawFeatureValue(feature: number, m: Minute, window: MinuteWindow, price: PriceModel): number {
  const s = window.sums
  switch (feature) {
    case 0: return m.spend
    case 1: return m.impressions
    case 2: return m.clicks
    case 3: return (s[0] as number) > 0 ? (s[1] as number) / (s[0] as number) : NaN
    case 4: return (s[1] as number) > 0 ? (s[2] as number) / (s[1] as number) : NaN
    case 5: return (s[1] as number) > 0 ? (s[3] as number) / (s[1] as number) : NaN
    default: {
      const predicted = price.perImpression * (s[0] as number) + price.perClick * (s[1] as number)
      return predicted > 0 ? (s[2] as number) / predicted : NaN
    }
  }
}

/**
 * Fits spend ≈ a · impressions + b · clicks (no intercept, a, b ≥ 0) by least squares over
 * `minutes` (stride MINUTE_STRIDE). A negative coefficient falls back to the better of the
 * one-regressor fits; no volume at all gives a zero model (the price index is then undefined).
 */
export function fitPriceModel(minutes: Float64Array, from = 0, to = minutes.length / MINUTE_STRIDE): PriceModel {
  let ii = 0
  let ic = 0
  let cc = 0
  let is = 0
  let cs = 0
  let ss = 0
  for (let k = from; k < to; k++) {
    const i = minutes[k * MINUTE_STRIDE] as number
    const c = minutes[k * MINUTE_STRIDE + 1] as number
    const s = minutes[k * MINUTE_STRIDE + 2] as number
    ii += i * i
    ic += i * c
    cc += c * c
    is += i * s
    cs += c * s
    ss += s * s
  }
  const det = ii * cc - ic * ic
  if (det > 1e-9 * ii * cc && ii > 0 && cc > 0) {
    const a = (is * cc - cs * ic) / det
    const b = (cs * ii - is * ic) / det
    if (a >= 0 && b >= 0) return { perImpression: a, perClick: b }
  }
  // SSE of a one-regressor fit x·k: ss − (xs)²/xx.
  const onlyImp = ii > 0 ? { model: { perImpression: is / ii, perClick: 0 }, sse: ss - (is * is) / ii } : undefined
  const onlyClk = cc > 0 ? { model: { perImpression: 0, perClick: cs / cc }, sse: ss - (cs * cs) / cc } : undefined
  if (onlyImp && onlyClk) return onlyImp.sse <= onlyClk.sse ? onlyImp.model : onlyClk.model
  return onlyImp?.model ?? onlyClk?.model ?? { perImpression: 0, perClick: 0 }
}
