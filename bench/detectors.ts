import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../core/config.ts'
import { SERIES_DETECTOR_NAMES } from '../detectors/series-detectors.ts'
import { scoreToZ } from '../detectors/stats.ts'
import { evaluateNab, loadNabCorpus, type NabDetectorResult } from './detectors-nab.ts'
import { measureDetectorSpeed, measureForest } from './detectors-speed.ts'
import { evaluateSynthetic } from './detectors-synthetic.ts'
import { renderTable } from './stats.ts'

/**
 * `npm run bench -- detectors`: the detectors' figures from one run, no servers needed —
 * training time on one week of minute data, scoring time for 10,000 entities against its
 * 50 ms budget, the synthetic ad traffic with injected anomalies, and NAB-style scores on
 * ../shared/data/nab per detector beside NAB's windowed-Gaussian baseline.
 */

/** Options of the detectors benchmark. */
export interface DetectorsBenchOptions {
  readonly entities: number
  readonly repetitions: number
  readonly nabDir: string
  readonly syntheticSeed: number
  /** Seeds of the integration test's scenario to replay. */
  readonly intSeeds: number
  readonly skip: ReadonlySet<'speed' | 'synthetic' | 'int-seeds' | 'nab'>
}

/** Where the NAB subset lives by default: ../shared/data/nab from the project root. */
export const DEFAULT_NAB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'data', 'nab')

const SCORE_BUDGET_MS = 50
const DEFAULT_THRESHOLD = 0.8

