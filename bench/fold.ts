import os from 'node:os'
import type { AdwatchConfig } from '../core/config.ts'
import { createKinesisClient } from '../core/kinesis-client.ts'
import { createLogger } from '../core/log.ts'
import { decodeEvent } from '../stream/decode.ts'
import type { AdEvent } from '../stream/event.ts'
import { evenShardIndex } from '../stream/kpl.ts'
import { freshConfig, generateTrafficSet, type EventSet } from './bench-env.ts'
import { deleteStream, fillStream, measureDrain, measureRawGetRecords } from './drain.ts'
import { measureClickHouseBlockInsert } from './fold-limits.ts'
import { runFoldRepetition, type FoldRepetition } from './fold-run.ts'
import { measureStages, STAGES, type StageTimes } from './fold-stages.ts'
import { measureRedisBenchmark } from './limits.ts'
import { MemoryShardSource, type MemoryRecord } from './memory-shard-source.ts'
import { pidListeningOn, schedSample, schedShare } from './server-process.ts'
import { formatRate, renderTable, summarize, type Summary } from './stats.ts'

/** Options of the fold benchmark (`npm run bench -- fold --events N --drain-events M`). */
export interface FoldBenchOptions {
  readonly events: number
  readonly drainEvents: number
  readonly repetitions: number
  readonly shards: number
  readonly tenants: number
  readonly campaigns: number
  /** Also time each stage of a batch alone (decode, claims, fold, encode, Redis apply, ClickHouse insert). */
  readonly stages: boolean
  /** Rate of event time of the generated traffic (default: the fold budget, real-time traffic a worker must keep up with). */
  readonly eventsPerSec?: number
}

/** Budgets of DESIGN.md "Performance budgets" that this benchmark checks. */
export const FOLD_BUDGET_EVENTS_PER_SEC = 100_000
export const DRAIN_BUDGET_RATIO = 0.9

/**
 * Measures, in one run and as medians over the repetitions: the fold rate of one worker into
 * both sinks without transport, the yardsticks it is held against (redis-benchmark's HINCRBY
 * rate, ClickHouse's raw insert rate in the sink's block format), and the drain through
 * kinesalite against its raw GetRecords rate. The traffic is the synthetic producer's, in time
 * order, as real-time traffic arrives. Prints progress on stderr and the table on stdout.
 */
