import type { Level } from '../stream/event.ts'
import { minuteAt } from './baseline.ts'
import { EntityState, type EntityDetector } from './detector.ts'
import { EntityScorer } from './entity-scorer.ts'
import type { JudgedFinding } from './evaluation.ts'
import { MINUTE_STRIDE } from './features.ts'
import { modelsForEntity, type LevelModels } from './training.ts'

/**
 * Replays dense minute series through the detectors, minute by minute as the runner would
 * (each minute judged when it closes, with only the minutes before it known), and returns
 * the findings above the threshold. Used by the benchmark and to backtest detectors. Pure.
 */

/** A series of one entity: consecutive minutes from `startMs`, stride MINUTE_STRIDE. */
export interface ReplaySeries {
  readonly entity: string
  readonly account: string
  readonly startMs: number
  readonly minutes: Float64Array
}

/** What to replay. */
export interface ReplayOptions {
  readonly tenant: string
  readonly level: Level
  readonly models: LevelModels
  readonly series: readonly ReplaySeries[]
  /** Minutes in [fromMs, toMs) are judged; the `warmupMin` before fromMs only feed state. */
  readonly fromMs: number
  readonly toMs: number
  readonly warmupMin: number
  readonly detectors: readonly EntityDetector[]
  readonly threshold: number
  /** A minute is judged this long after it ends (the runner's close lag). */
  readonly closeLagMs: number
}

/** A finding of a replay, with its score and explanation. */
export interface ReplayFinding extends JudgedFinding {
  readonly score: number
  readonly explanation: string
}

/** Replays the series; entities without a baseline are skipped (and counted). */
export function replaySeries(o: ReplayOptions): { findings: ReplayFinding[]; entityMinutes: number; skipped: number } {
  const scorer = new EntityScorer(o.detectors)
  const scores = new Float64Array(o.detectors.length)
  const findings: ReplayFinding[] = []
  let entityMinutes = 0
  let skipped = 0
  for (const s of o.series) {
    const models = modelsForEntity(o.models, s.entity)
    if (models === undefined) {
      skipped++
      continue
    }
    const state = new EntityState(s.account)
    const total = s.minutes.length / MINUTE_STRIDE
    const from = Math.max(0, Math.floor((o.fromMs - s.startMs) / 60_000) - o.warmupMin)
    const to = Math.min(total, Math.floor((o.toMs - s.startMs) / 60_000))
    for (let k = from; k < to; k++) {
      const minuteMs = s.startMs + k * 60_000
      scorer.score(models, state, minuteMs, minuteAt(s.minutes, k), scores)
      if (minuteMs < o.fromMs) continue
      entityMinutes++
      for (let i = 0; i < o.detectors.length; i++) {
        const score = scores[i] as number
        if (score < o.threshold) continue
        const why = scorer.explain(i)
        findings.push({
          detector: (o.detectors[i] as EntityDetector).name,
          tenant: o.tenant,
          level: o.level,
          entity: s.entity,
          account: s.account,
          atMs: minuteMs,
          detectedAtMs: minuteMs + 60_000 + o.closeLagMs,
          score,
          explanation: why.text,
        })
      }
    }
  }
  return { findings, entityMinutes, skipped }
}