/** Runs the benchmark and prints its tables. */
export async function runDetectorsBench(o: DetectorsBenchOptions): Promise<void> {
  const log = (line: string) => process.stdout.write(`${line}\n`)
  log(`detectors benchmark (medians of ${o.repetitions} repetitions where timed; machine: ${process.arch}, Node ${process.version})`)

  if (!o.skip.has('speed')) {
    log('\n== isolation forest (6-D Gaussian, as the unit tests)')
    const f = measureForest(o.repetitions)
    log(renderTable(['what', 'measured'], [
      ['fit 100,000 points, 100 trees, ψ 256 (median)', `${f.fit100kMs.median.toFixed(1)} ms (min ${f.fit100kMs.min.toFixed(1)}, max ${f.fit100kMs.max.toFixed(1)})`],
      ['JSON of that model', `${(f.jsonBytes / 1024).toFixed(0)} KB`],
      ['AUC, 10,000 points + 50 outliers at 6–9σ: range-aware / classic scoring', `${f.aucRangeAware.toFixed(4)} / ${f.aucClassic.toFixed(4)}`],
      ['outliers scoring above 0.5', `${f.outliersAboveHalf} of 50`],
    ]))
    log('\n== speed')
    const s = await measureDetectorSpeed({ entities: o.entities, repetitions: o.repetitions, scoringThreads: loadConfig().detectors.scoringThreads, log })
    const ms = (x: number) => `${x.toFixed(1)} ms`
    log(renderTable(['what', 'median', 'min', 'max'], [
      [`baseline of one campaign, one week (${s.weekMinutes.toLocaleString('en-US')} minutes)`, ms(s.baselineMs.median), ms(s.baselineMs.min), ms(s.baselineMs.max)],
      ['its own isolation forest (50 trees, ψ 64)', ms(s.campaignForestMs.median), ms(s.campaignForestMs.min), ms(s.campaignForestMs.max)],
      ['one campaign in all', ms(s.oneCampaignMs.median), ms(s.oneCampaignMs.min), ms(s.oneCampaignMs.max)],
      [`level of ${s.campaigns} campaigns, one week each (with the level forest)`, ms(s.levelMs.median), ms(s.levelMs.min), ms(s.levelMs.max)],
      ['  of which the level forest (50 trees, ψ 256, 50k-row sample)', ms(s.levelForestMs.median), ms(s.levelForestMs.min), ms(s.levelForestMs.max)],
      [`scoring one minute of ${s.entities.toLocaleString('en-US')} entities, 4 detectors (default 50-tree level forest, ${s.scoringThreads} scoring thread${s.scoringThreads === 1 ? '' : 's'})`, ms(s.tickMs.median), ms(s.tickMs.min), ms(s.tickMs.max)],
      ['  CPU time of that (all threads)', ms(s.tickCpuMs.median), ms(s.tickCpuMs.min), ms(s.tickCpuMs.max)],
      ['the same on the runner thread alone (ADW_DETECT_SCORING_THREADS=0)', ms(s.tickSerialMs.median), ms(s.tickSerialMs.min), ms(s.tickSerialMs.max)],
      ['  CPU time of that', ms(s.tickSerialCpuMs.median), ms(s.tickSerialCpuMs.min), ms(s.tickSerialCpuMs.max)],
      ['the same with a 100-tree level forest (ADW_DETECT_TREES=100)', ms(s.tick100TreesMs.median), ms(s.tick100TreesMs.min), ms(s.tick100TreesMs.max)],
      ['  CPU time of that', ms(s.tick100TreesCpuMs.median), ms(s.tick100TreesCpuMs.min), ms(s.tick100TreesCpuMs.max)],
    ]))
    const verdict = s.tickMs.median <= SCORE_BUDGET_MS ? 'within' : 'OVER'
    const [load1] = os.loadavg()
    log(`scoring: ${s.perEntityUs.toFixed(2)} µs per entity; ${ms(s.tickMs.median)} for ${s.entities.toLocaleString('en-US')} entities is ${verdict} the ${SCORE_BUDGET_MS} ms budget (${(s.tickMs.median / SCORE_BUDGET_MS).toFixed(2)}× of it) with ${s.scoringThreads} scoring thread${s.scoringThreads === 1 ? '' : 's'}; CPU time ${ms(s.tickCpuMs.median)}; ${ms(s.tickSerialMs.median)} on one thread (${(s.tickSerialMs.median / s.tickMs.median).toFixed(2)}× the pool's time) (load average ${(load1 ?? 0).toFixed(1)} on ${os.cpus().length} cores)`)
  }

  if (!o.skip.has('synthetic')) {
    log(`\n== synthetic ad traffic with injected anomalies (threshold ${DEFAULT_THRESHOLD} = ${scoreToZ(DEFAULT_THRESHOLD).toFixed(0)}σ)`)
    const r = await evaluateSynthetic({
      seed: o.syntheticSeed, tenants: 2, campaigns: 16, ratePerSec: 20, historyDays: 3, liveHours: 12, anomalyWindowMin: 120,
      threshold: DEFAULT_THRESHOLD, closeLagMs: 15_000, log,
    })
    log(`  ${r.events.toLocaleString('en-US')} events; judged ${r.campaignDays.toFixed(2)} campaign-days; ${r.anomalies} anomalies`)
    const pct = (x: number) => (Number.isNaN(x) ? '—' : `${(100 * x).toFixed(0)}%`)
    log(renderTable(
      ['detector', 'detected', '≤ 5 min', 'median delay', 'alerts true/false', 'false / campaign-day', 'alert precision', 'NAB-style', 'NAB precision', 'NAB recall'],
      r.rows.map((x) => [
        x.detector, `${x.detected}/${x.anomalies}`, `${x.within5Min}/${x.anomalies}`, Number.isNaN(x.medianDelayMin) ? '—' : `${x.medianDelayMin.toFixed(1)} min`,
        `${x.trueAlerts}/${x.falseAlerts}`, x.falsePerCampaignDay.toFixed(2), pct(x.precision),
        x.nab === undefined ? '—' : x.nab.normalized.toFixed(1), x.nab === undefined ? '—' : pct(x.nab.precision), x.nab === undefined ? '—' : pct(x.nab.recall),
      ]),
    ))
    log(renderTable(['anomaly kind (any detector)', 'count', '≤ 5 min', 'median delay'], r.byKind.map((k) => [k.kind, String(k.count), `${k.within5Min}/${k.count}`, Number.isNaN(k.medianDelayMin) ? '—' : `${k.medianDelayMin.toFixed(1)} min`])))
  }

  if (!o.skip.has('int-seeds')) {
    // The test's live hour starts wherever the clock is within the hour, which decides how much
    // of that hour its training has seen: seed 3 (the test's) at every 5th minute, then the other seeds.
    log(`\n== the integration test's scenario (2 tenants, 10 campaigns, 40 events/s flat, 6 h history, 1 h with 4 anomalies), replayed without servers: seed 3 starting at each 5th minute of the hour, then the other seeds of 1–${o.intSeeds} on the hour`)
    const runs = [
      ...Array.from({ length: 12 }, (_, i) => ({ seed: 3, offset: i * 5 })),
      ...Array.from({ length: o.intSeeds }, (_, i) => ({ seed: i + 1, offset: 0 })).filter((run) => run.seed !== 3),
    ]
    const rows: string[][] = []
    for (const { seed, offset } of runs) {
      const r = await evaluateSynthetic({
        seed, tenants: 2, campaigns: 10, ratePerSec: 40, historyDays: 0.25, liveHours: 1, anomalyWindowMin: 60,
        threshold: DEFAULT_THRESHOLD, closeLagMs: 15_000, dayCurve: false, planEpochMs: Date.UTC(2026, 5, 1), startOffsetMin: offset, log: () => undefined,
      })
      const any = r.rows.find((x) => x.detector === 'any')
      rows.push([String(seed), `:${String(offset).padStart(2, '0')}`, `${any?.within5Min ?? 0}/${r.anomalies}`, Number.isNaN(r.maxDelayMin) ? '—' : `${r.maxDelayMin.toFixed(1)} min`, String(any?.falseAlerts ?? 0), r.campaignDays.toFixed(2)])
    }
    log(renderTable(['seed', 'starts at', 'detected ≤ 5 min', 'longest delay', 'false alerts', 'campaign-days'], rows))
  }

  if (!o.skip.has('nab')) {
    log(`\n== NAB (${o.nabDir}), standard profile, threshold per detector optimised over the corpus as NAB does`)
    const corpus = loadNabCorpus(o.nabDir)
    log(`  ${corpus.length} series, ${corpus.reduce((n, s) => n + s.values.length, 0).toLocaleString('en-US')} rows, ${corpus.reduce((n, s) => n + s.windows.length, 0)} windows`)
    const results: NabDetectorResult[] = SERIES_DETECTOR_NAMES.map((d) => evaluateNab(corpus, d))
    const groups = [...new Set(corpus.map((s) => s.group))]
    const score = (x: number) => (Number.isNaN(x) ? '—' : x.toFixed(1))
    log(renderTable(['detector', 'threshold', 'corpus', ...groups, 'scoring time'], results.map((r) => [
      r.detector === 'windowed_gaussian' ? 'windowed_gaussian (NAB baseline)' : r.detector,
      Number.isFinite(r.threshold) ? r.threshold.toFixed(4) : 'never fires', score(r.corpus.normalized),
      ...groups.map((g) => {
        const x = r.groups.find((y) => y.group === g)?.result
        return x === undefined ? '—' : Number.isNaN(x.normalized) ? `${x.detections} FP` : score(x.normalized)
      }),
      `${(r.scoreMs / 1000).toFixed(1)} s`,
    ])))
    log('precision / recall per detector and group (detections: runs of rows at or above the threshold; recall: windows detected):')
    log(renderTable(['detector', 'corpus', ...groups], results.map((r) => [
      r.detector,
      `${pr(r.corpus.precision)} / ${pr(r.corpus.recall)}`,
      ...groups.map((g) => {
        const x = r.groups.find((y) => y.group === g)?.result
        return x === undefined ? '—' : `${pr(x.precision)} / ${pr(x.recall)}`
      }),
    ])))
    log('(artificialNoAnomaly has no windows, so no NAB score: it shows the false detections.)')
  }
}

function pr(x: number): string {
  return Number.isNaN(x) ? '—' : x.toFixed(2)
}
