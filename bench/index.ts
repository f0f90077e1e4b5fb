import { parseArgs } from 'node:util'
import { loadConfig } from '../core/config.ts'
import { runFoldBench } from './fold.ts'
import { runRulesBench } from './rules.ts'
import { runGatewayBench } from './gateway.ts'
import { DEFAULT_NAB_DIR, runDetectorsBench } from './detectors.ts'

/**
 * The benchmark command: `bash scripts/bench NAME [options]` (it starts the servers and points
 * the ADW_* variables at them). Each benchmark prints medians and ratios from one run.
 */

const USAGE = `usage: bash scripts/bench NAME [options]

  fold [--events N] [--drain-events M] [--repetitions R] [--stages]
      fold rate of one worker into Redis + ClickHouse without transport (N events,
      default 300000), against redis-benchmark's HINCRBY rate and ClickHouse's raw insert
      rate, and the drain through kinesalite (M events, default 100000) against its raw
      GetRecords rate; medians over R repetitions (default 3). --stages also times each
      stage of a batch alone.

  alerts [--notifications N] [--rate V] [--latency-seconds S] [--repetitions R]
      the alerts process (a child, default settings) delivering to a local signed webhook:
      notifications/s through the outbox for N verdicts at once (default 5000) beside bare
      sequential POSTs to the same receiver, and p50/p99 from verdict to receiver at V
      verdicts/s (default 100) for S seconds (default 10); medians over R repetitions (default 3).

  detectors [--entities N] [--repetitions R] [--nab-dir DIR] [--seed S] [--int-seeds K]
            [--skip speed,synthetic,int-seeds,nab]
      (no servers needed) training time on one week of minute data, scoring time for N
      entities (default 10000) against the 50 ms budget, the synthetic ad traffic with
      injected anomalies (seed S, default 7), the integration test's scenario replayed for
      seeds 1..K (default 8), and NAB-style scores on the NAB subset (default
      ../shared/data/nab) per detector beside NAB's windowed-Gaussian baseline; medians over
      R repetitions (default 5).

  gateway [--clients C] [--repetitions R] [--read-seconds S] [--think-ms T] [--campaigns N]
          [--rate E] [--e2e-seconds D] [--dashboards K]
      API read latency (p50/p99) of a gateway process under C concurrent clients (default 200,
      each waiting T ms, default 100, between an answer and its next request; plus one
      saturation run without think time) for one campaign's live windows and for a
      campaigns-table page, N campaigns (default 1500) over 3 tenants, median of R repetitions
      (default 3) of S seconds (default 10); then event -> socket latency at E events/s
      (default 10000, KPL-aggregated) for D seconds (default 30) through kinesalite, a worker
      process and a gateway process, with K dashboard sockets (default 20) watching 25
      campaigns each.

  rules [--campaigns N] [--ticks T] [--jre-sample S] [--backtest-campaigns B] [--backtest-days D]
        [--ads-per-campaign A] [--repetitions R] [--skip tick,backtest]
      one evaluation tick of the live rules engine for N active campaigns (default 10000) × 25
      rules, facts read from Redis, median of T ticks (default 10), beside json-rules-engine's
      time for the same tick (engine.run on S campaigns, default 1000, extrapolated); then the
      backtest of D days (default 7) × B campaigns (default 1000) for three rule shapes, A
      rollup rows per campaign-minute (default 1), median of R repetitions (default 3).
`

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback
  const n = Number(raw.replaceAll('_', ''))
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} expects a positive integer, got "${raw}"`)
  return n
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === 'fold') {
    const { values } = parseArgs({
      args: rest,
      options: {
        events: { type: 'string' },
        'drain-events': { type: 'string' },
        repetitions: { type: 'string' },
        stages: { type: 'boolean', default: false },
      },
    })
    await runFoldBench(loadConfig(), {
      events: positiveInt('events', values.events, 300_000),
      drainEvents: positiveInt('drain-events', values['drain-events'], 100_000),
      repetitions: positiveInt('repetitions', values.repetitions, 3),
      shards: 4,
      tenants: 5,
      campaigns: 1_000,
      stages: values.stages ?? false,
    })
    return process.exitCode === undefined ? 0 : Number(process.exitCode)
  }
  if (name === 'alerts') {
    const { values } = parseArgs({
      args: rest,
      options: { notifications: { type: 'string' }, rate: { type: 'string' }, 'latency-seconds': { type: 'string' }, repetitions: { type: 'string' } },
    })
    const notifications = positiveInt('notifications', values.notifications, 5_000)
    if (notifications > 9_000) throw new Error('--notifications is at most 9000 (the alert event log keeps about 10000 entries per tenant)')
    // Loaded on demand, so this benchmark runs even while another one's imports are being reworked.
    const { runAlertsBench } = await import('./alerts.ts')
    await runAlertsBench(loadConfig(), {
      notifications,
      rate: positiveInt('rate', values.rate, 100),
      latencySeconds: positiveInt('latency-seconds', values['latency-seconds'], 10),
      repetitions: positiveInt('repetitions', values.repetitions, 3),
    })
    return 0
  }
  if (name === 'detectors') {
    const { values } = parseArgs({
      args: rest,
      options: {
        entities: { type: 'string' },
        repetitions: { type: 'string' },
        'nab-dir': { type: 'string' },
        seed: { type: 'string' },
        'int-seeds': { type: 'string' },
        skip: { type: 'string' },
      },
    })
    const skip = new Set((values.skip ?? '').split(',').filter((x) => x !== ''))
    for (const part of skip) if (!['speed', 'synthetic', 'int-seeds', 'nab'].includes(part)) throw new Error(`--skip takes speed, synthetic, int-seeds, nab; got "${part}"`)
    await runDetectorsBench({
      entities: positiveInt('entities', values.entities, 10_000),
      repetitions: positiveInt('repetitions', values.repetitions, 5),
      nabDir: values['nab-dir'] ?? DEFAULT_NAB_DIR,
      syntheticSeed: positiveInt('seed', values.seed, 7),
      intSeeds: positiveInt('int-seeds', values['int-seeds'], 8),
      skip: skip as Set<'speed' | 'synthetic' | 'int-seeds' | 'nab'>,
    })
    return 0
  }
  if (name === 'gateway') {
    const { values } = parseArgs({
      args: rest,
      options: {
        clients: { type: 'string' },
        repetitions: { type: 'string' },
        'read-seconds': { type: 'string' },
        'think-ms': { type: 'string' },
        campaigns: { type: 'string' },
        rate: { type: 'string' },
        'e2e-seconds': { type: 'string' },
        dashboards: { type: 'string' },
      },
    })
    await runGatewayBench(loadConfig(), {
      clients: positiveInt('clients', values.clients, 200),
      repetitions: positiveInt('repetitions', values.repetitions, 3),
      readSeconds: positiveInt('read-seconds', values['read-seconds'], 10),
      thinkMs: values['think-ms'] === '0' ? 0 : positiveInt('think-ms', values['think-ms'], 100),
      tenants: 3,
      campaigns: positiveInt('campaigns', values.campaigns, 1_500),
      events: 200_000,
      rate: positiveInt('rate', values.rate, 10_000),
      e2eSeconds: positiveInt('e2e-seconds', values['e2e-seconds'], 30),
      shards: 4,
      dashboards: values.dashboards === '0' ? 0 : positiveInt('dashboards', values.dashboards, 20),
    })
    return process.exitCode === undefined ? 0 : Number(process.exitCode)
  }
  if (name === 'rules') {
    const { values } = parseArgs({
      args: rest,
      options: {
        campaigns: { type: 'string' },
        ticks: { type: 'string' },
        'jre-sample': { type: 'string' },
        'backtest-campaigns': { type: 'string' },
        'backtest-days': { type: 'string' },
        'ads-per-campaign': { type: 'string' },
        repetitions: { type: 'string' },
        skip: { type: 'string' },
      },
    })
    const skip = new Set((values.skip ?? '').split(',').filter((x) => x !== ''))
    for (const part of skip) if (!['tick', 'backtest'].includes(part)) throw new Error(`--skip takes tick, backtest; got "${part}"`)
    await runRulesBench(loadConfig(), {
      campaigns: positiveInt('campaigns', values.campaigns, 10_000),
      ticks: positiveInt('ticks', values.ticks, 10),
      jreSample: positiveInt('jre-sample', values['jre-sample'], 1_000),
      historyMinutes: 30,
      backtestCampaigns: positiveInt('backtest-campaigns', values['backtest-campaigns'], 1_000),
      backtestDays: positiveInt('backtest-days', values['backtest-days'], 7),
      adsPerCampaign: positiveInt('ads-per-campaign', values['ads-per-campaign'], 1),
      repetitions: positiveInt('repetitions', values.repetitions, 3),
      skip: skip as Set<'tick' | 'backtest'>,
    })
    return 0
  }
  process.stderr.write(name === undefined ? USAGE : `unknown benchmark "${name}"\n${USAGE}`)
  return 2
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exit(1)
  },
)
