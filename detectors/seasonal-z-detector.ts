import type { EntityDetector, Explanation, MinuteContext } from './detector.ts'
import { actualOf, argMaxAbs, formatFeature, formatSigma, slotWords } from './explain-format.ts'
import { FEATURE_COUNT, FEATURES } from './features.ts'

/**
 * Seasonal robust z-score: each feature against the median and robust scale of its hour of
 * the week (volumes) or of the day (ratios); the verdict is the largest |z|, so it catches
 * spikes and drops alike ("spend 5× the usual for a Tuesday 10:00", "clicks down 90%").
 */
export class SeasonalZDetector implements EntityDetector {
  readonly name = 'seasonal_z' as const

  assess(ctx: MinuteContext): number {
    let z = 0
    const r = ctx.residuals
    for (let f = ctx.at; f < ctx.at + FEATURE_COUNT; f++) {
      const a = Math.abs(r[f] as number)
      if (a > z) z = a
    }
    return z
  }

  explain(ctx: MinuteContext): Explanation {
    const f = argMaxAbs(ctx.residuals.subarray(ctx.at, ctx.at + FEATURE_COUNT))
    const expected = ctx.models.baseline.expected(f, ctx.minuteMs)
    const actual = actualOf(ctx, f)
    const z = ctx.residuals[ctx.at + f] as number
    const text = `${FEATURES[f]} ${formatFeature(f, actual)} vs ${formatFeature(f, expected)} usual at ${slotWords(f)} (${formatSigma(z)})`
    return { feature: FEATURES[f] as string, expected, actual, text }
  }
}
