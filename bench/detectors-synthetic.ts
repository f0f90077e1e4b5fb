import type { Level } from '../stream/event.ts'
import { DETECTOR_NAMES } from '../detectors/detector.ts'
import { createEntityDetectors } from '../detectors/entity-detectors.ts'
import { groupIntoAlerts, judgeAlerts, type JudgedAlert } from '../detectors/evaluation.ts'
import { MINUTE_STRIDE } from '../detectors/features.ts'
import { optimizeThreshold, scoreAtThreshold, sweepFile, type NabFile, type NabResult } from '../detectors/nab-score.ts'
import { replaySeries, type ReplayFinding } from '../detectors/replay.ts'
import { createScenario, drawEvents, MinuteFolder, type Scenario } from '../detectors/testing/synthetic-scenario.ts'
import { DEFAULT_TRAINING, LevelTrainer } from '../detectors/training.ts'

/**
 * The detectors on the producer's synthetic traffic with injected anomalies (spend spike,
 * spend stop, CPC drift, click burst, planned by the producer per window), judged two ways:
 * as the product alerts (the default threshold, findings grouped into alerts per detector and
 * campaign: detection delay, false alerts per campaign-day) and NAB-style (minute scores of
 * each campaign, the anomaly as the window, threshold optimised as NAB does).
 */

/** Scenario size. */
export interface SyntheticOptions {
  readonly seed: number
  readonly tenants: number
  readonly campaigns: number
  readonly ratePerSec: number
  readonly historyDays: number
  readonly liveHours: number
  readonly anomalyWindowMin: number
  readonly threshold: number
  readonly closeLagMs: number
  /** Flat traffic and a fixed anomaly plan epoch, as in the integration test (default: day curve, plan at the live start). */
  readonly dayCurve?: boolean
  readonly planEpochMs?: number
  /** Minutes past the hour the history (and so the live period) starts: a live hour's own hour of history is that long. Default 0. */
  readonly startOffsetMin?: number
  readonly log: (line: string) => void
}

/** Per detector (and `any`, all four together): how the product's alerts fared. */
export interface SyntheticAlertRow {
  readonly detector: string
  readonly anomalies: number
  readonly detected: number
  readonly within5Min: number
  readonly medianDelayMin: number
  readonly trueAlerts: number
  readonly falseAlerts: number
  readonly falsePerCampaignDay: number
  readonly precision: number
  readonly nab: NabResult | undefined
}

/** What the synthetic evaluation found. */
export interface SyntheticResult {
  /** The longest delay of a detected anomaly (any detector), in minutes. */
  readonly maxDelayMin: number
  readonly events: number
  readonly campaignDays: number
  readonly anomalies: number
  readonly byKind: ReadonlyArray<{ kind: string; count: number; within5Min: number; medianDelayMin: number }>
  readonly rows: readonly SyntheticAlertRow[]
}

const DAY_MS = 86_400_000
const GRACE_MS = 10 * 60_000
const RESOLVE_MS = 5 * 60_000

