import { renameSync, writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { loadConfig, type AdwatchConfig } from '../../core/config.ts'
import { AdwatchError } from '../../core/errors.ts'
import { createKinesisClient } from '../../core/kinesis-client.ts'
import { planAnomalies, type Anomaly } from './anomalies.ts'
import { buildCatalogue, tenantNames } from './catalogue.ts'
import { ensureStream, listOpenShards } from './ensure-stream.ts'
import { putEvents, type ShardHashRange } from './put-records.ts'
import { createTrafficGenerator } from './traffic.ts'

/**
 * The synthetic producer: `npx tsx stream/producer/main.ts [--rate N] [--duration S]
 * [--anomalies FILE] [--aggregate]`. Puts catalogue traffic into the stream in real time,
 * in ticks of ~100 ms, until the duration ends or SIGINT/SIGTERM (the request in flight
 * finishes, then exit 0).
 */

const TICK_MS = 100
const STATUS_EVERY_MS = 5_000
/** A tick never covers more than this: after a stall the producer skips ahead instead of bursting. */
const MAX_CATCH_UP_MS = 10_000
/** Anomalies are planned per window of this length when the run has no duration. */
const ANOMALY_WINDOW_MS = 30 * 60_000
const UNBOUNDED_HORIZON_MS = 24 * 3_600_000
const SHARD_REFRESH_MS = 60_000

/** The tenant names the producer writes, so the local runner can register them first. */
export function syntheticTenantNames(config: Pick<AdwatchConfig, 'producer'>): string[] {
  return tenantNames(config.producer.tenants)
}

/** Command-line overrides of the producer's configuration. */
export interface ProducerArgs {
  readonly ratePerSec?: number
  readonly durationSec?: number
  readonly anomaliesFile?: string
  readonly aggregate?: boolean
}

/** Parses the command line; throws ADW_CONFIG_INVALID naming the bad flag. */
export function parseProducerArgs(argv: readonly string[]): ProducerArgs {
  let values
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        rate: { type: 'string' },
        duration: { type: 'string' },
        anomalies: { type: 'string' },
        aggregate: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }).values
  } catch (err) {
    throw new AdwatchError('ADW_CONFIG_INVALID', `${(err as Error).message}; usage: main.ts [--rate N] [--duration S] [--anomalies FILE] [--aggregate]`, { cause: err })
  }
  const positive = (flag: string, raw: string | undefined): number | undefined => {
    if (raw === undefined) return undefined
    const n = Number(raw)
    if (!Number.isFinite(n) || n <= 0) throw new AdwatchError('ADW_CONFIG_INVALID', `--${flag}: expected a positive number, got "${raw}"`)
    return n
  }
  return {
    ...(values.rate === undefined ? {} : { ratePerSec: positive('rate', values.rate) }),
    ...(values.duration === undefined ? {} : { durationSec: positive('duration', values.duration) }),
    ...(values.anomalies === undefined ? {} : { anomaliesFile: values.anomalies }),
    ...(values.aggregate === undefined ? {} : { aggregate: values.aggregate }),
  }
}

/** Totals of a producer run. */
export interface ProducerStats {
  events: number
  kinesisRecords: number
  requests: number
  retries: number
}

/**
 * Runs the producer until `signal` aborts or the duration ends. The stream is created when
 * missing. Returns what was sent; throws when Kinesis keeps failing past the retries.
 */
