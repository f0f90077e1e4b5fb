import {
  computeFeatures, FEATURE_COUNT, fitPriceModel, hourOfDay, hourOfWeek, MINUTE_STRIDE, MinuteWindow, VOLUME_COUNT,
} from './features.ts'
import {
  EntityBaseline, EWMA_CLIP, EWMA_LAMBDA, EWMA_LEN, IFOREST_DIMS, MIN_ACTIVE_MINUTES, MIN_SLOT_SAMPLES, minuteAt, RATIO_COUNT, RATIO_LEN, VOLUME_LEN,
  writeForestRow, FLAT_LEN, type EntityHistory,
} from './baseline.ts'
import { clamp, quantileSorted, robustSummary } from './stats.ts'

/**
 * Learning an entity's baseline (see baseline.ts) from its minute history, in three passes:
 * features of every minute, then robust slot statistics widened for heavy tails, then the
 * residuals that give the EWMA's usual range and the isolation-forest rows. Pure.
 */

const EWMA_WARMUP_MIN = 20

/** A trained baseline and the entity's history as isolation-forest input rows. */
export interface TrainedBaseline {
  readonly baseline: EntityBaseline
  /** Row-major IFOREST_DIMS values per active minute. */
  readonly vectors: Float64Array
}

/**
 * Learns an entity's baseline from its history, starting at its first active minute.
 * Returns undefined when it has fewer than MIN_ACTIVE_MINUTES active minutes.
 */
