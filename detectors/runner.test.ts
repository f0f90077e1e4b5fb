import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Level } from '../stream/event.ts'
import type { EntityHistory } from './baseline.ts'
import { DETECTOR_NAMES } from './detector.ts'
import { createEntityDetectors } from './entity-detectors.ts'
import { MINUTE_STRIDE } from './features.ts'
import { MemoryFindingSink } from './finding.ts'
import { decodeLevelModels, encodeLevelModels, type ModelRow, type ModelVersionRow } from './model-codec.ts'
import type { DetectorSettingsSource, HistorySource, LiveSource, ModelStore, ScoreHistory, ScoreRow, ScoreStore } from './ports.ts'
import { DetectorRunner, type RunnerSettings } from './runner.ts'
import { busyCampaign, steadyHistory } from './testing/steady-minutes.ts'
import { DEFAULT_TRAINING, type LevelModels } from './training.ts'

const MIN = 60_000
const DAY = 86_400_000
const START = Date.UTC(2026, 0, 5)
const LIVE = START + 2 * DAY
const TOTAL_MIN = 2 * 1440 + 240

/** Two campaigns of one tenant over 2 days of history and 4 live hours, in memory. */
function world() {
  const series = new Map<string, EntityHistory>([
    ['cmp_1', steadyHistory('cmp_1', busyCampaign(1, START, TOTAL_MIN))],
    ['cmp_2', steadyHistory('cmp_2', { ...busyCampaign(2, START, TOTAL_MIN), impressionsPerMin: 900 })],
  ])
  const live: LiveSource & { reads: number } = {
    reads: 0,
    async tenants() {
      return ['acme']
    },
    async activeEntities() {
      return [...series.keys()]
    },
    async accounts(_t, _l, entities) {
      return new Map(entities.map((e) => [e, `act_${e}`]))
    },
    async readMinutes(_t, _l, requests) {
      live.reads++
      return requests.map((r) => {
        const h = series.get(r.entity) as EntityHistory
        const from = (r.fromMs - START) / MIN
        return h.minutes.slice(from * MINUTE_STRIDE, ((r.toMs - START) / MIN) * MINUTE_STRIDE)
      })
    },
  }
  const history: HistorySource = {
    async *histories(_t, _l, fromMs, toMs) {
      for (const h of series.values()) {
        const from = Math.max(0, (fromMs - START) / MIN)
        yield { ...h, startMs: START + from * MIN, minutes: h.minutes.slice(from * MINUTE_STRIDE, ((toMs - START) / MIN) * MINUTE_STRIDE) }
      }
    },
  }
  return { series, live, history }
}

/** Keeps versions as their encoded rows, as ClickHouse would. */
class MemoryModelStore implements ModelStore {
  readonly versions: Array<{ manifest: ModelVersionRow; rows: ModelRow[] }> = []
  async latestVersions() {
    const latest = new Map<string, ModelVersionRow>()
    for (const v of this.versions) {
      const k = `${v.manifest.tenant}/${v.manifest.level}`
      if ((latest.get(k)?.version ?? -1) < v.manifest.version) latest.set(k, v.manifest)
    }
    return [...latest.values()]
  }
  async load(manifest: ModelVersionRow) {
    const v = this.versions.find((x) => x.manifest.version === manifest.version && x.manifest.tenant === manifest.tenant && x.manifest.level === manifest.level)
    return decodeLevelModels(manifest, v?.rows ?? [])
  }
  async save(m: LevelModels) {
    this.versions.push(encodeLevelModels(m))
  }
}

class MemoryScoreStore implements ScoreStore {
  readonly latest = new Map<string, ScoreRow>()
  async writeScores(tenant: string, level: Level, rows: readonly ScoreRow[]) {
    for (const r of rows) this.latest.set(`${tenant}/${level}/${r.entity}`, r)
  }
}

class MemoryScoreHistory implements ScoreHistory {
  readonly rows: Array<ScoreRow & { tenant: string; level: Level }> = []
  readonly prunedAt: number[] = []
  fail: Error | undefined
  async append(tenant: string, level: Level, rows: readonly ScoreRow[]) {
    if (this.fail !== undefined) throw this.fail
    for (const r of rows) this.rows.push({ ...r, tenant, level })
  }
  async prune(nowMs: number) {
    this.prunedAt.push(nowMs)
    return []
  }
}

class MemorySettings implements DetectorSettingsSource {
  threshold = 0.8
  requests: string[] = []
  async thresholds(_t: string, detectors: readonly string[]) {
    return new Map(detectors.map((d) => [d, this.threshold]))
  }
  async takeRetrainRequests() {
    const r = this.requests
    this.requests = []
    return r
  }
}