export async function runFoldBench(base: AdwatchConfig, o: FoldBenchOptions): Promise<void> {
  const log = createLogger('warn', 'bench')
  const progress = (msg: string) => process.stderr.write(`bench fold: ${msg}\n`)
  const eventsPerSec = o.eventsPerSec ?? FOLD_BUDGET_EVENTS_PER_SEC
  const gen = (count: number, seed: number) => generateTrafficSet({ count, tenants: o.tenants, campaigns: o.campaigns, seed, nowMs: Date.now(), eventsPerSec })

  progress(`generating ${formatRate(o.events)} events of real-time traffic at ${formatRate(eventsPerSec)}/s over ${o.campaigns} campaigns of ${o.tenants} tenants (untimed)`)
  const foldSet = gen(o.events, 1)
  const source = new MemoryShardSource(splitByShard(foldSet, o.shards), Date.now())
  const decoded = decodeAll(foldSet)
  const blockRows = base.consumer.sinkBatchMaxRecords

  const fold: FoldRepetition[] = []
  const redisLimit: number[] = []
  const chInsert: number[] = []
  // The same fold once untimed first: the first repetition would otherwise also time the JIT
  // compiling the sink's hot paths (decodeAll above has only warmed the decoder).
  progress('warm-up fold (untimed)')
  await runFoldRepetition(freshConfig(base, 'fw'), source, foldSet, o.events, log)
  for (let rep = 1; rep <= o.repetitions; rep++) {
    progress(`repetition ${rep}/${o.repetitions}: fold`)
    fold.push(await runFoldRepetition(freshConfig(base, 'f'), source, foldSet, o.events, log))
    progress(`repetition ${rep}/${o.repetitions}: redis-benchmark, ClickHouse raw insert`)
    redisLimit.push(await measureRedisBenchmark(base))
    chInsert.push(await measureClickHouseBlockInsert(freshConfig(base, 'c'), decoded, blockRows, o.shards))
  }
  let stages: StageTimes | undefined
  if (o.stages) {
    progress('stages, one at a time')
    stages = await measureStages(freshConfig(base, 's'), source, foldSet, o.events, log)
  }

  progress(`generating and putting ${formatRate(o.drainEvents)} events into kinesalite (${o.shards} shards; untimed)`)
  const drainSet = gen(o.drainEvents, 2)
  const kinesis = createKinesisClient(base.kinesis)
  const raw: number[] = []
  const drain: number[] = []
  // kinesalite cannot report its own CPU: found by its port, its threads' scheduler statistics
  // show whether it was busy, idle (no request to serve) or waiting for a core in each phase.
  const port = kinesisPort(base)
  const kinesalitePid = port === undefined ? undefined : pidListeningOn(port)
  const rawSched: Array<{ busy: number; waiting: number }> = []
  const drainSched: Array<{ busy: number; waiting: number }> = []
  const timedSched = async (into: typeof rawSched, measure: () => Promise<number>, total: number): Promise<number> => {
    const before = kinesalitePid === undefined ? undefined : schedSample(kinesalitePid)
    const rate = await measure()
    const share = schedShare(before, kinesalitePid === undefined ? undefined : schedSample(kinesalitePid), total / rate)
    if (share !== undefined) into.push(share)
    return rate
  }
  const streamName = freshConfig(base, 'd').kinesis.streamName
  try {
    const filled = await fillStream(kinesis, streamName, o.shards, drainSet)
    for (let rep = 1; rep <= o.repetitions; rep++) {
      progress(`repetition ${rep}/${o.repetitions}: raw GetRecords, drain through a worker`)
      raw.push(await timedSched(rawSched, () => measureRawGetRecords(kinesis, filled, base.consumer.batchMaxRecords), filled.total))
      const cfg = freshConfig(base, 'd')
      drain.push(await timedSched(drainSched, () => measureDrain({ ...cfg, kinesis: { ...cfg.kinesis, streamName } }, filled, drainSet, log), filled.total))
    }
  } finally {
    await deleteStream(kinesis, streamName).catch(() => undefined)
    kinesis.destroy()
  }

  const foldRate = summarize(fold.map((r) => r.events / (r.wallMs / 1000)))
  const redisRate = summarize(redisLimit)
  const chRate = summarize(chInsert)
  const rawRate = summarize(raw)
  const drainRate = summarize(drain)
  const drainRatio = drainRate.median / rawRate.median
  const yesNo = (ok: boolean) => (ok ? 'yes' : 'NO')
  const row = (what: string, s: Summary, ratio: string, budget: string, met: string) => [what, formatRate(s.median), formatRate(s.min), formatRate(s.max), ratio, budget, met]
  const shardNote = `${o.shards} shards`
  console.log(
    `adwatch fold benchmark: ${os.cpus().length} cores, Node ${process.version}, ${o.repetitions} repetitions after an untimed warm-up fold, fold ${formatRate(o.events)} events ` +
      `(real-time traffic at ${formatRate(eventsPerSec)}/s of event time: ${(foldSet.spanMs / 1000).toFixed(1)} s, ${o.campaigns} campaigns), drain ${formatRate(o.drainEvents)} events, ` +
      `worker batches of up to ${formatRate(blockRows)} records (wait ${base.consumer.sinkBatchMaxWaitMs} ms, read-ahead ${formatRate(base.consumer.shardReadAheadRecords)} per shard), ClickHouse inserts of up to ${formatRate(base.consumer.clickhouseMaxPendingRecords)} records, GetRecords pages of ${base.consumer.batchMaxRecords}`,
  )
  console.log(
    renderTable(
      ['what', 'median', 'min', 'max', 'ratio to limit', 'budget', 'met'],
      [
        row(`fold, 1 worker, ${shardNote}, Redis + ClickHouse (events/s)`, foldRate, `${ratio(foldRate.median, chRate.median)} ClickHouse raw insert`, `>= ${formatRate(FOLD_BUDGET_EVENTS_PER_SEC)}/s`, yesNo(foldRate.median >= FOLD_BUDGET_EVENTS_PER_SEC)),
        row('limit: redis-benchmark HINCRBY -P 64 -r 100000 (ops/s)', redisRate, '', '', ''),
        row(`limit: ClickHouse raw insert, ${formatRate(blockRows)}-row RowBinary blocks, one at a time (rows/s)`, chRate, '', '', ''),
        row(`limit: kinesalite raw GetRecords, ${shardNote}, Limit ${base.consumer.batchMaxRecords} (records/s)`, rawRate, '', '', ''),
        row('drain via startWorker, Redis + ClickHouse (events/s)', drainRate, `${ratio(drainRate.median, rawRate.median)} raw GetRecords`, `>= ${DRAIN_BUDGET_RATIO}x raw`, yesNo(drainRatio >= DRAIN_BUDGET_RATIO)),
      ],
    ),
  )
  console.log(kinesaliteLine(rawSched, drainSched))
  console.log(`fold CPU per repetition (cores busy = CPU s / wall s): ${fold.map(cpuLine).join('; ')}`)
  console.log(cpuPerEventLine(fold))
  console.log(`fold worker batches per repetition: ${fold.map((r) => `${r.batches} (mean ${formatRate(r.events / Math.max(1, r.batches))} records)`).join('; ')}`)
  const perEvent = commandsPerEvent(fold[fold.length - 1]!)
  console.log(
    `Redis commands per folded event (inside the scripts): ${perEvent.total.toFixed(2)} (${perEvent.top}); at redis-benchmark's ` +
      `median rate that alone bounds the fold near ${formatRate(redisRate.median / perEvent.total)} events/s`,
  )
  if (stages !== undefined) {
    const total = STAGES.reduce((sum, s) => sum + stages.wallMs[s], 0)
    console.log(`\nstages alone, one at a time (${formatRate(stages.events)} events in ${stages.batches} worker batches; sum ${formatRate(stages.events / (total / 1000))} events/s):`)
    console.log(
      renderTable(
        ['stage', 'ms', 'share', 'us/event', 'events/s alone', 'Redis CPU ms'],
        STAGES.map((s) => {
          const ms = stages.wallMs[s]
          const cpu = stages.redisCpuMs[s]
          return [s, ms.toFixed(0), `${((100 * ms) / total).toFixed(1)}%`, ((1000 * ms) / stages.events).toFixed(2), formatRate(stages.events / (ms / 1000)), cpu === undefined ? '' : cpu.toFixed(0)]
        }),
      ),
    )
  }
  const failed = foldRate.median < FOLD_BUDGET_EVENTS_PER_SEC || drainRatio < DRAIN_BUDGET_RATIO
  if (failed) process.exitCode = 1
}

