import type { Level } from '../stream/event.ts'
import { IFOREST_DIMS, type EntityBaseline, type EntityHistory } from './baseline.ts'
import { trainBaseline } from './baseline-training.ts'
import { CALIBRATION_LEVELS, type CalibratedForest, type EntityModels } from './detector.ts'
import { IsolationForest } from './isolation-forest.ts'
import { createSeededRandom, deriveSeed } from './random.ts'
import { quantileSorted } from './stats.ts'

/**
 * Training of one tenant's models for one entity level, from its entities' minute histories
 * (fed one entity at a time, so memory stays bounded by one history plus a sample): a
 * baseline per entity, one isolation forest for the level (on a uniform reservoir sample of
 * every entity's residual rows), and at the campaign level a forest of its own for each
 * campaign with enough history. Pure; deterministic for a seed.
 */

/** Training parameters (the runner fills them from config). */
export interface TrainingOptions {
  readonly seed: number
  /** Level forest: trees and subsample size ψ. */
  readonly trees: number
  readonly sampleSize: number
  /** Rows kept (reservoir) from all entities to train and calibrate the level forest. */
  readonly levelSampleRows: number
  /** A campaign gets its own forest after this many days of history … */
  readonly campaignMinDays: number
  /** … up to this many campaigns per tenant (the busiest first come first). */
  readonly campaignModelsMax: number
  readonly campaignTrees: number
  readonly campaignSampleSize: number
}

/** Defaults of TrainingOptions. */
export const DEFAULT_TRAINING: TrainingOptions = {
  seed: 1,
  trees: 50,
  sampleSize: 256,
  levelSampleRows: 50_000,
  campaignMinDays: 3,
  campaignModelsMax: 1_000,
  campaignTrees: 50,
  campaignSampleSize: 64,
}

/** One version of a tenant's models for one level. */
export interface LevelModels {
  readonly tenant: string
  readonly level: Level
  /** Version: the training time in ms (a later training has a larger version). */
  readonly version: number
  /** The history window it was trained on, [fromMs, toMs). */
  readonly fromMs: number
  readonly toMs: number
  readonly baselines: ReadonlyMap<string, EntityBaseline>
  readonly levelForest: CalibratedForest | undefined
  readonly campaignForests: ReadonlyMap<string, CalibratedForest>
  /** Milliseconds the training took (CPU of this process, reading excluded). */
  readonly trainMs: number
  /** Entities the training saw with too little history for a baseline (not stored: empty after loading). */
  readonly sparse: ReadonlySet<string>
}

/** The models to judge one entity with, or undefined when it has no baseline yet. */
export function modelsForEntity(models: LevelModels, entity: string): EntityModels | undefined {
  const baseline = models.baselines.get(entity)
  if (baseline === undefined) return undefined
  return { baseline, forest: models.campaignForests.get(entity) ?? models.levelForest }
}

/** Trains a forest on row-major `rows` and calibrates it on (up to 20,000 of) the same rows. */
export function trainCalibratedForest(rows: Float64Array, kind: CalibratedForest['kind'], trees: number, sampleSize: number, seed: number): CalibratedForest {
  const forest = IsolationForest.fit(rows, IFOREST_DIMS, { trees, sampleSize, seed })
  const n = rows.length / IFOREST_DIMS
  const step = Math.max(1, Math.floor(n / 20_000))
  const count = Math.ceil(n / step)
  const sample = new Float64Array(count * IFOREST_DIMS)
  for (let j = 0; j < count; j++) sample.set(rows.subarray(j * step * IFOREST_DIMS, (j * step + 1) * IFOREST_DIMS), j * IFOREST_DIMS)
  const sorted = new Float64Array(count)
  forest.scoreMany(sample, count, sorted)
  sorted.sort()
  return { forest, quantiles: CALIBRATION_LEVELS.map((q) => quantileSorted(sorted, q)), kind }
}

/** Accumulates one tenant-level training; `add` each entity's history, then `finish`. */
export class LevelTrainer {
  private readonly baselines = new Map<string, EntityBaseline>()
  private readonly campaignForests = new Map<string, CalibratedForest>()
  private readonly sparse = new Set<string>()
  private readonly reservoir: Float64Array
  private reservoirRows = 0
  private seenRows = 0
  private readonly rng
  private cpuMs = 0

  constructor(
    readonly tenant: string,
    readonly level: Level,
    readonly fromMs: number,
    readonly toMs: number,
    private readonly opts: TrainingOptions = DEFAULT_TRAINING,
  ) {
    this.reservoir = new Float64Array(opts.levelSampleRows * IFOREST_DIMS)
    this.rng = createSeededRandom(deriveSeed(opts.seed, `${tenant}/${level}/reservoir`))
  }

  /** Entities with a baseline so far. */
  get entities(): number {
    return this.baselines.size
  }

  /** Trains the entity's baseline (and campaign forest) and samples its rows for the level forest. */
  add(history: EntityHistory): void {
    const t0 = performance.now()
    const trained = trainBaseline(history)
    if (trained === undefined) this.sparse.add(history.entity)
    else {
      this.baselines.set(history.entity, trained.baseline)
      this.sample(trained.vectors)
      const o = this.opts
      const days = (trained.baseline.toMs - trained.baseline.fromMs) / 86_400_000
      if (this.level === 'campaign' && days >= o.campaignMinDays && this.campaignForests.size < o.campaignModelsMax) {
        const seed = deriveSeed(o.seed, `${this.tenant}/${this.level}/${history.entity}`)
        this.campaignForests.set(history.entity, trainCalibratedForest(trained.vectors, 'campaign', o.campaignTrees, o.campaignSampleSize, seed))
      }
    }
    this.cpuMs += performance.now() - t0
  }

  /** Trains the level forest and returns the finished version. */
  finish(version: number): LevelModels {
    const t0 = performance.now()
    const rows = this.reservoir.subarray(0, this.reservoirRows * IFOREST_DIMS)
    const levelForest = this.reservoirRows >= 2
      ? trainCalibratedForest(rows, 'level', this.opts.trees, this.opts.sampleSize, deriveSeed(this.opts.seed, `${this.tenant}/${this.level}`))
      : undefined
    this.cpuMs += performance.now() - t0
    return {
      tenant: this.tenant,
      level: this.level,
      version,
      fromMs: this.fromMs,
      toMs: this.toMs,
      baselines: this.baselines,
      levelForest,
      campaignForests: this.campaignForests,
      trainMs: Math.round(this.cpuMs),
      sparse: this.sparse,
    }
  }

  /** Reservoir sampling (Algorithm R) of rows across every entity. */
  private sample(vectors: Float64Array): void {
    const cap = this.opts.levelSampleRows
    const n = vectors.length / IFOREST_DIMS
    for (let i = 0; i < n; i++) {
      let slot = -1
      if (this.reservoirRows < cap) slot = this.reservoirRows++
      else {
        const j = this.rng.below(this.seenRows + 1)
        if (j < cap) slot = j
      }
      this.seenRows++
      if (slot >= 0) this.reservoir.set(vectors.subarray(i * IFOREST_DIMS, (i + 1) * IFOREST_DIMS), slot * IFOREST_DIMS)
    }
  }
}