/** Generates the scenario, trains on its history, replays the live period and judges. */
export async function evaluateSynthetic(o: SyntheticOptions): Promise<SyntheticResult> {
  const historyStartMs = Date.UTC(2026, 0, 5) + (o.startOffsetMin ?? 0) * 60_000
  const liveStartMs = historyStartMs + o.historyDays * DAY_MS
  const liveMs = o.liveHours * 3_600_000
  const scenario: Scenario = createScenario({
    seed: o.seed, tenants: o.tenants, campaigns: o.campaigns, ratePerSec: o.ratePerSec,
    historyStartMs, liveStartMs, liveMs, anomalyWindowMs: o.anomalyWindowMin * 60_000,
    ...(o.dayCurve === undefined ? {} : { dayCurve: o.dayCurve }),
    ...(o.planEpochMs === undefined ? {} : { planEpochMs: o.planEpochMs }),
  })
  const totalMinutes = (liveStartMs + liveMs - historyStartMs) / 60_000
  const folder = new MinuteFolder(historyStartMs, totalMinutes, ['campaign'])
  o.log(`  seed ${o.seed}: generating ${o.historyDays} days of history and ${o.liveHours} h with ${scenario.anomalies.length} anomalies (${o.campaigns} campaigns, ${o.ratePerSec} events/s) …`)
  const events = await drawEvents(scenario, historyStartMs, liveStartMs + liveMs, (chunk) => folder.add(chunk))

  const detectors = createEntityDetectors([...DETECTOR_NAMES], 'bench')
  const findings: ReplayFinding[] = []
  const nabFiles = new Map<string, NabFile[]>(DETECTOR_NAMES.map((d) => [d, []]))
  let entityMinutes = 0
  const historyLen = o.historyDays * 1440 * MINUTE_STRIDE
  for (const tenant of scenario.catalogue.tenants.map((t) => t.name)) {
    const level: Level = 'campaign'
    const series = folder.histories(tenant, level)
    const trainer = new LevelTrainer(tenant, level, historyStartMs, liveStartMs, { ...DEFAULT_TRAINING, seed: o.seed })
    for (const h of series) trainer.add({ ...h, minutes: h.minutes.subarray(0, historyLen) })
    const models = trainer.finish(liveStartMs)
    // Threshold 0 gives every minute's score; findings at the product threshold are filtered below.
    const r = replaySeries({ tenant, level, models, series, fromMs: liveStartMs, toMs: liveStartMs + liveMs, warmupMin: 30, detectors, threshold: 0, closeLagMs: o.closeLagMs })
    entityMinutes += r.entityMinutes
    const byEntity = new Map<string, ReplayFinding[]>()
    for (const f of r.findings) {
      if (f.score >= o.threshold) findings.push(f)
      const list = byEntity.get(f.entity) ?? []
      list.push(f)
      byEntity.set(f.entity, list)
    }
    for (const [entity, list] of byEntity) {
      const windows = scenario.anomalies.filter((a) => a.tenant === tenant && a.campaign === entity).map((a) => ({ startMs: a.startMs - (a.startMs % 60_000), endMs: a.endMs }))
      for (const d of DETECTOR_NAMES) {
        const mine = list.filter((f) => f.detector === d)
        nabFiles.get(d)?.push({
          name: `${tenant}/${entity}`,
          group: 'synthetic',
          timestampsMs: Float64Array.from(mine, (f) => f.atMs),
          scores: Float64Array.from(mine, (f) => f.score),
          windows,
        })
      }
    }
  }
  const campaignDays = entityMinutes / 1440
  const alerts = groupIntoAlerts(findings, RESOLVE_MS)
  const rowFor = (detector: string, subset: readonly JudgedAlert[]): SyntheticAlertRow => {
    const j = judgeAlerts(subset, scenario.anomalies, 'campaign', GRACE_MS)
    const delays = j.outcomes.flatMap((x) => (x.delayMs === undefined ? [] : [x.delayMs / 60_000])).sort((a, b) => a - b)
    const files = nabFiles.get(detector)
    let nab: NabResult | undefined
    if (files !== undefined) {
      const swept = files.map((f) => sweepFile(f))
      nab = scoreAtThreshold(swept, optimizeThreshold(swept).threshold)
    }
    return {
      detector,
      anomalies: j.outcomes.length,
      detected: delays.length,
      within5Min: delays.filter((d) => d <= 5).length,
      medianDelayMin: delays.length > 0 ? (delays[Math.floor((delays.length - 1) / 2)] as number) : NaN,
      trueAlerts: j.trueAlerts.length,
      falseAlerts: j.falseAlerts.length,
      falsePerCampaignDay: j.falseAlerts.length / campaignDays,
      precision: j.trueAlerts.length + j.falseAlerts.length > 0 ? j.trueAlerts.length / (j.trueAlerts.length + j.falseAlerts.length) : NaN,
      nab,
    }
  }
  const rows = [...DETECTOR_NAMES.map((d) => rowFor(d, alerts.filter((a) => a.detector === d))), rowFor('any', alerts)]
  const all = judgeAlerts(alerts, scenario.anomalies, 'campaign', GRACE_MS)
  const kinds = [...new Set(scenario.anomalies.map((a) => a.kind))]
  const byKind = kinds.map((kind) => {
    const outcomes = all.outcomes.filter((x) => x.anomaly.kind === kind)
    const delays = outcomes.flatMap((x) => (x.delayMs === undefined ? [] : [x.delayMs / 60_000])).sort((a, b) => a - b)
    return { kind, count: outcomes.length, within5Min: delays.filter((d) => d <= 5).length, medianDelayMin: delays.length > 0 ? (delays[Math.floor((delays.length - 1) / 2)] as number) : NaN }
  })
  const delays = all.outcomes.flatMap((x) => (x.delayMs === undefined ? [] : [x.delayMs / 60_000]))
  return { maxDelayMin: delays.length > 0 ? Math.max(...delays) : NaN, events, campaignDays, anomalies: scenario.anomalies.length, byKind, rows }
}
