import os from 'node:os'
import { Redis } from 'ioredis'
import type { AdwatchConfig } from '../core/config.ts'
import { createLogger } from '../core/log.ts'
import { clearRepetition, freshConfig, migrateDatabase } from './bench-env.ts'
import { measureBacktests, writeBacktestHistory, type BacktestMeasurement } from './rules-backtest.ts'
import type { TickStages } from '../rules/evaluation-runner.ts'
import { measureTicks, type TickMeasurement } from './rules-tick.ts'
import { formatRate, renderTable, summarize } from './stats.ts'

/** Options of `npm run bench -- rules`. */
export interface RulesBenchOptions {
  readonly campaigns: number
  readonly ticks: number
  /** Campaigns json-rules-engine runs on; its tick is extrapolated to all of them. */
  readonly jreSample: number
  readonly historyMinutes: number
  readonly backtestCampaigns: number
  readonly backtestDays: number
  readonly adsPerCampaign: number
  readonly repetitions: number
  readonly skip: ReadonlySet<'tick' | 'backtest'>
}

/** Budgets of DESIGN.md "Performance budgets" and of the rules issue that this benchmark checks. */
export const TICK_BUDGET_MS = 250
export const BACKTEST_BUDGET_MS = 2_000

/**
 * The rules benchmark: the live tick (EvaluationRunner, 25 rules, N campaigns, facts from
 * Redis) beside json-rules-engine on the same facts, and backtests of 7 days × 1,000 campaigns.
 * Prints medians and ratios from this run, the machine's load beside them (the figures are only
 * comparable on an otherwise idle machine), and whether each budget is met.
 */
export async function runRulesBench(base: AdwatchConfig, o: RulesBenchOptions): Promise<void> {
  const log = createLogger('warn', 'bench')
  const progress = (msg: string) => process.stderr.write(`bench rules: ${msg}\n`)
  const load0 = os.loadavg()[0]!
  const redis = new Redis(base.redis.url)
  const print = (lines: readonly string[]) => process.stdout.write(`${lines.join('\n')}\n\n`)
  print([`machine: ${os.cpus().length} CPUs, 1-minute load average ${load0.toFixed(2)} at start${load0 > os.cpus().length ? ' (above the CPU count: other work shares the machine and inflates every time below)' : ''}`])
  try {
    if (!o.skip.has('tick')) {
      const cfg = freshConfig(base, 'r')
      try {
        await migrateDatabase(cfg) // the runner reads yesterday's and last week's hour from it
        print(tickReport(await measureTicks(cfg, redis, log, { campaigns: o.campaigns, ticks: o.ticks, jreSample: Math.min(o.jreSample, o.campaigns), historyMinutes: o.historyMinutes, progress }), o))
      } finally {
        await clearRepetition(redis, cfg)
      }
    }
    if (!o.skip.has('backtest')) {
      const cfg = freshConfig(base, 'b')
      const endMs = Math.floor(Date.now() / 60_000) * 60_000
      try {
        const rowsWritten = await writeBacktestHistory(cfg, redis, { campaigns: o.backtestCampaigns, days: o.backtestDays, adsPerCampaign: o.adsPerCampaign, endMs, progress })
        const backtests = await measureBacktests(cfg, redis, { days: o.backtestDays, endMs: endMs + 30_000, repetitions: o.repetitions, progress })
        print(backtestReport(backtests, o, rowsWritten))
      } finally {
        await clearRepetition(redis, cfg)
      }
    }
  } finally {
    await redis.quit()
  }
  print([`1-minute load average at the end: ${os.loadavg()[0]!.toFixed(2)}`])
}

const STAGES: ReadonlyArray<[keyof TickStages, string]> = [
  ['feedMs', 'change-feed poll (XREAD from Redis, decode, apply to the live windows)'],
  ['readsMs', 'other reads (rule revision, metadata, budgets, baselines, scores)'],
  ['factsMs', 'fact computation (local day, windows, facts)'],
  ['evaluateMs', 'evaluation (compiled rules, alert state machines)'],
  ['outputMs', 'output (changed states written to Redis, verdicts with explanations)'],
]