export function trainBaseline(h: EntityHistory): TrainedBaseline | undefined {
  const total = Math.floor(h.minutes.length / MINUTE_STRIDE)
  let first = -1
  let active = 0
  for (let k = 0; k < total; k++) {
    const b = k * MINUTE_STRIDE
    if ((h.minutes[b] as number) + (h.minutes[b + 1] as number) + (h.minutes[b + 2] as number) + (h.minutes[b + 3] as number) > 0) {
      if (first < 0) first = k
      active++
    }
  }
  if (first < 0 || active < MIN_ACTIVE_MINUTES) return undefined
  const n = total - first
  const price = fitPriceModel(h.minutes, first, total)

  // Pass 1: features of every minute.
  const feats = new Float64Array(n * FEATURE_COUNT)
  const dens = new Float64Array(n * FEATURE_COUNT)
  const window = new MinuteWindow()
  const f1 = new Float64Array(FEATURE_COUNT)
  const d1 = new Float64Array(FEATURE_COUNT)
  for (let k = 0; k < n; k++) {
    const m = minuteAt(h.minutes, first + k)
    window.push(m.impressions, m.clicks, m.spend, m.conversions)
    computeFeatures(m, window, price, f1, d1)
    feats.set(f1, k * FEATURE_COUNT)
    dens.set(d1, k * FEATURE_COUNT)
  }
  const startMs = h.startMs + first * 60_000

  // Minute indexes by hour of week and hour of day, so each slot is summarised from its own list.
  const byHow = groupIndexes(n, 168, (k) => hourOfWeek(startMs + k * 60_000))
  const byHodIdx = groupIndexes(n, 24, (k) => hourOfDay(startMs + k * 60_000))
  const all = Int32Array.from({ length: n }, (_, k) => k)

  // Volume slots by hour of week, falling back to hour of day, then to all minutes. A slot's
  // scale never drops below a quarter of the typical slot's (a night of zeros is not certainty),
  // nor, for counts, below 0.5 (the spread of a Poisson count's square root).
  const volume = new Float32Array(VOLUME_LEN)
  const buf = new Float64Array(n)
  for (let f = 0; f < VOLUME_COUNT; f++) {
    const global = summarize(feats, all, f, buf)
    const byHod = byHodIdx.map((idx) => summarize(feats, idx, f, buf))
    const slots = Array.from({ length: 168 }, (_, how) => {
      let s = summarize(feats, byHow[how] as Int32Array, f, buf)
      if (s.count < MIN_SLOT_SAMPLES) s = byHod[how % 24] as Summary
      if (s.count < MIN_SLOT_SAMPLES) s = global
      return s
    })
    const floor = Math.max(1e-6, 0.25 * typicalScale(slots), f === 0 ? 0 : 0.5)
    slots.forEach((s, how) => {
      volume[(how * VOLUME_COUNT + f) * 2] = s.median
      volume[(how * VOLUME_COUNT + f) * 2 + 1] = Math.max(floor, s.scale)
    })
  }

  // Ratio slots by hour of day, falling back to all minutes (NaN, the undefined ratios, are skipped).
  const ratio = new Float32Array(RATIO_LEN)
  for (let r = 0; r < RATIO_COUNT; r++) {
    const f = VOLUME_COUNT + r
    const global = summarize(feats, all, f, buf)
    const globalBase = summarize(dens, all, f, buf, feats)
    const slots = byHodIdx.map((idx) => {
      const s = summarize(feats, idx, f, buf)
      return s.count < MIN_SLOT_SAMPLES ? global : s
    })
    const floor = Math.max(0.02, 0.25 * typicalScale(slots))
    slots.forEach((s, hod) => {
      const k = (hod * RATIO_COUNT + r) * 3
      // An entity that never had this ratio gets a wide scale: no alerts from it.
      ratio[k] = s.count > 0 ? s.median : 0
      ratio[k + 1] = s.count > 0 ? Math.max(floor, s.scale) : 1e3
      ratio[k + 2] = globalBase.count > 0 ? globalBase.median : 0
    })
  }

  // Flatline inputs per hour of day.
  const flat = new Float32Array(FLAT_LEN)
  const tot = { i: 0, c: 0, s: 0, v: 0 }
  const perHod = Array.from({ length: 24 }, () => ({ minutes: 0, zero: 0, i: 0, c: 0, s: 0, v: 0 }))
  for (let k = 0; k < n; k++) {
    const m = minuteAt(h.minutes, first + k)
    const p = perHod[hourOfDay(startMs + k * 60_000)]!
    p.minutes++
    if (m.spend === 0) p.zero++
    p.i += m.impressions
    p.c += m.clicks
    p.s += m.spend
    p.v += m.conversions
    tot.i += m.impressions
    tot.c += m.clicks
    tot.s += m.spend
    tot.v += m.conversions
  }
  const zeroTotal = perHod.reduce((sum, p) => sum + p.zero, 0)
  for (let hod = 0; hod < 24; hod++) {
    const p = perHod[hod]!
    // An hour with too little history borrows the chance of zero-spend minutes from all hours.
    flat[hod * 4] = p.minutes >= MIN_SLOT_SAMPLES ? (p.zero + 0.5) / (p.minutes + 1) : (zeroTotal + 0.5) / (n + 1)
    flat[hod * 4 + 1] = p.i > 0 ? p.c / p.i : tot.i > 0 ? tot.c / tot.i : 0
    flat[hod * 4 + 2] = p.s > 0 ? p.c / p.s : tot.s > 0 ? tot.c / tot.s : 0
    flat[hod * 4 + 3] = p.c > 0 ? p.v / p.c : tot.c > 0 ? tot.v / tot.c : 0
  }

  // Pass 2: widen each feature's scales, per hour of day, by how much heavier than normal
  // its residuals' tails are there (the 2.5 % and 97.5 % quantiles should sit at ±1.96σ):
  // spend adjustments and bursts at quiet hours make tails heavier than a median-based scale
  // implies. Those quantiles stay robust to an anomaly filling 2 % of an hour's history.
  const partial = new EntityBaseline(h.entity, h.account, startMs, h.startMs + total * 60_000, active, price, volume, ratio, flat, new Float32Array(EWMA_LEN))
  const res = new Float64Array(FEATURE_COUNT)
  const pooled = Array.from({ length: 24 * FEATURE_COUNT }, (_, i) => new Float64Array((byHodIdx[Math.floor(i / FEATURE_COUNT)] as Int32Array).length))
  const pooledCount = new Int32Array(24 * FEATURE_COUNT)
  for (let k = 0; k < n; k++) {
    const minuteMs = startMs + k * 60_000
    partial.residuals(minuteMs, feats.subarray(k * FEATURE_COUNT, (k + 1) * FEATURE_COUNT), dens.subarray(k * FEATURE_COUNT, (k + 1) * FEATURE_COUNT), res)
    const hod = hourOfDay(minuteMs)
    for (let f = 0; f < FEATURE_COUNT; f++) {
      const z = res[f] as number
      if (!Number.isNaN(z)) (pooled[hod * FEATURE_COUNT + f] as Float64Array)[pooledCount[hod * FEATURE_COUNT + f]!++] = z
    }
  }
  for (let hod = 0; hod < 24; hod++) {
    for (let f = 0; f < FEATURE_COUNT; f++) {
      const i = hod * FEATURE_COUNT + f
      const sorted = (pooled[i] as Float64Array).subarray(0, pooledCount[i]).sort()
      if (sorted.length < MIN_SLOT_SAMPLES) continue
      const widen = Math.max(1, (quantileSorted(sorted, 0.975) - quantileSorted(sorted, 0.025)) / (2 * 1.96))
      if (f < VOLUME_COUNT) for (let how = hod; how < 168; how += 24) volume[(how * VOLUME_COUNT + f) * 2 + 1] = (volume[(how * VOLUME_COUNT + f) * 2 + 1] as number) * widen
      else ratio[(hod * RATIO_COUNT + f - VOLUME_COUNT) * 3 + 1] = (ratio[(hod * RATIO_COUNT + f - VOLUME_COUNT) * 3 + 1] as number) * widen
    }
  }

  // Pass 3: residuals → EWMA range and isolation-forest rows.
  const widened = new EntityBaseline(h.entity, h.account, startMs, h.startMs + total * 60_000, active, price, volume, ratio, flat, new Float32Array(EWMA_LEN))
  const ewma = new Float64Array(FEATURE_COUNT)
  const ewmaSeries = Array.from({ length: FEATURE_COUNT }, () => new Float64Array(n))
  const ewmaCount = new Int32Array(FEATURE_COUNT)
  const vectors = new Float64Array(n * IFOREST_DIMS)
  let rows = 0
  for (let k = 0; k < n; k++) {
    const minuteMs = startMs + k * 60_000
    widened.residuals(minuteMs, feats.subarray(k * FEATURE_COUNT, (k + 1) * FEATURE_COUNT), dens.subarray(k * FEATURE_COUNT, (k + 1) * FEATURE_COUNT), res)
    for (let f = 0; f < FEATURE_COUNT; f++) {
      const z = res[f] as number
      if (Number.isNaN(z)) continue
      ewma[f] = (1 - EWMA_LAMBDA) * (ewma[f] as number) + EWMA_LAMBDA * clamp(z, -EWMA_CLIP, EWMA_CLIP)
      if (k >= EWMA_WARMUP_MIN) (ewmaSeries[f] as Float64Array)[ewmaCount[f]!++] = ewma[f] as number
    }
    const b = (first + k) * MINUTE_STRIDE
    const isActive = (h.minutes[b] as number) + (h.minutes[b + 1] as number) + (h.minutes[b + 2] as number) > 0
    if (isActive) writeForestRow(res, vectors, rows++ * IFOREST_DIMS)
  }
  const ewmaRange = new Float32Array(EWMA_LEN)
  const ewmaFloor = 0.5 * Math.sqrt(EWMA_LAMBDA / (2 - EWMA_LAMBDA))
  for (let f = 0; f < FEATURE_COUNT; f++) {
    const s = robustSummary(ewmaSeries[f] as Float64Array, ewmaCount[f])
    ewmaRange[f * 2] = s.count > 0 ? s.median : 0
    ewmaRange[f * 2 + 1] = s.count > 0 ? Math.max(ewmaFloor, s.scale) : 1e3
  }
  const baseline = new EntityBaseline(h.entity, h.account, startMs, h.startMs + total * 60_000, active, price, volume, ratio, flat, ewmaRange)
  return { baseline, vectors: vectors.subarray(0, rows * IFOREST_DIMS) }
}

