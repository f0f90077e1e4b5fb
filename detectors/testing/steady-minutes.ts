import type { EntityHistory } from '../baseline.ts'
import { MINUTE_STRIDE } from '../features.ts'
import { createSeededRandom, type SeededRandom } from '../random.ts'

/**
 * A small, fast generator of one entity's minute series for unit tests: impressions are
 * Poisson around a daily curve, clicks Poisson at the CTR, spend is CPM on impressions plus
 * CPC on clicks with some noise, conversions Poisson at the conversion rate. Deterministic
 * by seed. (The benchmark and integration test use the producer's own traffic instead.)
 */

/** The entity's economics. */
export interface SteadyOptions {
  readonly seed: number
  readonly startMs: number
  readonly minutes: number
  /** Mean impressions per minute over the day. */
  readonly impressionsPerMin: number
  readonly ctr: number
  readonly cpm: number
  readonly cpc: number
  readonly cvr: number
  /** Multiplies the day curve (default 0.6): 0 is flat. */
  readonly dayAmplitude?: number
}

/** Draws a Poisson count (normal approximation above 50). */
export function poisson(rng: SeededRandom, lambda: number): number {
  if (!(lambda > 0)) return 0
  if (lambda > 50) {
    let u = 0
    while (u === 0) u = rng.next()
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next())
    return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * z))
  }
  const limit = Math.exp(-lambda)
  let k = 0
  let p = rng.next()
  while (p > limit) {
    k++
    p *= rng.next()
  }
  return k
}

/** Fills minute `k` of `out` as the entity would spend it. */
export function drawMinute(rng: SeededRandom, o: SteadyOptions, minuteMs: number, out: Float64Array, k: number, scale = { volume: 1, cpc: 1 }): void {
  const hour = (minuteMs / 3_600_000) % 24
  const curve = 1 + (o.dayAmplitude ?? 0.6) * Math.sin(((hour - 8) / 24) * 2 * Math.PI)
  const impressions = poisson(rng, o.impressionsPerMin * curve * scale.volume)
  const clicks = poisson(rng, impressions * o.ctr)
  const spend = (impressions * o.cpm) / 1000 * (0.95 + 0.1 * rng.next()) + clicks * o.cpc * scale.cpc * (0.9 + 0.2 * rng.next())
  const b = k * MINUTE_STRIDE
  out[b] = impressions
  out[b + 1] = clicks
  out[b + 2] = spend
  out[b + 3] = poisson(rng, clicks * o.cvr)
}

/** A whole history of `minutes` minutes from `startMs`. */
export function steadyHistory(entity: string, o: SteadyOptions): EntityHistory {
  const rng = createSeededRandom(o.seed)
  const minutes = new Float64Array(o.minutes * MINUTE_STRIDE)
  for (let k = 0; k < o.minutes; k++) drawMinute(rng, o, o.startMs + k * 60_000, minutes, k)
  return { entity, account: 'act_1', startMs: o.startMs, minutes }
}

/** Options of a busy campaign: ~2,000 impressions a minute, 1 % CTR. */
export function busyCampaign(seed: number, startMs: number, minutes: number): SteadyOptions {
  return { seed, startMs, minutes, impressionsPerMin: 2_000, ctr: 0.01, cpm: 8, cpc: 0.6, cvr: 0.04 }
}
