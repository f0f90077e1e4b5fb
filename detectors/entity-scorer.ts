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
  /** One context per item, reused from batch to batch (a tick of 10,000 entities allocates none); `count` of them are the last batch's. */
  private readonly contexts: BatchContext[] = []
  private count = 0

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
    const contexts = this.contexts
    while (contexts.length < n) contexts.push(new BatchContext(contexts.length))
    this.count = n
    const features = this.features
    const bases = this.bases
    const residuals = this.residuals
    const detectors = this.detectors
    // Entity by entity, the per-minute detectors judge it while its state and baseline are in
    // cache; the batch detectors (the forest) then judge every entity at once.
    for (let i = 0; i < n; i++) {
      const { models, state, minuteMs, minute } = items[i] as BatchItem
      state.window.push(minute.impressions, minute.clicks, minute.spend, minute.conversions)
      state.lastMinuteMs = minuteMs
      const at = i * FEATURE_COUNT
      computeFeatures(minute, state.window, models.baseline.price, features, bases, at)
      models.baseline.residuals(minuteMs, features, bases, residuals, at)
      const ctx = contexts[i] as BatchContext
      ctx.minuteMs = minuteMs
      ctx.minute = minute
      ctx.models = models
      ctx.state = state
      ctx.features = features
      ctx.residuals = residuals
      ctx.at = at
      for (let k = 0; k < d; k++) {
        const detector = detectors[k] as EntityDetector
        if (detector.assessMany === undefined) scores[i * d + k] = zToScore(detector.assess(ctx))
      }
    }
    const z = this.z
    for (let k = 0; k < d; k++) {
      const detector = detectors[k] as EntityDetector
      if (detector.assessMany === undefined) continue
      detector.assessMany(contexts, n, z)
      for (let i = 0; i < n; i++) scores[i * d + k] = zToScore(z[i] as number)
    }
  }

  /** Scores one minute of one entity (a batch of one). */
  score(models: EntityModels, state: EntityState, minuteMs: number, minute: Minute, scores: Float64Array): void {
    this.scoreBatch([{ models, state, minuteMs, minute }], scores)
  }

  /** Why detector `detector` scored item `item` of the last batch as it did. */
  explain(detector: number, item = 0): Explanation {
    const ctx = item < this.count ? this.contexts[item] : undefined
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

const NO_FEATURES = new Float64Array(0)
const NO_MINUTE: Minute = { impressions: 0, clicks: 0, spend: 0, conversions: 0 }

/** A MinuteContext the scorer fills in place for each batch (see EntityScorer.contexts). */
class BatchContext implements MinuteContext {
  minuteMs = 0
  minute: Minute = NO_MINUTE
  models!: EntityModels
  state!: EntityState
  features: Float64Array = NO_FEATURES
  residuals: Float64Array = NO_FEATURES
  at = 0

  constructor(readonly index: number) {}
}
