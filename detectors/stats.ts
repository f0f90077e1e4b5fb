/**
 * Robust statistics and the one mapping from a detector's evidence to a score in [0, 1].
 * Every detector reduces what it saw to an equivalent z (standard deviations of a normal
 * tail), so one per-tenant threshold means the same thing for all of them.
 */

/** z at which a score is 0.5; the score is z² / (z² + Z_HALF²), so 0.8 at 6σ and 0.9 at 9σ. */
export const Z_HALF = 3

/** Maps an equivalent z (≥ 0 means unusual) to a score in [0, 1); 0 for z ≤ 0 or NaN. */
export function zToScore(z: number): number {
  if (!(z > 0)) return 0
  if (!Number.isFinite(z)) return 1
  const z2 = z * z
  return z2 / (z2 + Z_HALF * Z_HALF)
}

/** The equivalent z of a score (inverse of zToScore), for explanations and docs. */
export function scoreToZ(score: number): number {
  if (!(score > 0)) return 0
  if (score >= 1) return Infinity
  return Z_HALF * Math.sqrt(score / (1 - score))
}

/** The value at quantile q (0–1) of ascending `sorted`, interpolating linearly. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length
  if (n === 0) return NaN
  const pos = (n - 1) * Math.min(1, Math.max(0, q))
  const lo = Math.floor(pos)
  const hi = Math.min(n - 1, lo + 1)
  const a = sorted[lo] as number
  const b = sorted[hi] as number
  return a + (b - a) * (pos - lo)
}

/** Median of the first `n` values (a copy is sorted; the input is left alone). */
export function median(values: ArrayLike<number>, n = values.length): number {
  if (n === 0) return NaN
  const copy = Float64Array.from({ length: n }, (_, i) => values[i] as number).sort()
  return quantileSorted(copy, 0.5)
}

/** Robust location and spread of a sample. */
export interface RobustSummary {
  readonly median: number
  /** max(1.4826 · MAD, (q95 − q05) / 3.29): σ for normal data, and not 0 for zero-inflated data. */
  readonly scale: number
  readonly count: number
}

/**
 * Median and robust scale of `values[0..n)`. The quantile spread keeps the scale honest when
 * more than half the sample is one value (night minutes of a small campaign are mostly 0).
 */
export function robustSummary(values: Float64Array, n = values.length): RobustSummary {
  if (n === 0) return { median: NaN, scale: NaN, count: 0 }
  const sorted = values.slice(0, n).sort()
  const med = quantileSorted(sorted, 0.5)
  const dev = new Float64Array(n)
  for (let i = 0; i < n; i++) dev[i] = Math.abs((sorted[i] as number) - med)
  dev.sort()
  const mad = quantileSorted(dev, 0.5)
  const spread = (quantileSorted(sorted, 0.95) - quantileSorted(sorted, 0.05)) / 3.29
  return { median: med, scale: Math.max(1.4826 * mad, spread), count: n }
}

/** Complementary error function (Numerical Recipes erfcc: relative error < 1.2e-7 everywhere). */
export function erfc(x: number): number {
  const z = Math.abs(x)
  const t = 1 / (1 + 0.5 * z)
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    )
  return x >= 0 ? r : 2 - r
}

/** Upper tail of the standard normal: P(Z > z). */
export function normalTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2)
}

/**
 * The z whose upper normal tail has natural log `logP` (≤ 0): the inverse of normalTail,
 * in log space so that probabilities far below 1e-300 (long zero runs) still map to a z.
 * Acklam's rational approximation (relative error under 1.2e-9) down to e^(−700), whose tail
 * branch needs only log p; below that, the asymptotic expansion refined by Newton steps.
 */
export function zFromLogTail(logP: number): number {
  if (!(logP < 0)) return logP === 0 ? -Infinity : NaN
  if (logP >= -700) return -acklam(Math.exp(logP), logP)
  const t = Math.sqrt(-2 * logP)
  let z = t - (Math.log(t * t) + Math.log(2 * Math.PI)) / (2 * t)
  for (let i = 0; i < 4; i++) {
    const logQ = logNormalTail(z)
    const logPdf = -0.5 * z * z - 0.5 * Math.log(2 * Math.PI)
    // d/dz log Q(z) = -φ(z)/Q(z)
    const step = (logQ - logP) / Math.exp(logPdf - logQ)
    z += step
    if (Math.abs(step) < 1e-10) break
  }
  return z
}

const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239] as const
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1] as const
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783] as const
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416] as const
const P_LOW = 0.02425

/** Φ⁻¹(p), the lower-tail normal quantile (Acklam), with log p given for the far tail. */
function acklam(p: number, logP: number): number {
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * logP)
    return (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1)
  }
  if (p <= 1 - P_LOW) {
    const q = p - 0.5
    const r = q * q
    return ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1)
  }
  const q = Math.sqrt(-2 * Math.log1p(-p))
  return -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1)
}

/** Natural log of P(Z > z), accurate in the far tail. */
export function logNormalTail(z: number): number {
  if (z < 5) return Math.log(normalTail(z))
  // Mills ratio continued fraction: Q(z) = φ(z) / (z + 1/(z + 2/(z + 3/(z + …)))).
  let cf = z
  for (let k = 40; k >= 1; k--) cf = z + k / cf
  return -0.5 * z * z - 0.5 * Math.log(2 * Math.PI) - Math.log(cf)
}

/** Clamps x into [lo, hi]. */
export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x
}

/**
 * How many σ a count of k successes in n trials sits from the rate p, as the signed root of
 * the binomial likelihood-ratio statistic with a half-count continuity correction: accurate
 * in the tails where a Wald z is not (0 of 32 at p = 0.14: −2.5, the exact tail's −2.4; 0 of
 * 100: −5.1 vs −5.0). 0 within half a count of n·p; NaN when n or p leaves nothing to test.
 */
export function binomialZ(k: number, n: number, p: number): number {
  if (!(n > 0 && p > 0 && p < 1)) return NaN
  const d = k - n * p
  if (Math.abs(d) <= 0.5) return 0
  const q = clamp((k - 0.5 * Math.sign(d)) / n, 0, 1)
  const kl = (q > 0 ? q * Math.log(q / p) : 0) + (q < 1 ? (1 - q) * Math.log((1 - q) / (1 - p)) : 0)
  return Math.sign(d) * Math.sqrt(2 * n * Math.max(0, kl))
}
