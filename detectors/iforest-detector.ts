import { IFOREST_DIMS, writeForestRow } from './baseline.ts'
import { forestZ, type CalibratedForest, type EntityDetector, type Explanation, type MinuteContext } from './detector.ts'
import { actualOf, formatFeature } from './explain-format.ts'
import { FEATURE_COUNT, FEATURES } from './features.ts'
import { SERIAL_SCORER, type ForestBatchScorer } from './forest-pool.ts'

/**
 * Isolation forest over the minute's residuals: catches combinations no single feature
 * shows. The entity's campaign forest is used when it has one, else its level's. The raw
 * score becomes an equivalent z by matching the forest's score quantiles on its own training
 * data to normal quantiles (see forestZ), so its scores sit on the other detectors' scale.
 * A batch is scored forest by forest, tree by tree (IsolationForest.scoreMany), large ones
 * split across scoring threads when a ForestPool is given.
 */
export class IForestDetector implements EntityDetector {
  readonly name = 'iforest' as const
  private rows = new Float64Array(0)
  private raw = new Float64Array(0)

  constructor(private readonly scorer: ForestBatchScorer = SERIAL_SCORER) {}

  assess(ctx: MinuteContext): number {
    const z = new Float64Array(1)
    this.assessMany([ctx], 1, z)
    return z[0] as number
  }

  assessMany(contexts: readonly MinuteContext[], count: number, z: Float64Array): void {
    const n = count
    if (this.raw.length < n) {
      this.rows = new Float64Array(n * IFOREST_DIMS)
      this.raw = new Float64Array(n)
    }
    // Items by forest (most share their level's; a campaign's own forest has one item).
    const groups = new Map<CalibratedForest, number[]>()
    let lastForest: CalibratedForest | undefined
    let last: number[] = []
    for (let i = 0; i < n; i++) {
      const cf = (contexts[i] as MinuteContext).models.forest
      z[i] = 0
      if (cf === undefined) continue
      if (cf !== lastForest) {
        let g = groups.get(cf)
        if (g === undefined) groups.set(cf, (g = []))
        last = g
        lastForest = cf
      }
      last.push(i)
    }
    const rows = this.rows
    const raw = this.raw
    for (const [cf, items] of groups) {
      for (let j = 0; j < items.length; j++) {
        const c = contexts[items[j] as number] as MinuteContext
        writeForestRow(c.residuals, rows, j * IFOREST_DIMS, c.at)
      }
      this.scorer.scoreMany(cf.forest, rows, items.length, raw)
      for (let j = 0; j < items.length; j++) z[items[j] as number] = forestZ(cf, raw[j] as number)
    }
  }

  explain(ctx: MinuteContext): Explanation {
    const cf = ctx.models.forest
    const row = new Float64Array(IFOREST_DIMS)
    writeForestRow(ctx.residuals, row, 0, ctx.at)
    const contributions = cf === undefined ? new Float64Array(IFOREST_DIMS) : cf.forest.featureContributions(row)
    let f = 0
    for (let k = 1; k < FEATURE_COUNT; k++) if ((contributions[k] as number) > (contributions[f] as number)) f = k
    const expected = ctx.models.baseline.expected(f, ctx.minuteMs)
    const actual = actualOf(ctx, f)
    const raw = cf === undefined ? NaN : cf.forest.score(row)
    const text = `unusual combination, led by ${FEATURES[f]}: ${formatFeature(f, actual)} vs ${formatFeature(f, expected)} usual (isolation score ${raw.toFixed(3)}, ${cf?.kind ?? 'no'} model)`
    return { feature: FEATURES[f] as string, expected, actual, text }
  }
}
