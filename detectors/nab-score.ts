/**
 * Numenta Anomaly Benchmark scoring (numenta/NAB `sweeper.py`), reimplemented: every row
 * gets a weight — inside a labelled window a scaled sigmoid from about +1 at the window's
 * start to 0 at its end, outside one the profile's false-positive weight (milder just after
 * a window); the first 15 % of a file (at most 750 rows) is probationary and not scored.
 * At a threshold, each window counts its best (earliest) detection or −fnWeight when missed,
 * each detection outside windows adds its negative weight; the score is normalised so a
 * detector that never fires scores 0 and a perfect one 100. As in NAB, one threshold per
 * detector is chosen to maximise the score over the whole corpus. Pure.
 */

/** NAB's standard profile. */
export const STANDARD_PROFILE = { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 } as const
/** A cost profile. */
export type NabProfile = { readonly tpWeight: number; readonly fpWeight: number; readonly fnWeight: number }

/** One scored file: timestamps (ascending), the detector's scores, and its labelled windows. */
export interface NabFile {
  readonly name: string
  readonly group: string
  readonly timestampsMs: Float64Array
  readonly scores: Float64Array
  readonly windows: ReadonlyArray<{ readonly startMs: number; readonly endMs: number }>
}

/** The sweep weight of each row and the window it is in (−1 none; rows in probation are dropped). */
export interface SweptFile {
  readonly file: NabFile
  /** Indexes of the scorable (non-probationary) rows. */
  readonly rows: Int32Array
  readonly weights: Float64Array
  /** Window index of each scorable row, −1 outside windows. */
  readonly windowOf: Int32Array
  /** Windows with at least one scorable row (the ones that count). */
  readonly countedWindows: number
}

/** NAB's scaled sigmoid of a relative position: +0.987 at a window's left edge, 0 at its right, −1 far past it. */
export function scaledSigmoid(position: number): number {
  if (position >= 3) return -1
  return 2 / (1 + Math.exp(5 * position)) - 1
}

/** NAB's probationary length: min(floor(0.15 · rows), 0.15 · 5000). */
export function probationaryLength(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 0.15 * 5000)
}

/** Computes the sweep weights of a file's rows (NAB `calcSweepScore`). */
export function sweepFile(file: NabFile, profile: NabProfile = STANDARD_PROFILE): SweptFile {
  const n = file.timestampsMs.length
  const maxTp = scaledSigmoid(-1)
  const probation = probationaryLength(n)
  const windows = [...file.windows].sort((a, b) => a.startMs - b.startMs)
  const rows: number[] = []
  const weights: number[] = []
  const windowOf: number[] = []
  const counted = new Set<number>()
  let next = 0
  let cur = -1
  let curRight = -1
  let curWidth = 0
  let prevRight = -1
  let prevWidth = 0
  for (let i = 0; i < n; i++) {
    const ts = file.timestampsMs[i] as number
    if (cur < 0 && next < windows.length && ts >= (windows[next] as { startMs: number }).startMs) {
      const w = windows[next] as { startMs: number; endMs: number }
      let right = i
      while (right + 1 < n && (file.timestampsMs[right + 1] as number) <= w.endMs) right++
      cur = next++
      curRight = right
      curWidth = right - i + 1
    }
    let weight: number
    if (cur >= 0) {
      weight = (scaledSigmoid(-(curRight - i + 1) / curWidth) * profile.tpWeight) / maxTp
    } else {
      const position = prevRight < 0 ? 3 : Math.abs(prevRight - i) / Math.max(1, prevWidth - 1)
      weight = scaledSigmoid(position) * profile.fpWeight
    }
    if (i >= probation) {
      rows.push(i)
      weights.push(weight)
      windowOf.push(cur)
      if (cur >= 0) counted.add(cur)
    }
    if (cur >= 0 && i === curRight) {
      prevRight = curRight
      prevWidth = curWidth
      cur = -1
    }
  }
  return { file, rows: Int32Array.from(rows), weights: Float64Array.from(weights), windowOf: Int32Array.from(windowOf), countedWindows: counted.size }
}

