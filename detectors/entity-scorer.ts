import type { BatchItem, EntityDetector, EntityModels, EntityState, Explanation, MinuteContext } from './detector.ts'
import { computeFeatures, FEATURE_COUNT, type Minute } from './features.ts'
import { zToScore } from './stats.ts'

/**
 * Scores minutes of entities with a set of detectors. Pure. A batch holds one minute of each
 * of many entities (the runner's tick: the minute that just closed, for every active entity);
 * features and residuals go into buffers reused from batch to batch, and detectors that can
 * judge a whole batch at once (the isolation forest) do. Explain a batch's verdicts before
 * scoring the next batch.
 */
export class EntityScorer {
  private features = new Float64Array(0)
  private bases = new Float64Array(0)
  private residuals = new Float64Array(0)
  private z = new Float64Array(0)
  private contexts: MinuteContext[] = []

  constructor(readonly detectors: readonly EntityDetector[]) {}

  /**
   * Pushes each item's minute into its entity's state and writes the detectors' scores (0–1)
   * into `scores`, item by item, detector order within an item. Each entity's minutes must
   * come in order, gaps filled with zero minutes.
   */
  scoreBatch(items: readonly BatchItem[], scores: Float64Array): void {
    const n = items.length
    const d = this.detectors.length
    this.ensure(n)
    const contexts: MinuteContext[] = new Array(n)
    for (let i = 0; i < n; i++) {
      const { models, state, minuteMs, minute } = items[i] as BatchItem
      state.window.push(minute.impressions, minute.clicks, minute.spend, minute.conversions)
      state.lastMinuteMs = minuteMs
      const at = i * FEATURE_COUNT
      computeFeatures(minute, state.window, models.baseline.price, this.features, this.bases, at)
      models.baseline.residuals(minuteMs, this.features, this.bases, this.residuals, at)
      contexts[i] = { minuteMs, minute, models, state, features: this.features, residuals: this.residuals, at, index: i }
    }
    this.contexts = contexts
    for (let k = 0; k < d; k++) {
      const detector = this.detectors[k] as EntityDetector
      if (detector.assessMany !== undefined) {
        detector.assessMany(contexts, this.z)
        for (let i = 0; i < n; i++) scores[i * d + k] = zToScore(this.z[i] as number)
      } else {
        for (let i = 0; i < n; i++) scores[i * d + k] = zToScore(detector.assess(contexts[i] as MinuteContext))
      }
    }
  }

  /** Scores one minute of one entity (a batch of one). */
  score(models: EntityModels, state: EntityState, minuteMs: number, minute: Minute, scores: Float64Array): void {
    this.scoreBatch([{ models, state, minuteMs, minute }], scores)
  }

  /** Why detector `detector` scored item `item` of the last batch as it did. */
  explain(detector: number, item = 0): Explanation {
    const ctx = this.contexts[item]
    if (ctx === undefined) throw new Error(`explain: no item ${item} in the last batch`)
    return (this.detectors[detector] as EntityDetector).explain(ctx)
  }

  private ensure(n: number): void {
    if (this.z.length >= n) return
    const size = Math.max(n, 2 * this.z.length)
    this.features = new Float64Array(size * FEATURE_COUNT)
    this.bases = new Float64Array(size * FEATURE_COUNT)
    this.residuals = new Float64Array(size * FEATURE_COUNT)
    this.z = new Float64Array(size)
  }
}
