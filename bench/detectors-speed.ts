import { minuteAt, type EntityBaseline, type EntityHistory } from '../detectors/baseline.ts'
import { trainBaseline } from '../detectors/baseline-training.ts'
import { EntityState, type BatchItem, type CalibratedForest, type EntityModels } from '../detectors/detector.ts'
import { createEntityDetectors } from '../detectors/entity-detectors.ts'
import { EntityScorer } from '../detectors/entity-scorer.ts'
import { ForestPool, SERIAL_SCORER, type ForestBatchScorer } from '../detectors/forest-pool.ts'
import { MINUTE_STRIDE } from '../detectors/features.ts'
import { IsolationForest } from '../detectors/isolation-forest.ts'
import { createSeededRandom } from '../detectors/random.ts'
import { createScenario, drawEvents, MinuteFolder } from '../detectors/testing/synthetic-scenario.ts'
import { DEFAULT_TRAINING, LevelTrainer, trainCalibratedForest } from '../detectors/training.ts'
import { summarize, type Summary } from './stats.ts'

/**
 * Speed of the detectors, pure (no servers): training on one week of producer minute data,
 * and judging one minute of 10,000 entities (the runner's scoring work per tick).
 */

/** What the speed benchmark measured; times in ms. */
export interface DetectorSpeed {
  readonly weekMinutes: number
  readonly campaigns: number
  /** One campaign's week: its baseline, its own forest, both. */
  readonly baselineMs: Summary
  readonly campaignForestMs: Summary
  readonly oneCampaignMs: Summary
  /** The whole level (every campaign's baseline and forest, and the level forest). */
  readonly levelMs: Summary
  readonly levelForestMs: Summary
  readonly entities: number
  /** Scoring threads beside the main one (ADW_DETECT_SCORING_THREADS) in tickMs and tick100TreesMs. */
  readonly scoringThreads: number
  /** Judging one minute of every entity with the four detectors. */
  readonly tickMs: Summary
  /** CPU time of this process for the same ticks (what the code costs when the machine is shared). */
  readonly tickCpuMs: Summary
  /** The same with a 100-tree level forest (ADW_DETECT_TREES=100). */
  readonly tick100TreesMs: Summary
  readonly tick100TreesCpuMs: Summary
  /** tickMs on the main thread alone (ADW_DETECT_SCORING_THREADS=0). */
  readonly tickSerialMs: Summary
  readonly tickSerialCpuMs: Summary
  readonly perEntityUs: number
}

const DAY_MS = 86_400_000

/** The isolation forest alone, on the unit test's data: 6-D Gaussian points and clear outliers. */
export interface ForestFigures {
  readonly fit100kMs: Summary
  readonly jsonBytes: number
  readonly aucRangeAware: number
  readonly aucClassic: number
  /** Outliers (of 50) scoring above 0.5, the npm package's failed calibration check. */
  readonly outliersAboveHalf: number
}