const SETTINGS: RunnerSettings = {
  levels: ['campaign'], tickMs: 10_000, closeLagMs: 15_000, activeWindowMs: 180 * MIN, warmupMin: 30, maxCatchUpMin: 60,
  trainDays: 2, retrainEveryMs: 24 * 3_600_000, newEntityRetrainMs: 3_600_000, awaitTraining: true, defaultThreshold: 0.8,
  // A small forest keeps the test fast; the runner's logic does not depend on its size.
  training: { ...DEFAULT_TRAINING, trees: 30, levelSampleRows: 3_000, campaignModelsMax: 0 },
}

function setup(w = world(), models = new MemoryModelStore(), opts: { held?: () => boolean } = {}) {
  const clock = { now: LIVE + 40 * MIN + 20_000 }
  const sink = new MemoryFindingSink(() => clock.now)
  const scores = new MemoryScoreStore()
  const scoreHistory = new MemoryScoreHistory()
  const settings = new MemorySettings()
  const logs: string[] = []
  const log = { info: (_o: unknown, m?: string) => logs.push(m ?? ''), warn: () => undefined, error: (o: unknown, m?: string) => logs.push(`ERROR ${m} ${(o as { err?: Error }).err?.message}`), debug: () => undefined }
  const runner = new DetectorRunner({
    now: () => clock.now, detectors: createEntityDetectors([...DETECTOR_NAMES], 'test'), live: w.live, history: w.history, models, scores, scoreHistory, settings, sink,
    ...(opts.held ? { lease: { hold: async () => opts.held!(), release: async () => undefined } } : {}),
    log: log as never,
  }, SETTINGS)
  return { w, clock, sink, scores, scoreHistory, settings, models, runner, logs }
}

test('the first tick trains and saves the models, then judges the last closed minute of every entity', async () => {
  const { runner, models, scores, clock, sink } = setup()
  const r = await runner.tick()
  assert.deepEqual(r.trained.map((t) => [t.tenant, t.level, t.entities]), [['acme', 'campaign', 2]])
  assert.equal(models.versions.length, 1)
  assert.equal(r.entities, 2)
  assert.equal(r.minutesJudged, 2, 'warm-up minutes are silent: one judged minute per new entity')
  const row = scores.latest.get('acme/campaign/cmp_1')!
  // At 10:40:20 with a 15 s close lag, 10:39 is the last closed minute.
  assert.equal(row.minuteMs, Math.floor((clock.now - 15_000) / MIN) * MIN - MIN)
  assert.deepEqual(Object.keys(row.scores), [...DETECTOR_NAMES])
  for (const s of Object.values(row.scores)) assert.ok(s >= 0 && s < 0.8, `ordinary minute scored ${s}`)
  assert.equal(sink.findings.length, 0)
})

test('a spend spike becomes a finding with the account, feature, expected and actual; other entities stay quiet', async () => {
  const s = setup()
  await s.runner.tick()
  // cmp_1 spends 6× in the next minute, at the same volume.
  const minute = Math.floor((s.clock.now - 15_000) / MIN) * MIN
  const h = s.w.series.get('cmp_1')!
  const k = (minute - START) / MIN
  h.minutes[k * MINUTE_STRIDE + 2] = h.minutes[k * MINUTE_STRIDE + 2]! * 6
  s.clock.now += MIN
  const r = await s.runner.tick()
  assert.equal(r.trained.length, 0)
  assert.equal(r.minutesJudged, 2)
  const f = s.sink.findings.find((x) => x.detector === 'seasonal_z')
  assert.ok(f !== undefined, `findings: ${s.sink.findings.map((x) => x.detector).join(', ')}`)
  assert.equal(f.entity, 'cmp_1')
  assert.equal(f.account, 'act_cmp_1')
  assert.equal(f.atMs, minute)
  assert.ok(['spend', 'price'].includes(f.feature))
  assert.ok(f.actual > f.expected * 2, `actual ${f.actual} vs expected ${f.expected}`)
  assert.ok(s.sink.findings.every((x) => x.entity === 'cmp_1' && x.kind === 'detector'))
})

test('a restarted runner loads the stored version and does not train; a request or the schedule retrains', async () => {
  const first = setup()
  await first.runner.tick()
  const again = setup(first.w, first.models)
  const r = await again.runner.tick()
  assert.equal(r.trained.length, 0, 'loaded, not retrained')
  assert.equal(again.runner.modelsOf('acme', 'campaign')?.version, first.models.versions[0]!.manifest.version)
  assert.ok(r.minutesJudged > 0)
  again.settings.requests = ['acme']
  again.clock.now += MIN
  const asked = await again.runner.tick()
  assert.equal(asked.trained.length, 1)
  assert.equal(first.models.versions.length, 2)
  again.clock.now += 24 * 3_600_000
  const scheduled = await again.runner.tick()
  assert.equal(scheduled.trained.length, 1, 'a day later the models are due')
  assert.ok(first.models.versions[2]!.manifest.version > first.models.versions[1]!.manifest.version)
})

