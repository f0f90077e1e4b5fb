import { parseArgs } from 'node:util'
import { loadConfig } from '../core/config.ts'
import { runFoldBench } from './fold.ts'

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