const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} ms`

function tickReport(t: TickMeasurement, o: RulesBenchOptions): string[] {
  const tick = summarize(t.tickMs)
  const compiled = summarize(t.compiledMs)
  const scale = t.entities / t.jreSample
  const jre = summarize(t.jreSampleMs.map((x) => x * scale))
  const jreTick = tick.median - compiled.median + jre.median
  const nodeCpu = summarize(t.tickNodeCpuMs)
  const redisCpu = summarize(t.tickRedisCpuMs)
  const rows = [
    [`adwatch tick: EvaluationRunner.tick (change-feed poll from Redis, facts, 25 compiled rules, alert states), ${t.tickMs.length} ticks`, ms(tick.median), ms(tick.min), ms(tick.max)],
    ['  CPU of a tick in this process', ms(nodeCpu.median), ms(nodeCpu.min), ms(nodeCpu.max)],
    ['  CPU of the Redis server during a tick', ms(redisCpu.median), ms(redisCpu.min), ms(redisCpu.max)],
    ...STAGES.flatMap(([key, label]) => {
      const st = summarize(t.tickStages.map((x) => x[key]))
      const cpu = summarize(t.tickStagesCpu.map((x) => x[key]))
      return [[`  stage: ${label}`, ms(st.median), ms(st.min), ms(st.max)], ['    its CPU in this process', ms(cpu.median), ms(cpu.min), ms(cpu.max)]]
    }),
    [`first tick (loads every campaign's windows from Redis)`, ms(t.firstTickMs), '', ''],
    [`rule evaluation alone (RuleEvaluator.evaluate on facts objects, ${formatRate(t.evaluations)} rule × campaign, warm evaluator)`, ms(compiled.median), ms(compiled.min), ms(compiled.max)],
    [`json-rules-engine engine.run per campaign, same facts and rules (${formatRate(t.jreSample)} campaigns timed, × ${scale.toFixed(1)})`, ms(jre.median), ms(jre.min), ms(jre.max)],
    ['json-rules-engine tick (adwatch tick − compiled evaluation + engine.run)', ms(jreTick), '', ''],
  ]
  return [
    `rules tick: ${formatRate(t.entities)} active campaigns × 25 rules, traffic written through RedisCounterStore.applyBatch before each tick (${o.historyMinutes} minutes of history)`,
    renderTable(['what', 'median', 'min', 'max'], rows),
    `json-rules-engine ÷ compiled evaluation: ${(jre.median / compiled.median).toFixed(0)}×; json-rules-engine tick ÷ adwatch tick: ${(jreTick / tick.median).toFixed(1)}×`,
    `same answers: ${formatRate(t.compiledTrue)} rule × campaign pairs true for the compiled rules, ${formatRate(t.jreTrue)} events from json-rules-engine on the ${formatRate(t.jreSample)} campaigns timed${t.compiledTrue === t.jreTrue ? '' : ' — MISMATCH'}`,
    `transitions over the ticks: ${formatRate(t.transitions)}`,
    `tick budget ≤ ${TICK_BUDGET_MS} ms: ${tick.median <= TICK_BUDGET_MS ? 'met' : 'NOT met'} (median ${ms(tick.median)})`,
  ]
}

function backtestReport(ms0: readonly BacktestMeasurement[], o: RulesBenchOptions, rowsWritten: number): string[] {
  const minutes = o.backtestDays * 1_440 * o.backtestCampaigns
  const rows = ms0.map((m) => {
    const med = (f: (r: (typeof m.runs)[number]) => number) => summarize(m.runs.map(f))
    const total = med((r) => r.report.stats.totalMs)
    const last = m.runs[m.runs.length - 1]!.report
    return [
      m.rule, ms(total.median), `${ms(total.min)}–${ms(total.max)}`, ms(med((r) => r.report.stats.waitMs).median), ms(med((r) => r.report.stats.replayMs).median),
      ms(med((r) => r.nodeCpuMs).median), ms(med((r) => r.clickHouseCpuMs).median),
      formatRate(last.stats.rowsRead), (last.stats.bytesRead / 1e6).toFixed(1), formatRate(last.totals.intervals),
      total.median < BACKTEST_BUDGET_MS ? 'met' : 'NOT met',
    ]
  })
  return [
    `backtest: ${o.backtestDays} days × ${formatRate(o.backtestCampaigns)} campaigns = ${formatRate(minutes)} campaign-minutes evaluated; ${formatRate(rowsWritten)} rollup rows in the table (${o.adsPerCampaign} row${o.adsPerCampaign === 1 ? '' : 's'} per campaign-minute); medians of ${o.repetitions}`,
    renderTable(['rule', 'median', 'min–max', 'waiting for ClickHouse', 'replay', 'CPU here', 'CPU ClickHouse', 'rows read', 'MB read', 'intervals', `< ${BACKTEST_BUDGET_MS / 1000} s`], rows),
    '(waiting: time the replay had nothing to do while ClickHouse answered; the rest of each read overlaps the replay of the previous',
    ' slice. CPU: user + system time of this process and of ClickHouse\'s queries (its query log), medians; on a loaded machine they',
    ' stay close to what the work costs while the wall times grow with the wait for a core)',
  ]
}