/** What a threshold gives on a set of files. */
export interface NabResult {
  readonly threshold: number
  /** Raw NAB score, and those of the null (never fires) and perfect detectors. */
  readonly raw: number
  readonly nullScore: number
  readonly perfect: number
  /** 100 · (raw − null) / (perfect − null); NaN when the files have no windows. */
  readonly normalized: number
  readonly windows: number
  readonly windowsDetected: number
  /** Detections: runs of consecutive rows at or above the threshold, and those that start inside a window. */
  readonly detections: number
  readonly detectionsInWindows: number
  readonly precision: number
  readonly recall: number
}

/** Scores swept files at a threshold (a row detects when its score ≥ threshold). */
export function scoreAtThreshold(files: readonly SweptFile[], threshold: number, profile: NabProfile = STANDARD_PROFILE): NabResult {
  let raw = 0
  let windows = 0
  let detected = 0
  let detections = 0
  let inWindows = 0
  for (const f of files) {
    windows += f.countedWindows
    const best = new Map<number, number>()
    let above = false
    for (let k = 0; k < f.rows.length; k++) {
      const score = f.file.scores[f.rows[k] as number] as number
      const hit = score >= threshold
      const w = f.windowOf[k] as number
      if (hit) {
        if (w >= 0) best.set(w, Math.max(best.get(w) ?? -Infinity, f.weights[k] as number))
        else raw += f.weights[k] as number
        if (!above) {
          detections++
          if (w >= 0) inWindows++
        }
      }
      above = hit
    }
    for (const v of best.values()) raw += v
    raw -= profile.fnWeight * (f.countedWindows - best.size)
    detected += best.size
  }
  const nullScore = -profile.fnWeight * windows
  const perfect = profile.tpWeight * windows
  return {
    threshold,
    raw,
    nullScore,
    perfect,
    normalized: windows > 0 ? (100 * (raw - nullScore)) / (perfect - nullScore) : NaN,
    windows,
    windowsDetected: detected,
    detections,
    detectionsInWindows: inWindows,
    precision: detections > 0 ? inWindows / detections : NaN,
    recall: windows > 0 ? detected / windows : NaN,
  }
}

/**
 * The threshold that maximises the raw score over all files (NAB's threshold optimisation),
 * found exactly: every distinct score is a candidate, swept from the highest down with the
 * score updated incrementally.
 */
export function optimizeThreshold(files: readonly SweptFile[], profile: NabProfile = STANDARD_PROFILE): { threshold: number; raw: number } {
  const points: Array<{ score: number; weight: number; window: number }> = []
  let windowBase = 0
  let windows = 0
  for (const f of files) {
    for (let k = 0; k < f.rows.length; k++) {
      const w = f.windowOf[k] as number
      points.push({ score: f.file.scores[f.rows[k] as number] as number, weight: f.weights[k] as number, window: w >= 0 ? windowBase + w : -1 })
    }
    windowBase += f.file.windows.length
    windows += f.countedWindows
  }
  points.sort((a, b) => b.score - a.score)
  const best = new Map<number, number>()
  let fp = 0
  let tpSum = 0
  let bestRaw = -profile.fnWeight * windows
  let bestThreshold = Infinity
  for (let i = 0; i < points.length; ) {
    const score = (points[i] as { score: number }).score
    for (; i < points.length && (points[i] as { score: number }).score === score; i++) {
      const p = points[i] as { weight: number; window: number }
      if (p.window < 0) fp += p.weight
      else {
        const old = best.get(p.window)
        if (old === undefined || p.weight > old) {
          tpSum += p.weight - (old ?? 0)
          best.set(p.window, p.weight)
        }
      }
    }
    const raw = fp + tpSum - profile.fnWeight * (windows - best.size)
    if (raw > bestRaw) {
      bestRaw = raw
      bestThreshold = score
    }
  }
  return { threshold: bestThreshold, raw: bestRaw }
}
