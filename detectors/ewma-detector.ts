import { EWMA_CLIP, EWMA_LAMBDA } from './baseline.ts'
import type { EntityDetector, Explanation, MinuteContext } from './detector.ts'
import { actualOf, formatFeature } from './explain-format.ts'
import { FEATURE_COUNT, FEATURES } from './features.ts'

const CVR = FEATURES.indexOf('cvr')
import { clamp } from './stats.ts'

/**
 * EWMA drift: an exponentially weighted average (λ = EWMA_LAMBDA) of each feature's residual,
 * clipped so a single spike cannot pass for a drift. The verdict is how far the average sits
 * from its usual value, in units of its own spread over the training history, which absorbs
 * the autocorrelation a textbook σ·√(λ/(2−λ)) would miss. Catches slow moves no single
 * minute shows, such as CPC creeping up. The conversion rate is left out: conversions are too
 * rare for a minute-level drift to mean anything (flatline watches conversions stopping).
 */
export class EwmaDetector implements EntityDetector {
  readonly name = 'ewma' as const

  assess(ctx: MinuteContext): number {
    const { residuals, state, models, at } = ctx
    const ewma = state.values
    const e = state.ewmaAt
    let z = 0
    for (let f = 0; f < FEATURE_COUNT; f++) {
      if (f === CVR) continue
      const r = residuals[at + f] as number
      if (!Number.isNaN(r)) ewma[e + f] = (1 - EWMA_LAMBDA) * (ewma[e + f] as number) + EWMA_LAMBDA * clamp(r, -EWMA_CLIP, EWMA_CLIP)
      const d = Math.abs(((ewma[e + f] as number) - models.baseline.ewmaCenter(f)) / models.baseline.ewmaScale(f))
      if (d > z) z = d
    }
    return z
  }

  explain(ctx: MinuteContext): Explanation {
    const { state, models } = ctx
    const ewma = state.ewma
    let f = 0
    let best = -1
    for (let k = 0; k < ewma.length; k++) {
      if (k === CVR) continue
      const d = Math.abs(((ewma[k] as number) - models.baseline.ewmaCenter(k)) / models.baseline.ewmaScale(k))
      if (d > best) {
        best = d
        f = k
      }
    }
    const expected = models.baseline.expected(f, ctx.minuteMs)
    const actual = actualOf(ctx, f)
    const direction = (ewma[f] as number) > models.baseline.ewmaCenter(f) ? 'up' : 'down'
    const text = `${FEATURES[f]} drifting ${direction}: ${formatFeature(f, actual)} vs ${formatFeature(f, expected)} usual; its recent average is ${best.toFixed(1)}× its usual spread`
    return { feature: FEATURES[f] as string, expected, actual, text }
  }
}
