import { FEATURES, rawFeatureValue, VOLUME_COUNT } from './features.ts'
import type { MinuteContext } from './detector.ts'

/** Formats a feature's raw value for an explanation: money with 2 decimals, rates as percentages. */
export function formatFeature(feature: number, value: number): string {
  if (!Number.isFinite(value)) return 'n/a'
  switch (FEATURES[feature]) {
    case 'spend': return `${value.toFixed(2)}/min`
    case 'impressions':
    case 'clicks': return `${value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US')}/min`
    case 'ctr':
    case 'cvr': return `${(value * 100).toFixed(2)}%`
    case 'cpc': return value.toFixed(2)
    default: return `${value.toFixed(2)}×`
  }
}

/** The raw value of a feature in the context's minute (its trailing window for ratios). */
export function actualOf(ctx: MinuteContext, feature: number): number {
  return rawFeatureValue(feature, ctx.minute, ctx.state.window, ctx.models.baseline.price)
}

/** "at this hour of the week" for volumes (hour-of-week slots), "of the day" for ratios. */
export function slotWords(feature: number): string {
  return feature < VOLUME_COUNT ? 'this hour of the week' : 'this hour of the day'
}

/** Index of the largest |value| among the defined ones; −1 when none is defined. */
export function argMaxAbs(values: Float64Array): number {
  let best = -1
  let bestAbs = -1
  for (let f = 0; f < values.length; f++) {
    const a = Math.abs(values[f] as number)
    if (a > bestAbs) {
      bestAbs = a
      best = f
    }
  }
  return best
}

/** A signed z with one decimal and σ: "+13.2σ". */
export function formatSigma(z: number): string {
  return `${z >= 0 ? '+' : '−'}${Math.abs(z).toFixed(1)}σ`
}