/** Measures fitting 100,000 6-D points, the JSON size of 100 trees, and AUC on 10,000 + 50 outliers. */
export function measureForest(repetitions: number): ForestFigures {
  const rng = createSeededRandom(7)
  const gauss = () => {
    let u = 0
    while (u === 0) u = rng.next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next())
  }
  const big = Float64Array.from({ length: 100_000 * 6 }, gauss)
  const fitMs: number[] = []
  let forest = IsolationForest.fit(big, 6, { seed: 1 })
  for (let r = 0; r < repetitions; r++) {
    const t0 = performance.now()
    forest = IsolationForest.fit(big, 6, { trees: 100, sampleSize: 256, seed: r + 1 })
    fitMs.push(performance.now() - t0)
  }
  const data = new Float64Array(10_050 * 6)
  data.set(big.subarray(0, 10_000 * 6))
  for (let k = 0; k < 50; k++) {
    const dir = Array.from({ length: 6 }, gauss)
    const norm = Math.hypot(...dir)
    const radius = 6 + 3 * rng.next()
    for (let d = 0; d < 6; d++) data[(10_000 + k) * 6 + d] = ((dir[d] as number) / norm) * radius
  }
  const auc = (f: IsolationForest) => {
    const scores = f.scoreAll(data)
    let wins = 0
    for (let o = 10_000; o < 10_050; o++) for (let i = 0; i < 10_000; i++) wins += (scores[o] as number) > (scores[i] as number) ? 1 : (scores[o] as number) === (scores[i] as number) ? 0.5 : 0
    return { auc: wins / (50 * 10_000), above: Array.from(scores.subarray(10_000)).filter((x) => x > 0.5).length }
  }
  const aware = IsolationForest.fit(data, 6, { seed: 42 })
  const a = auc(aware)
  const classic = auc(IsolationForest.fit(data, 6, { seed: 42, rangeAware: false }))
  return { fit100kMs: summarize(fitMs), jsonBytes: JSON.stringify(forest).length, aucRangeAware: a.auc, aucClassic: classic.auc, outliersAboveHalf: a.above }
}

