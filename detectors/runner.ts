import { sleep as defaultSleep } from '../core/backoff.ts'
import type { Logger } from '../core/log.ts'
import type { Level } from '../stream/event.ts'
import { minuteAt } from './baseline.ts'
import { EntityState, type BatchItem, type EntityDetector } from './detector.ts'
import { EntityScorer } from './entity-scorer.ts'
import type { DetectorFinding, FindingSink } from './finding.ts'
import type { DetectorSettingsSource, HistorySource, LeaderLease, LiveSource, ModelStore, ScoreHistory, ScoreRow, ScoreStore } from './ports.ts'
import { LevelTrainer, modelsForEntity, type LevelModels, type TrainingOptions } from './training.ts'

/**
 * The detector runner: every tick it judges the minutes that closed since the last tick for
 * every active entity of every tenant and level, writes the latest scores for the rules,
 * and submits findings above each tenant's threshold. It trains a tenant-level's models
 * when it has none, when they are older than the retrain interval, when active entities
 * lack a baseline (after a shorter interval), and on request; retraining runs in the
 * background between ticks. Models are saved, and a restart loads them instead of training.
 * The clock is injected.
 */

/** What the runner does and how often (from core/config.ts `detectors`). */
export interface RunnerSettings {
  readonly levels: readonly Level[]
  readonly tickMs: number
  /** A minute is judged once it has been closed this long (late events have arrived). */
  readonly closeLagMs: number
  /** Entities whose counters changed within this window are judged (a stopped one keeps being judged until it falls out). */
  readonly activeWindowMs: number
  /** Minutes read before an entity's first judged minute, to fill its windows and EWMAs. */
  readonly warmupMin: number
  /** After a pause, at most this many missed minutes are judged. */
  readonly maxCatchUpMin: number
  readonly trainDays: number
  readonly retrainEveryMs: number
  /** When active entities have no baseline, models at least this old are retrained for them. */
  readonly newEntityRetrainMs: number
  /**
   * Await every training in the tick that starts it (tests); otherwise a retraining runs in
   * the background, yielding between entities, while ticks go on with the models in use. A
   * tenant-level without models always waits for its first training.
   */
  readonly awaitTraining: boolean
  /** Threshold of tenants that set none (0–1). */
  readonly defaultThreshold: number
  readonly training: TrainingOptions
}

/** The runner's collaborators. */
export interface RunnerDeps {
  readonly now: () => number
  readonly detectors: readonly EntityDetector[]
  readonly live: LiveSource
  readonly history: HistorySource
  readonly models: ModelStore
  readonly scores: ScoreStore
  /** Every judged minute's scores (optional: without it, only the latest are kept). A failed write is logged, not fatal. */
  readonly scoreHistory?: ScoreHistory
  readonly settings: DetectorSettingsSource
  readonly sink: FindingSink
  readonly lease?: LeaderLease
  readonly log: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>
  /**
   * Called after every tick, led or not, with its report and the clock's time then (the
   * detector service sweeps quiet alerts when it leads, and forgets cached alert states
   * when it does not). A failure fails the tick.
   */
  readonly afterTick?: (report: TickReport, nowMs: number) => Promise<void>
}

/** What one tick did. */
export interface TickReport {
  readonly leader: boolean
  readonly entities: number
  readonly minutesJudged: number
  readonly findings: number
  /** Active entities without a baseline yet (a training for them is due after newEntityRetrainMs). */
  readonly withoutBaseline: number
  readonly trained: ReadonlyArray<{ tenant: string; level: Level; version: number; entities: number; trainMs: number }>
  /** Time spent in pure scoring, and in the whole tick. */
  readonly scoreMs: number
  readonly tickMs: number
}

const DAY_MS = 86_400_000

/** See the module comment. */
export class DetectorRunner {
  private readonly modelsByKey = new Map<string, LevelModels>()
  private readonly statesByKey = new Map<string, Map<string, EntityState>>()
  private readonly scorer: EntityScorer
  private started = false
  /** Trainings in flight, trainings finished since the last report, active entities without a baseline. */
  private readonly training = new Map<string, Promise<void>>()
  private readonly finished: TickReport['trained'][number][] = []
  private readonly lacking = new Map<string, number>()
  /** When (runner clock) the score history was last pruned. */
  private prunedAtMs = -Infinity