export async function runProducer(
  config: AdwatchConfig,
  args: ProducerArgs,
  signal: AbortSignal,
  log: (line: string) => void = (line) => console.log(line),
): Promise<ProducerStats> {
  const { kinesis, producer } = config
  const rate = args.ratePerSec ?? producer.ratePerSec
  const aggregate = args.aggregate ?? producer.aggregate
  const client = createKinesisClient(kinesis)
  const stats: ProducerStats = { events: 0, kinesisRecords: 0, requests: 0, retries: 0 }
  try {
    const stream = await ensureStream(client, kinesis.streamName, kinesis.shardCount)
    log(`producer: stream "${stream.streamName}" ${stream.created ? 'created' : 'found'} with ${stream.openShardCount} open shards`)

    const startMs = Date.now()
    const endMs = args.durationSec === undefined ? undefined : startMs + args.durationSec * 1000
    const catalogue = buildCatalogue({ seed: producer.seed, tenants: producer.tenants, campaigns: producer.campaigns })
    const anomalies = args.anomaliesFile === undefined ? [] : planRun(catalogue, producer.seed, startMs, endMs)
    const generator = createTrafficGenerator({ catalogue, seed: producer.seed, anomalies, idPrefix: `e-${producer.seed}-${startMs.toString(36)}` })
    log(`producer: ${catalogue.tenants.length} tenants, ${catalogue.accounts.length} accounts, ${catalogue.campaigns.length} campaigns; ${rate} events/s (day average)${aggregate ? ', KPL-aggregated' : ''}${endMs === undefined ? '' : ` for ${args.durationSec} s`}`)

    let shards: ShardHashRange[] = []
    let shardsAt = -Infinity
    let writtenAnomalies = -1
    const writeAnomalies = (nowMs: number, final: boolean): void => {
      if (args.anomaliesFile === undefined) return
      const started = anomalies.filter((a) => a.startMs <= nowMs).map((a) => (final && a.endMs > nowMs ? { ...a, endMs: nowMs } : a))
      if (started.length === writtenAnomalies && !final) return
      writtenAnomalies = started.length
      writeJsonAtomically(args.anomaliesFile, started)
    }
    writeAnomalies(startMs, false)

    let cursor = startMs
    let statusAt = startMs
    let statusEvents = 0
    while (!signal.aborted) {
      const now = Date.now()
      const to = endMs === undefined ? now : Math.min(now, endMs)
      if (to > cursor) {
        if (aggregate && now - shardsAt >= SHARD_REFRESH_MS) {
          shards = await listOpenShards(client, kinesis.streamName)
          shardsAt = now
        }
        const from = Math.max(cursor, to - MAX_CATCH_UP_MS)
        if (from > cursor) log(`producer: fell ${((from - cursor) / 1000).toFixed(1)} s behind; skipping ahead`)
        const events = generator.events(from, to - from, rate)
        cursor = to
        if (events.length > 0) {
          const res = await putEvents(client, kinesis.streamName, events, {
            aggregate,
            shardHashRanges: shards,
            onRetry: (r) => log(`producer: retry ${r.attempt} of ${r.records} records in ${r.delayMs} ms: ${r.reason}`),
          })
          stats.events += res.records
          stats.kinesisRecords += res.kinesisRecords
          stats.requests += res.requests
          stats.retries += res.retries
        }
        writeAnomalies(cursor, false)
      }
      if (endMs !== undefined && cursor >= endMs) break
      const after = Date.now()
      if (after - statusAt >= STATUS_EVERY_MS) {
        const ratePerSec = ((stats.events - statusEvents) * 1000) / (after - statusAt)
        log(`producer: ${stats.events} events sent (${stats.kinesisRecords} records, ${stats.requests} requests), ${Math.round(ratePerSec)} events/s, ${stats.retries} retries`)
        statusAt = after
        statusEvents = stats.events
      }
      const wait = cursor + TICK_MS - after
      if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined)
    }
    writeAnomalies(cursor, true)
    log(`producer: stopped after ${stats.events} events (${stats.kinesisRecords} records, ${stats.requests} requests, ${stats.retries} retries)`)
    return stats
  } finally {
    client.destroy()
  }
}

/** Anomalies over the run: per 30-minute window when unbounded (up to 24 h), else one set over the duration. */
function planRun(catalogue: ReturnType<typeof buildCatalogue>, seed: number, startMs: number, endMs: number | undefined): Anomaly[] {
  if (endMs !== undefined) return planAnomalies(catalogue, { seed, startMs, durationMs: endMs - startMs })
  const out: Anomaly[] = []
  for (let from = startMs; from < startMs + UNBOUNDED_HORIZON_MS; from += ANOMALY_WINDOW_MS) {
    out.push(...planAnomalies(catalogue, { seed, startMs: from, durationMs: ANOMALY_WINDOW_MS }))
  }
  return out
}

function writeJsonAtomically(file: string, value: unknown): void {
  const tmp = `${file}.tmp-${process.pid}`
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`)
  renameSync(tmp, file)
}

async function main(): Promise<void> {
  const args = parseProducerArgs(process.argv.slice(2))
  const config = loadConfig()
  const controller = new AbortController()
  const stop = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      console.error(`producer: second ${sig}, exiting now`)
      process.exit(130)
    }
    console.log(`producer: ${sig} received, finishing the request in flight`)
    controller.abort()
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  await runProducer(config, args, controller.signal)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => {
      process.exitCode = 0
    },
    (err: unknown) => {
      console.error(`producer: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`)
      const isUsageError = err instanceof AdwatchError && err.code === 'ADW_CONFIG_INVALID'
      if (!isUsageError && err instanceof Error && err.cause !== undefined) console.error('  cause:', err.cause)
      process.exitCode = 1
    },
  )
}