function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}x`
}

/** Data commands Redis ran per event (the script calls themselves and the bench's own reads left out). */
function commandsPerEvent(r: FoldRepetition): { total: number; top: string } {
  const skip = new Set(['evalsha', 'eval', 'script|load', 'hgetall', 'smembers', 'scan', 'unlink'])
  const counted = [...r.redisCalls].filter(([name]) => !skip.has(name)).sort((a, b) => b[1] - a[1])
  const total = counted.reduce((sum, [, n]) => sum + n, 0) / r.events
  const top = counted.slice(0, 5).map(([name, n]) => `${name.toUpperCase()} ${(n / r.events).toFixed(3)}`).join(', ')
  return { total, top }
}

function cpuLine(r: FoldRepetition): string {
  const s = r.wallMs / 1000
  return `node ${(r.cpuSec.node / s).toFixed(2)}, redis ${(r.cpuSec.redis / s).toFixed(2)}, clickhouse ${(r.cpuSec.clickhouse / s).toFixed(2)}, machine ${(r.cpuSec.machine / s).toFixed(2)}`
}

/** CPU per event of each process (medians over the repetitions): what bounds the rate on few cores. */
function cpuPerEventLine(fold: readonly FoldRepetition[]): string {
  const us = (pick: (r: FoldRepetition) => number) => summarize(fold.map((r) => (1e6 * pick(r)) / r.events)).median
  const node = us((r) => r.cpuSec.node)
  const redis = us((r) => r.cpuSec.redis)
  const ch = us((r) => r.cpuSec.clickhouse)
  return (
    `fold CPU per event (median): node ${node.toFixed(1)} us, redis ${redis.toFixed(1)} us, clickhouse queries ${ch.toFixed(1)} us; ` +
    `sum ${(node + redis + ch).toFixed(1)} us, so ${os.cpus().length} cores bound the fold near ${formatRate((os.cpus().length * 1e6) / (node + redis + ch))} events/s ` +
    `and Node's one thread near ${formatRate(1e6 / node)} events/s`
  )
}

/** The loopback port of the Kinesis endpoint, if it is a local server. */
function kinesisPort(cfg: AdwatchConfig): number | undefined {
  const endpoint = cfg.kinesis.endpoint
  if (endpoint === undefined) return undefined
  const url = new URL(endpoint)
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost' && url.hostname !== '[::1]') return undefined
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80))
}

/** Where kinesalite's time went in the raw reads and in the drains (medians over repetitions). */
function kinesaliteLine(raw: ReadonlyArray<{ busy: number; waiting: number }>, drain: ReadonlyArray<{ busy: number; waiting: number }>): string {
  if (raw.length === 0 || drain.length === 0) return 'kinesalite process not found by its port: its CPU was not measured'
  const med = (xs: ReadonlyArray<{ busy: number; waiting: number }>, k: 'busy' | 'waiting') => summarize(xs.map((x) => x[k])).median.toFixed(2)
  return (
    `kinesalite (all its threads, medians): raw GetRecords busy ${med(raw, 'busy')} cores, ready but waiting for a core ${med(raw, 'waiting')}; ` +
    `drain busy ${med(drain, 'busy')} cores, waiting ${med(drain, 'waiting')} (busy below the raw reads' share: no request to serve, or no core free)`
  )
}

/** Splits records over shards by partition key, as Kinesis routes them in an evenly split stream. */
function splitByShard(set: EventSet, shards: number): Map<string, MemoryRecord[]> {
  const out = new Map<string, MemoryRecord[]>()
  for (let i = 0; i < shards; i++) out.set(`shardId-${String(i).padStart(12, '0')}`, [])
  const ids = [...out.keys()]
  for (const r of set.records) out.get(ids[evenShardIndex(r.partitionKey, shards)]!)!.push(r)
  return out
}

/** Decodes every record of a set of valid events (for the ClickHouse reference rows). */
function decodeAll(set: EventSet): AdEvent[] {
  const ctx = { nowMs: Date.now(), maxLatenessMs: Number.MAX_SAFE_INTEGER, maxFutureMs: Number.MAX_SAFE_INTEGER, isKnownTenant: () => true }
  return set.records.map((r) => {
    const d = decodeEvent(r.data, ctx)
    if (d.kind !== 'event') throw new Error(`generated record is invalid (${d.code}): ${d.reason}`)
    return d.event
  })
}