  constructor(private readonly deps: RunnerDeps, private readonly settings: RunnerSettings) {
    this.scorer = new EntityScorer(deps.detectors)
  }

  /** The models in use for a tenant and level, if any. */
  modelsOf(tenant: string, level: Level): LevelModels | undefined {
    return this.modelsByKey.get(key(tenant, level))
  }

  /** Loads the newest stored version of every tenant's models (no training). */
  async start(): Promise<void> {
    for (const manifest of await this.deps.models.latestVersions()) {
      if (!this.settings.levels.includes(manifest.level)) continue
      try {
        this.modelsByKey.set(key(manifest.tenant, manifest.level), await this.deps.models.load(manifest))
        this.deps.log.info({ tenant: manifest.tenant, level: manifest.level, version: manifest.version, entities: manifest.entities }, 'detector models loaded')
      } catch (err) {
        this.deps.log.error({ err, tenant: manifest.tenant, level: manifest.level, version: manifest.version }, 'detector models could not be loaded; they will be retrained')
      }
    }
    this.started = true
  }

  /** Trains, saves and puts in use a new version of a tenant's models for a level. */
  async train(tenant: string, level: Level, nowMs: number): Promise<LevelModels> {
    // Minutes still open (or within the close lag) are left out: they may be incomplete.
    const toMs = Math.floor((nowMs - this.settings.closeLagMs) / 60_000) * 60_000
    const fromMs = toMs - this.settings.trainDays * DAY_MS
    const trainer = new LevelTrainer(tenant, level, fromMs, toMs, this.settings.training)
    for await (const h of this.deps.history.histories(tenant, level, fromMs, toMs)) {
      trainer.add(h)
      // Let ticks run between entities: a level of thousands of entities trains for minutes.
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
    const previous = this.modelsByKey.get(key(tenant, level))
    const models = trainer.finish(Math.max(nowMs, (previous?.version ?? 0) + 1))
    await this.deps.models.save(models)
    this.modelsByKey.set(key(tenant, level), models)
    return models
  }

  /** One tick: see the module comment. */
  async tick(): Promise<TickReport> {
    const report = await this.judgeClosedMinutes()
    await this.deps.afterTick?.(report, this.deps.now())
    return report
  }

  /** Drops score-history days past the retention, at most once an hour; a failure is logged and tried again next hour. */
  private async pruneScoreHistory(): Promise<void> {
    const history = this.deps.scoreHistory
    const nowMs = this.deps.now()
    if (history?.prune === undefined || nowMs - this.prunedAtMs < SCORE_HISTORY_PRUNE_EVERY_MS) return
    this.prunedAtMs = nowMs
    try {
      const days = await history.prune(nowMs)
      if (days.length > 0) this.deps.log.info({ days }, 'old detector score history dropped')
    } catch (err) {
      this.deps.log.error({ err }, 'dropping old detector score history failed; trying again in an hour')
    }
  }

  private async judgeClosedMinutes(): Promise<TickReport> {
    const t0 = performance.now()
    if (!this.started) await this.start()
    if (this.deps.lease !== undefined && !(await this.deps.lease.hold())) {
      return { leader: false, entities: 0, minutesJudged: 0, findings: 0, withoutBaseline: 0, trained: [], scoreMs: 0, tickMs: performance.now() - t0 }
    }
    const now = this.deps.now()
    const s = this.settings
    const requests = new Set(await this.deps.settings.takeRetrainRequests())
    // Minutes starting before `closedEnd` are closed; judge up to it.
    const closedEnd = Math.floor((now - s.closeLagMs) / 60_000) * 60_000
    let entities = 0
    let minutesJudged = 0
    let withoutBaseline = 0
    let scoreMs = 0
    let findingCount = 0
    const names = this.deps.detectors.map((d) => d.name)
    for (const tenant of await this.deps.live.tenants()) {
      const thresholds = await this.deps.settings.thresholds(tenant, names, s.defaultThreshold)
      const limits = Float64Array.from(names, (n) => thresholds.get(n) ?? s.defaultThreshold)
      const findings: DetectorFinding[] = []
      for (const level of s.levels) {
        const k = key(tenant, level)
        const current = this.modelsByKey.get(k)
        const age = current === undefined ? Infinity : now - current.version
        const due = current === undefined || age >= s.retrainEveryMs || requests.has(tenant) || requests.has('*') ||
          ((this.lacking.get(k) ?? 0) > 0 && age >= s.newEntityRetrainMs)
        if (due && !this.training.has(k)) {
          const run = this.train(tenant, level, now).then(
            (m) => {
              this.finished.push({ tenant, level, version: m.version, entities: m.baselines.size, trainMs: m.trainMs })
              this.deps.log.info({ tenant, level, version: m.version, entities: m.baselines.size, campaignForests: m.campaignForests.size, trainMs: m.trainMs }, 'detector models trained')
            },
            (err: unknown) => this.deps.log.error({ err, tenant, level }, 'detector training failed; keeping the models in use'),
          ).finally(() => this.training.delete(k))
          this.training.set(k, run)
          // Nothing to judge with yet, or told to wait: train now; otherwise train in the background.
          if (current === undefined || s.awaitTraining) await run
        }
        const models = this.modelsByKey.get(k)
        if (models === undefined) continue
        const r = await this.judgeLevel(tenant, level, models, closedEnd, now, limits, findings)
        this.lacking.set(k, r.newWithoutBaseline)
        entities += r.entities
        minutesJudged += r.minutes
        withoutBaseline += r.withoutBaseline
        scoreMs += r.scoreMs
      }
      if (findings.length > 0) await this.deps.sink.submit(findings)
      findingCount += findings.length
    }
    const trained = this.finished.splice(0)
    return { leader: true, entities, minutesJudged, findings: findingCount, withoutBaseline, trained, scoreMs, tickMs: performance.now() - t0 }
  }

  /** Waits for the trainings running in the background. */
  async settle(): Promise<void> {
    await Promise.all([...this.training.values()])
  }

  /** Runs ticks every `tickMs` until the signal aborts; a failed tick is logged and the next one tries again. */
  async run(signal: AbortSignal, sleep: (ms: number, signal?: AbortSignal) => Promise<void> = defaultSleep): Promise<void> {
    while (!signal.aborted) {
      const started = this.deps.now()
      try {
        const r = await this.tick()
        if (r.leader) this.deps.log.debug({ entities: r.entities, minutes: r.minutesJudged, findings: r.findings, scoreMs: Math.round(r.scoreMs), tickMs: Math.round(r.tickMs) }, 'detector tick')
      } catch (err) {
        this.deps.log.error({ err }, 'detector tick failed; retrying next tick')
      }
      await sleep(Math.max(0, this.settings.tickMs - (this.deps.now() - started)), signal)
    }
    await this.deps.lease?.release().catch(() => undefined)
  }

  private async judgeLevel(
    tenant: string, level: Level, models: LevelModels, closedEnd: number, now: number, limits: Float64Array, findings: DetectorFinding[],
  ): Promise<{ entities: number; minutes: number; withoutBaseline: number; newWithoutBaseline: number; scoreMs: number }> {
    const s = this.settings
    const k = key(tenant, level)
    let states = this.statesByKey.get(k)
    if (states === undefined) this.statesByKey.set(k, (states = new Map()))
    const active = await this.deps.live.activeEntities(tenant, level, now - s.activeWindowMs)
    const activeSet = new Set(active)
    for (const e of states.keys()) if (!activeSet.has(e)) states.delete(e)
    const judged = active.filter((e) => models.baselines.has(e))
    const fresh = judged.filter((e) => !states.has(e))
    if (fresh.length > 0) {
      const accounts = await this.deps.live.accounts(tenant, level, fresh)
      for (const e of fresh) states.set(e, new EntityState(accounts.get(e) || models.baselines.get(e)?.account || ''))
    }
    const reads: Array<{ entity: string; fromMs: number; toMs: number; silentBeforeMs: number }> = []
    for (const entity of judged) {
      const state = states.get(entity) as EntityState
      const known = Number.isFinite(state.lastMinuteMs)
      const fromMs = known ? Math.max(state.lastMinuteMs + 60_000, closedEnd - s.maxCatchUpMin * 60_000) : closedEnd - s.warmupMin * 60_000
      if (fromMs >= closedEnd) continue
      // A new entity's warm-up minutes feed its state; only its last minute is reported.
      reads.push({ entity, fromMs, toMs: closedEnd, silentBeforeMs: known ? fromMs : closedEnd - 60_000 })
    }
    const minutes = reads.length === 0 ? [] : await this.deps.live.readMinutes(tenant, level, reads)
    const t0 = performance.now()
    const d = this.deps.detectors.length
    const entityModels = reads.map((r) => modelsForEntity(models, r.entity))
    const rows: ScoreRow[] = []
    const history: ScoreRow[] = []
    let judgedMinutes = 0
    let scores = new Float64Array(0)
    // One batch per minute, oldest first: every entity that has that minute to judge.
    const firstMs = reads.reduce((min, r) => Math.min(min, r.fromMs), closedEnd)
    for (let minuteMs = firstMs; minuteMs < closedEnd; minuteMs += 60_000) {
      const batch: BatchItem[] = []
      const which: number[] = []
      reads.forEach((r, i) => {
        const em = entityModels[i]
        if (minuteMs < r.fromMs || em === undefined) return
        batch.push({ models: em, state: states.get(r.entity) as EntityState, minuteMs, minute: minuteAt(minutes[i] as Float64Array, (minuteMs - r.fromMs) / 60_000) })
        which.push(i)
      })
      if (scores.length < batch.length * d) scores = new Float64Array(batch.length * d)
      this.scorer.scoreBatch(batch, scores)
      const last = minuteMs === closedEnd - 60_000
      which.forEach((i, j) => {
        const r = reads[i] as (typeof reads)[number]
        const state = states.get(r.entity) as EntityState
        // The item's scores by detector name, built once for the history and the latest scores.
        let row: ScoreRow | undefined
        const scoreRow = (): ScoreRow => {
          if (row !== undefined) return row
          const byName: Record<string, number> = {}
          this.deps.detectors.forEach((det, n) => (byName[det.name] = scores[j * d + n] as number))
          return (row = { entity: r.entity, minuteMs, scores: byName })
        }
        if (minuteMs >= r.silentBeforeMs) {
          judgedMinutes++
          if (this.deps.scoreHistory !== undefined) history.push(scoreRow())
          for (let det = 0; det < d; det++) {
            const score = scores[j * d + det] as number
            if (score < (limits[det] as number)) continue
            const why = this.scorer.explain(det, j)
            findings.push({
              kind: 'detector',
              detector: (this.deps.detectors[det] as EntityDetector).name,
              tenant, level, entity: r.entity, account: state.account,
              score, explanation: why.text, expected: why.expected, actual: why.actual, feature: why.feature,
              atMs: minuteMs,
            })
          }
        }
        if (last) rows.push(scoreRow())
      })
    }
    const scoreMs = performance.now() - t0
    await this.deps.scores.writeScores(tenant, level, rows)
    if (this.deps.scoreHistory !== undefined && history.length > 0) {
      try {
        await this.deps.scoreHistory.append(tenant, level, history)
      } catch (err) {
        // Only the charts' score bands miss these minutes; the scores and findings went out.
        this.deps.log.error({ err, tenant, level, minutes: history.length }, 'detector score history not written; the dashboard shows no score band for these minutes')
      }
      await this.pruneScoreHistory()
    }
    // Entities the last training saw but found too sparse do not call for another one.
    const newWithoutBaseline = active.filter((e) => !models.baselines.has(e) && !models.sparse.has(e)).length
    return { entities: judged.length, minutes: judgedMinutes, withoutBaseline: active.length - judged.length, newWithoutBaseline, scoreMs }
  }
}

/** How often the runner drops score-history days past the retention. */
const SCORE_HISTORY_PRUNE_EVERY_MS = 3_600_000

function key(tenant: string, level: Level): string {
  return `${tenant}\u0000${level}`
}
