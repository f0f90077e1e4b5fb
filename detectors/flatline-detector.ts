import type { EntityDetector, Explanation, MinuteContext } from './detector.ts'
import { formatFeature } from './explain-format.ts'
import { zFromLogTail } from './stats.ts'

/**
 * Flatline and no-data: runs of minutes that should not happen.
 * - Spend stopped (or no data at all): each zero-spend minute multiplies the run's chance by
 *   this hour's historical zero-spend share; the verdict is the normal z of that chance.
 * - Impressions but no clicks, or clicks stopped while spend goes on: over a click-less run,
 *   the clicks expected from its impressions (at this hour's CTR) or its spend (at this
 *   hour's clicks per unit spent), whichever is larger; zero clicks has Poisson chance e^(−λ).
 * - Conversions stopped while clicks go on: the same, with the conversions this hour's
 *   conversion rate expects from the run's clicks.
 */
export class FlatlineDetector implements EntityDetector {
  readonly name = 'flatline' as const

  assess(ctx: MinuteContext): number {
    const { minute: m, state: s, models, minuteMs } = ctx
    const b = models.baseline
    if (m.spend === 0) {
      s.zeroSpendRun++
      s.zeroSpendLogChance += Math.log(b.zeroSpendChance(minuteMs))
      s.zeroSpendSilent &&= m.impressions === 0 && m.clicks === 0 && m.conversions === 0
      s.zeroSpendExpected += b.expected(0, minuteMs)
    } else {
      s.zeroSpendRun = 0
      s.zeroSpendLogChance = 0
      s.zeroSpendSilent = true
      s.zeroSpendExpected = 0
    }
    if (m.clicks === 0 && (m.impressions > 0 || m.spend > 0)) {
      s.clicklessRun++
      s.clicklessExpected += Math.max(m.impressions * b.clicksPerImpression(minuteMs), m.spend * b.clicksPerSpend(minuteMs))
      s.clicklessImpressions += m.impressions
      s.clicklessSpend += m.spend
    } else {
      s.clicklessRun = 0
      s.clicklessExpected = 0
      s.clicklessImpressions = 0
      s.clicklessSpend = 0
    }
    if (m.conversions === 0 && m.clicks > 0) {
      s.conversionlessRun++
      s.conversionlessClicks += m.clicks
      s.conversionlessExpected += m.clicks * b.conversionsPerClick(minuteMs)
    } else if (m.conversions > 0) {
      s.conversionlessRun = 0
      s.conversionlessClicks = 0
      s.conversionlessExpected = 0
    }
    return Math.max(this.stopZ(ctx), this.clicklessZ(ctx), this.conversionlessZ(ctx), 0)
  }

  explain(ctx: MinuteContext): Explanation {
    const s = ctx.state
    const stop = this.stopZ(ctx)
    const clickless = this.clicklessZ(ctx)
    if (this.conversionlessZ(ctx) > Math.max(stop, clickless)) {
      const expected = s.conversionlessExpected
      return { feature: 'conversions', expected, actual: 0, text: `conversions stopped while clicks go on: ${Math.round(s.conversionlessClicks).toLocaleString('en-US')} clicks and 0 conversions in ${s.conversionlessRun} min (${expected.toFixed(0)} conversions usual)` }
    }
    if (stop >= clickless) {
      const perMin = s.zeroSpendExpected / Math.max(1, s.zeroSpendRun)
      const what = s.zeroSpendSilent ? `no data for ${s.zeroSpendRun} min` : `spend stopped for ${s.zeroSpendRun} min`
      return { feature: 'spend', expected: perMin, actual: 0, text: `${what} (usual spend ${formatFeature(0, perMin)} at this hour)` }
    }
    const expected = s.clicklessExpected
    const text = s.clicklessImpressions > 0
      ? `impressions but no clicks: ${Math.round(s.clicklessImpressions).toLocaleString('en-US')} impressions and 0 clicks in ${s.clicklessRun} min (${expected.toFixed(0)} clicks usual)`
      : `clicks stopped while spend goes on: ${s.clicklessSpend.toFixed(2)} spent and 0 clicks in ${s.clicklessRun} min (${expected.toFixed(0)} clicks usual)`
    return { feature: 'clicks', expected, actual: 0, text }
  }

  private stopZ(ctx: MinuteContext): number {
    return ctx.state.zeroSpendRun > 0 ? zFromLogTail(ctx.state.zeroSpendLogChance) : 0
  }

  private conversionlessZ(ctx: MinuteContext): number {
    return ctx.state.conversionlessRun > 0 && ctx.state.conversionlessExpected > 0 ? zFromLogTail(-ctx.state.conversionlessExpected) : 0
  }

  private clicklessZ(ctx: MinuteContext): number {
    return ctx.state.clicklessRun > 0 && ctx.state.clicklessExpected > 0 ? zFromLogTail(-ctx.state.clicklessExpected) : 0
  }
}
