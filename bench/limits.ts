import { spawn } from 'node:child_process'
import { createClickHouse } from '../core/clickhouse.ts'
import type { AdwatchConfig } from '../core/config.ts'
import { ident } from '../core/sql.ts'
import type { AdEvent } from '../stream/event.ts'
import { countEventRows, dropDatabase, migrateDatabase } from './bench-env.ts'

/**
 * The yardsticks the fold is compared with, measured on the same machine in the same run:
 * Redis's pipelined HINCRBY rate (redis-benchmark) and ClickHouse's raw insert rate.
 */

/** redis-benchmark's arguments: 1M pipelined HINCRBY over 100k hashes. */
export const REDIS_BENCHMARK_COMMAND = ['-n', '1000000', '-P', '64', '-r', '100000', '-q', 'hincrby', 'camp:__rand_int__', 'spend', '7'] as const

/** Runs redis-benchmark against the config's Redis; returns its requests per second. */
export async function measureRedisBenchmark(cfg: AdwatchConfig): Promise<number> {
  const url = new URL(cfg.redis.url)
  const args = ['-h', url.hostname, '-p', url.port === '' ? '6379' : url.port, ...REDIS_BENCHMARK_COMMAND]
  const output = await runCommand('redis-benchmark', args)
  return parseRedisBenchmark(output)
}

/** The last "N requests per second" figure of redis-benchmark's output (-q prints progress first). */
export function parseRedisBenchmark(output: string): number {
  const matches = [...output.matchAll(/([\d.]+) requests per second/g)]
  const last = matches[matches.length - 1]
  if (last === undefined) throw new Error(`redis-benchmark printed no "requests per second": ${output.slice(-300)}`)
  return Number(last[1])
}

/** A row of the `events` table, as ClickHouseHistoryWriter.insertEvents builds it. */
export type EventRow = Record<string, string | number>

/** Rows of the events table shape for decoded events, spread over `shards` shards. */
export function eventRows(events: readonly AdEvent[], stream: string, shards: number, nowMs: number): EventRow[] {
  const ingestedAt = Math.floor(nowMs / 1000)
  return events.map((e, i) => ({
    tenant: e.tenant,
    platform: e.platform,
    account: e.account,
    campaign: e.campaign,
    adset: e.adset,
    ad: e.ad,
    id: e.id,
    type: e.type,
    ts: Math.floor(e.tsMs / 1000),
    ts_ms: e.tsMs,
    impressions: e.impressions,
    clicks: e.clicks,
    spend_micros: e.spendMicros,
    conversions: e.conversions,
    revenue_micros: e.revenueMicros,
    currency: e.currency,
    stream,
    shard: `shardId-${String(i % shards).padStart(12, '0')}`,
    pos: String(i).padStart(62, '0'),
    ingested_at: ingestedAt,
  }))
}

/**
 * Inserts `rows` into a fresh, migrated `events` table (its materialized views included, as
 * the sink's inserts) in JSONEachRow batches of `batchRows`, `lanes` inserts in flight as the
 * fold's shards. Returns rows per second; throws unless every row landed.
 */
export async function measureClickHouseInsert(cfg: AdwatchConfig, rows: readonly EventRow[], batchRows: number, lanes: number): Promise<number> {
  await migrateDatabase(cfg)
  const ch = createClickHouse(cfg.clickhouse)
  const table = `${ident(cfg.clickhouse.database).text}.${ident('events').text}`
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < rows.length) {
      const from = next
      next += batchRows
      await ch.insert({ table, values: rows.slice(from, from + batchRows) as EventRow[], format: 'JSONEachRow' })
    }
  }
  try {
    const t0 = performance.now()
    await Promise.all(Array.from({ length: lanes }, lane))
    const seconds = (performance.now() - t0) / 1000
    const landed = await countEventRows(cfg)
    if (landed !== rows.length) throw new Error(`ClickHouse insert: ${landed} rows landed, not ${rows.length}`)
    return rows.length / seconds
  } finally {
    await ch.close()
    await dropDatabase(cfg)
  }
}

function runCommand(cmd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (b: Buffer) => (out += b.toString()))
    child.stderr.on('data', (b: Buffer) => (out += b.toString()))
    child.once('error', (err) => reject(new Error(`cannot run ${cmd}: ${err.message} (install redis-tools: bash scripts/services install)`)))
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited with ${code}: ${out.slice(-300)}`))))
  })
}