test('a tenant threshold of 0.99 keeps a 6σ spike quiet; without the lease the runner does nothing', async () => {
  const s = setup()
  s.settings.threshold = 0.999
  await s.runner.tick()
  const minute = Math.floor((s.clock.now - 15_000) / MIN) * MIN
  const h = s.w.series.get('cmp_2')!
  const k = (minute - START) / MIN
  h.minutes[k * MINUTE_STRIDE + 2] = h.minutes[k * MINUTE_STRIDE + 2]! * 3
  s.clock.now += MIN
  await s.runner.tick()
  assert.equal(s.sink.findings.length, 0)
  const idle = setup(s.w, s.models, { held: () => false })
  const r = await idle.runner.tick()
  assert.equal(r.leader, false)
  assert.equal(idle.scores.latest.size, 0)
})

test('after a pause the missed minutes are judged in order, up to the catch-up limit', async () => {
  const s = setup()
  await s.runner.tick()
  s.clock.now += 5 * MIN
  const r = await s.runner.tick()
  assert.equal(r.minutesJudged, 2 * 5)
  s.clock.now += 120 * MIN
  const late = await s.runner.tick()
  assert.equal(late.minutesJudged, 2 * SETTINGS.maxCatchUpMin)
  // Every judged minute is in the score history (the latest scores hold the last only).
  const c1 = s.scoreHistory.rows.filter((r) => r.entity === 'cmp_1')
  assert.equal(s.scoreHistory.rows.length, 2 * (1 + 5 + SETTINGS.maxCatchUpMin))
  assert.deepEqual(c1.map((r) => r.minuteMs), [...c1.map((r) => r.minuteMs)].sort((a, b) => a - b), 'in order')
  assert.equal(new Set(c1.map((r) => r.minuteMs)).size, c1.length, 'each minute once')
  assert.deepEqual(c1.at(-1), { ...s.scores.latest.get('acme/campaign/cmp_1')!, tenant: 'acme', level: 'campaign' }, 'its last minute is the latest scores')
})

test('old score history is pruned at most once an hour', async () => {
  const s = setup()
  const t0 = s.clock.now
  await s.runner.tick()
  s.clock.now += 5 * MIN
  await s.runner.tick()
  s.clock.now = t0 + 60 * MIN
  await s.runner.tick()
  assert.deepEqual(s.scoreHistory.prunedAt, [t0, t0 + 60 * MIN])
})

test('a failing score history is logged; the scores, findings and the tick go on', async () => {
  const s = setup()
  s.scoreHistory.fail = new Error('ClickHouse down')
  const r = await s.runner.tick()
  assert.equal(r.minutesJudged, 2)
  assert.equal(s.scores.latest.size, 2)
  assert.ok(s.logs.some((l) => l.startsWith('ERROR detector score history not written') && l.endsWith('ClickHouse down')), s.logs.join('\n'))
})

test('in the background a retraining does not hold the tick up; the new version replaces the old when done', async () => {
  const w = world()
  const s = setup(w)
  await s.runner.tick()
  const background = new DetectorRunner({
    now: () => s.clock.now, detectors: createEntityDetectors([...DETECTOR_NAMES], 'test'), live: w.live, history: w.history, models: s.models,
    scores: s.scores, settings: s.settings, sink: s.sink, log: { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined } as never,
  }, { ...SETTINGS, awaitTraining: false })
  await background.tick()
  const before = background.modelsOf('acme', 'campaign')?.version
  s.settings.requests = ['*']
  s.clock.now += MIN
  const r = await background.tick()
  assert.equal(r.minutesJudged, 2, 'judged with the models in use while the new ones train')
  await background.settle()
  assert.ok((background.modelsOf('acme', 'campaign')?.version ?? 0) > (before ?? 0))
  s.clock.now += MIN
  const next = await background.tick()
  assert.deepEqual(next.trained.map((t) => t.level), ['campaign'], 'the finished training is reported by the next tick')
})

test('an entity new since the training gets a baseline by a retraining after newEntityRetrainMs; a too-sparse one does not call for one', async () => {
  const w = world()
  const sparse = steadyHistory('cmp_sparse', busyCampaign(5, START, TOTAL_MIN))
  // Active for 10 minutes before the live period only: under the 60 active minutes a baseline needs.
  sparse.minutes.fill(0, 0, (2 * 1440 - 10) * MINUTE_STRIDE)
  sparse.minutes.fill(0, 2 * 1440 * MINUTE_STRIDE)
  w.series.set('cmp_sparse', sparse)
  const s = setup(w)
  const first = await s.runner.tick()
  assert.equal(first.withoutBaseline, 1)
  s.clock.now += 2 * 3_600_000
  assert.deepEqual((await s.runner.tick()).trained, [], 'only the sparse entity lacks a baseline: no retraining')
  w.series.set('cmp_new', steadyHistory('cmp_new', busyCampaign(6, START, TOTAL_MIN)))
  s.clock.now += MIN
  const seen = await s.runner.tick()
  assert.equal(seen.withoutBaseline, 2)
  s.clock.now += 3_600_000
  const due = await s.runner.tick()
  assert.deepEqual(due.trained.map((t) => t.entities), [3], 'retrained for cmp_new')
})