/** Generates a week of producer traffic and times training and scoring. */
export async function measureDetectorSpeed(opts: { entities: number; repetitions: number; scoringThreads: number; log: (line: string) => void }): Promise<DetectorSpeed> {
  const startMs = Date.UTC(2026, 0, 5)
  const weekMinutes = 7 * 1440
  const scenario = createScenario({ seed: 11, tenants: 1, campaigns: 6, ratePerSec: 4, historyStartMs: startMs, liveStartMs: startMs + 7 * DAY_MS, liveMs: 3_600_000, anomalyCount: 0 })
  const folder = new MinuteFolder(startMs, weekMinutes + 60, ['campaign'])
  opts.log('  generating one week of producer traffic (6 campaigns) …')
  await drawEvents(scenario, startMs, startMs + 7 * DAY_MS + 3_600_000, (events) => folder.add(events))
  const tenant = scenario.catalogue.tenants[0]?.name ?? 'acme'
  const all = folder.histories(tenant, 'campaign')
  const week = all.map((h) => ({ ...h, minutes: h.minutes.subarray(0, weekMinutes * MINUTE_STRIDE) }))
  const busiest = [...week].sort((a, b) => total(b) - total(a))[0] as EntityHistory

  const baselineMs: number[] = []
  const forestMs: number[] = []
  const bothMs: number[] = []
  for (let r = 0; r < opts.repetitions; r++) {
    const t0 = performance.now()
    const trained = trainBaseline(busiest)
    const t1 = performance.now()
    if (trained === undefined) throw new Error('the benchmark campaign has too little history')
    trainCalibratedForest(trained.vectors, 'campaign', DEFAULT_TRAINING.campaignTrees, DEFAULT_TRAINING.campaignSampleSize, r + 1)
    const t2 = performance.now()
    baselineMs.push(t1 - t0)
    forestMs.push(t2 - t1)
    bothMs.push(t2 - t0)
  }
  const levelMs: number[] = []
  const levelForestMs: number[] = []
  let models = new LevelTrainer(tenant, 'campaign', startMs, startMs + 7 * DAY_MS).finish(1)
  for (let r = 0; r < opts.repetitions; r++) {
    const t0 = performance.now()
    const trainer = new LevelTrainer(tenant, 'campaign', startMs, startMs + 7 * DAY_MS, { ...DEFAULT_TRAINING, seed: r + 1 })
    for (const h of week) trainer.add(h)
    const t1 = performance.now()
    models = trainer.finish(r + 1)
    levelMs.push(performance.now() - t0)
    levelForestMs.push(performance.now() - t1)
  }

  // 10,000 entities: the trained baselines reused round-robin, all on the level forest (the
  // costlier one: ψ 256, ADW_DETECT_TREES trees), each warmed with 30 minutes of its source history.
  // Each entity reads its campaign's history `lag` minutes back (a different lag per copy), so a
  // tick scores ~10,000 distinct rows, as real traffic does, not 6 rows repeated (which would keep
  // every tree walk in cache and flatter the figure).
  const baselines = [...models.baselines.values()]
  const sources = new Map(week.map((h) => [h.entity, h]))
  const pool = new ForestPool(opts.scoringThreads, { onDegraded: (reason) => opts.log(`  scoring threads stopped: ${reason}`) })
  await pool.whenStarted()
  const timeTicks = (forest: CalibratedForest, forestScorer: ForestBatchScorer) => {
    const entities: Array<{ models: EntityModels; state: EntityState; source: EntityHistory; lag: number }> = []
    for (let i = 0; i < opts.entities; i++) {
      const baseline = baselines[i % baselines.length] as EntityBaseline
      const lag = (Math.floor(i / baselines.length) * 37) % 5_000
      entities.push({ models: { baseline, forest }, state: new EntityState('act'), source: sources.get(baseline.entity) as EntityHistory, lag })
    }
    const scorer = new EntityScorer(createEntityDetectors(['iforest', 'seasonal_z', 'ewma', 'flatline'], 'bench', { forestScorer }))
    const scores = new Float64Array(opts.entities * 4)
    // A tick's work, as the runner does it: one batch holding the minute that closed for every entity.
    const batchAt = (m: number): BatchItem[] => entities.map((e) => ({ models: e.models, state: e.state, minuteMs: startMs + m * 60_000, minute: minuteAt(e.source.minutes, m - e.lag) }))
    const firstMinute = weekMinutes - 120
    for (let m = firstMinute - 30; m < firstMinute; m++) scorer.scoreBatch(batchAt(m), scores)
    const wall: number[] = []
    const cpu: number[] = []
    const ticks = Math.max(10, opts.repetitions * 5)
    let sink = 0
    for (let t = 0; t < ticks; t++) {
      const batch = batchAt(firstMinute + t)
      const c0 = process.cpuUsage()
      const t0 = performance.now()
      scorer.scoreBatch(batch, scores)
      wall.push(performance.now() - t0)
      const c = process.cpuUsage(c0)
      cpu.push((c.user + c.system) / 1000)
      sink += scores[0] as number
    }
    if (Number.isNaN(sink)) throw new Error('NaN score')
    return { wall: summarize(wall), cpu: summarize(cpu) }
  }
  const full = timeTicks(models.levelForest as CalibratedForest, pool)
  const serial = timeTicks(models.levelForest as CalibratedForest, SERIAL_SCORER)
  const bigTrainer = new LevelTrainer(tenant, 'campaign', startMs, startMs + 7 * DAY_MS, { ...DEFAULT_TRAINING, trees: 100 })
  for (const h of week) bigTrainer.add(h)
  const big = timeTicks(bigTrainer.finish(1).levelForest as CalibratedForest, pool)
  await pool.close()
  const tickMs = full.wall.samples
  const tick = summarize(tickMs)
  return {
    tick100TreesMs: big.wall,
    tick100TreesCpuMs: big.cpu,
    weekMinutes,
    campaigns: week.length,
    baselineMs: summarize(baselineMs),
    campaignForestMs: summarize(forestMs),
    oneCampaignMs: summarize(bothMs),
    levelMs: summarize(levelMs),
    levelForestMs: summarize(levelForestMs),
    entities: opts.entities,
    scoringThreads: opts.scoringThreads,
    tickMs: tick,
    tickSerialMs: serial.wall,
    tickSerialCpuMs: serial.cpu,
    tickCpuMs: full.cpu,
    perEntityUs: (tick.median * 1000) / opts.entities,
  }
}

function total(h: EntityHistory): number {
  let s = 0
  for (let k = 2; k < h.minutes.length; k += MINUTE_STRIDE) s += h.minutes[k] as number
  return s
}