interface Summary {
  readonly median: number
  readonly scale: number
  readonly count: number
}

/** Robust summary of feature `f` over the minutes in `idx`, skipping minutes where `definedBy` (default `values`) is NaN. */
function summarize(values: Float64Array, idx: Int32Array, f: number, buf: Float64Array, definedBy: Float64Array = values): Summary {
  let m = 0
  for (let j = 0; j < idx.length; j++) {
    const at = (idx[j] as number) * FEATURE_COUNT + f
    if (Number.isNaN(definedBy[at] as number)) continue
    buf[m++] = values[at] as number
  }
  return robustSummary(buf, m)
}

/** Median scale of the slots that have data (0 when none has). */
function typicalScale(slots: readonly Summary[]): number {
  const scales = Float64Array.from(slots.filter((s) => s.count > 0 && Number.isFinite(s.scale)), (s) => s.scale).sort()
  return scales.length > 0 ? quantileSorted(scales, 0.5) : 0
}

function groupIndexes(n: number, slots: number, slotOf: (k: number) => number): Int32Array[] {
  const counts = new Int32Array(slots)
  const slot = new Int32Array(n)
  for (let k = 0; k < n; k++) {
    slot[k] = slotOf(k)
    counts[slot[k] as number]!++
  }
  const out = Array.from(counts, (c) => new Int32Array(c))
  const fill = new Int32Array(slots)
  for (let k = 0; k < n; k++) {
    const s = slot[k] as number
    ;(out[s] as Int32Array)[fill[s]!++] = k
  }
  return out
}
