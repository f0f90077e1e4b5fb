import type { ClickHouseClient } from '@clickhouse/client'
import { dateTime, ident, join, raw, sql, type SqlFragment } from '../core/sql.ts'
import type { Level } from '../stream/event.ts'
import { BacktestReadError } from './backtest-errors.ts'
import { METRIC_COLUMNS } from './backtest-facts.ts'
import { decodeNative, type NativeBlock, type NativeColumn } from './backtest-native.ts'
import type { BacktestSlice } from './backtest.ts'
import type { EntityLabels } from './scope.ts'

/**
 * Reads the minute rollups a backtest replays, one slice of time per query, in a compact form:
 * per entity of the level, the minute of each row (2 bytes) and each metric the rule needs
 * (4 bytes, with the rare values above 2^32 sent apart), grouped by entity on the server and
 * shipped in ClickHouse's Native format. Rows are not summed per minute on the server: on
 * ClickHouse 18.16 a GROUP BY over ten million (entity, minute) keys took 10–30 s here, while
 * grouping by entity alone and adding up in the core costs nothing extra.
 */

/** One entity's rows within a slice (see EntitySeries in backtest.ts, which adds settings). */
export interface RollupSeries {
  readonly entity: string
  readonly labels: EntityLabels
  /** Minutes since the request's readStartMs. */
  readonly minutes: Uint16Array
  /** Per metric index; the low 32 bits of each row's value for the metrics asked for. */
  readonly values: ReadonlyArray<Uint32Array | undefined>
  /** [minute, metric index, amount]: what the 32-bit values lack (rows above 2^32). */
  readonly extra: ReadonlyArray<readonly [number, number, number]>
}

/** What to read: one slice of a tenant's rollups at one level. */
export interface RollupSliceRequest {
  readonly tenant: string
  readonly level: Level
  /** Minute 0 of the returned minute indexes. */
  readonly readStartMs: number
  readonly slice: BacktestSlice
  /** Metric indexes (METRIC_INDEX, 0–4) to return. */
  readonly metrics: readonly number[]
  /** Optional pushdown of the rule's scope (the core checks the whole scope again). */
  readonly accounts?: readonly string[]
  readonly platforms?: readonly string[]
}

/** A slice as read, with what it cost. */
export interface RollupSlice {
  readonly series: RollupSeries[]
  readonly rows: number
  readonly bytes: number
}

/** Where a backtest's history comes from. */
export interface RollupSource {
  readSlice(req: RollupSliceRequest): Promise<RollupSlice>
}

/** Minute indexes travel as UInt16: the read range may span at most this many minutes. */
export const MAX_READ_MINUTES = 65_535
const OVERFLOW = 4_294_967_296
const LEVEL_COLUMN: Record<Level, string> = { account: 'account', campaign: 'campaign', adset: 'adset', ad: 'ad' }

/** The SQL of one slice read (pure; the reader sends it). */
export function sliceQuery(database: string, req: RollupSliceRequest): string {
  const spanMinutes = (req.slice.toMs - req.readStartMs) / 60_000
  if (spanMinutes > MAX_READ_MINUTES || req.slice.fromMs < req.readStartMs) {
    throw new BacktestReadError(`a backtest can read at most ${MAX_READ_MINUTES} minutes of history; this one needs ${spanMinutes}`)
  }
  const col = raw(LEVEL_COLUMN[req.level])
  const minute = sql`toUInt16(intDiv(toUInt32(minute) - ${Math.floor(req.readStartMs / 1000)}, 60))`
  const columns: SqlFragment[] = [sql`${col} AS e`, sql`any(platform) AS p`, sql`any(account) AS a`]
  if (req.level === 'adset' || req.level === 'ad') columns.push(sql`any(campaign) AS c`)
  if (req.level === 'ad') columns.push(sql`any(adset) AS s`)
  columns.push(sql`groupArray(${minute}) AS m`)
  for (const k of req.metrics) {
    const metric = raw(METRIC_COLUMNS[k]!)
    columns.push(sql`groupArray(toUInt32(${metric})) AS ${raw(`v${k}`)}`)
    columns.push(sql`groupArrayIf((${minute}, ${metric}), ${metric} >= ${OVERFLOW}) AS ${raw(`x${k}`)}`)
  }
  const where: SqlFragment[] = [
    sql`tenant = ${req.tenant}`,
    sql`minute >= ${dateTime(req.slice.fromMs)}`,
    sql`minute < ${dateTime(req.slice.toMs)}`,
    // A row of zeros changes no sum and is not data (the live hasData looks at the sums).
    raw(`(${METRIC_COLUMNS.map((c) => `${c} > 0`).join(' OR ')})`),
  ]
  if (req.level === 'adset' || req.level === 'ad') where.push(sql`${col} != ''`)
  if (req.accounts !== undefined && req.accounts.length > 0) where.push(sql`account IN (${join(req.accounts)})`)
  if (req.platforms !== undefined && req.platforms.length > 0) where.push(sql`platform IN (${join(req.platforms)})`)
  return sql`SELECT ${join(columns)} FROM ${ident(database)}.rollup_minute WHERE ${join(where, ' AND ')} GROUP BY e FORMAT Native`.text
}

/** Turns a decoded slice answer into series (pure; exported for tests). */
export function seriesOfBlocks(blocks: readonly NativeBlock[], req: Pick<RollupSliceRequest, 'level' | 'metrics'>): RollupSeries[] {
  const out: RollupSeries[] = []
  for (const b of blocks) {
    if (b.rows === 0) continue
    const e = strings(b, 'e')
    const p = strings(b, 'p')
    const a = strings(b, 'a')
    const c = req.level === 'adset' || req.level === 'ad' ? strings(b, 'c') : undefined
    const s = req.level === 'ad' ? strings(b, 's') : undefined
    const m = array(b, 'm')
    const mv = numbers(m.inner, 'm', Uint16Array)
    const vs = req.metrics.map((k) => {
      const v = array(b, `v${k}`)
      if (v.offsets[b.rows - 1] !== m.offsets[b.rows - 1]) throw unexpected(`v${k} and m differ in length`)
      return { k, values: numbers(v.inner, `v${k}`, Uint32Array), x: overflowOf(array(b, `x${k}`)) }
    })
    for (let i = 0; i < b.rows; i++) {
      const from = i === 0 ? 0 : m.offsets[i - 1]!
      const to = m.offsets[i]!
      const entity = e[i]!
      const values: Array<Uint32Array | undefined> = [undefined, undefined, undefined, undefined, undefined]
      const extra: Array<readonly [number, number, number]> = []
      for (const v of vs) {
        values[v.k] = v.values.subarray(from, to)
        const xFrom = i === 0 ? 0 : v.x.offsets[i - 1]!
        for (let j = xFrom; j < v.x.offsets[i]!; j++) {
          const full = v.x.values[j]!
          extra.push([v.x.minutes[j]!, v.k, full - (full % OVERFLOW)])
        }
      }
      out.push({ entity, labels: labelsOf(req.level, entity, p[i]!, a[i]!, c?.[i] ?? '', s?.[i] ?? ''), minutes: mv.subarray(from, to), values, extra })
    }
  }
  return out
}

/** An entity's labels as the live runner builds them from the fold's entity metadata. */
function labelsOf(level: Level, entity: string, platform: string, account: string, campaign: string, adset: string): EntityLabels {
  if (level === 'account') return { level, platform, account: entity, campaign: '', adset: '', entity }
  if (level === 'campaign') return { level, platform, account, campaign: entity, adset: '', entity }
  if (level === 'adset') return { level, platform, account, campaign, adset: entity, entity }
  return { level, platform, account, campaign, adset, entity }
}

/** Knobs of the ClickHouse reader. */
export interface ReaderSettings {
  /** ClickHouse threads per slice query (default: the server's). */
  readonly maxThreads?: number
  /** Prefix of each query's id, and log the queries to system.query_log (to find their cost). */
  readonly queryIdPrefix?: string
}

/**
 * The ClickHouse adapter: one query per slice, answered in Native and decoded into series.
 * `wait_end_of_query` makes a failure mid-query an HTTP error rather than a cut-off answer.
 */
export class ClickHouseRollupReader implements RollupSource {
  private queries = 0

  constructor(
    private readonly ch: ClickHouseClient,
    private readonly database: string,
    private readonly settings: ReaderSettings = {},
  ) {}

  async readSlice(req: RollupSliceRequest): Promise<RollupSlice> {
    const query = sliceQuery(this.database, req)
    let buf: Buffer
    try {
      buf = await this.fetch(query)
    } catch (err) {
      // A keep-alive socket the server closed while the replay ran fails at once; reads are
      // idempotent, so one fresh attempt is safe.
      if (!isStaleSocket(err)) throw this.failure(req, err)
      try {
        buf = await this.fetch(query)
      } catch (again) {
        throw this.failure(req, again)
      }
    }
    const series = seriesOfBlocks(decodeNative(buf), req)
    let rows = 0
    for (const s of series) rows += s.minutes.length
    return { series, rows, bytes: buf.length }
  }

  private async fetch(query: string): Promise<Buffer> {
    const prefix = this.settings.queryIdPrefix
    const res = await this.ch.exec({
      query,
      ...(prefix === undefined ? {} : { query_id: `${prefix}-${(this.queries++).toString(36)}` }),
      clickhouse_settings: {
        ...(prefix === undefined ? {} : { log_queries: 1 }),
        wait_end_of_query: 1,
        // Keep the answer (a few MB a slice) in memory rather than in a temporary file.
        buffer_size: String(256 * 1024 * 1024),
        ...(this.settings.maxThreads === undefined ? {} : { max_threads: this.settings.maxThreads }),
      },
    })
    const chunks: Buffer[] = []
    for await (const chunk of res.stream) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks)
  }

  private failure(req: RollupSliceRequest, err: unknown): BacktestReadError {
    const range = `${new Date(req.slice.fromMs).toISOString()}–${new Date(req.slice.toMs).toISOString()}`
    return new BacktestReadError(`reading rollups of ${req.tenant} for ${range} failed: ${(err as Error).message}`, { cause: err, retryable: true })
  }
}

function isStaleSocket(err: unknown): boolean {
  const code = (err as { code?: unknown }).code
  return code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/i.test((err as Error).message ?? '')
}

function column(b: NativeBlock, name: string): NativeColumn {
  const c = b.columns.get(name)
  if (c === undefined) throw unexpected(`column ${name} is missing`)
  return c
}

function strings(b: NativeBlock, name: string): readonly string[] {
  const c = column(b, name)
  if (c.kind !== 'string') throw unexpected(`column ${name} is ${b.types.get(name)}, not String`)
  return c.values
}

function array(b: NativeBlock, name: string): Extract<NativeColumn, { kind: 'array' }> {
  const c = column(b, name)
  if (c.kind !== 'array') throw unexpected(`column ${name} is ${b.types.get(name)}, not an array`)
  return c
}

function numbers<T extends Uint16Array | Uint32Array | Float64Array>(c: NativeColumn, name: string, type: { new (...args: never[]): T }): T {
  if (c.kind !== 'number' || !(c.values instanceof type)) throw unexpected(`column ${name} has elements of an unexpected type`)
  return c.values as T
}

function overflowOf(x: Extract<NativeColumn, { kind: 'array' }>): { offsets: Float64Array; minutes: Uint16Array; values: Float64Array } {
  if (x.inner.kind !== 'tuple' || x.inner.elements.length !== 2) throw unexpected('overflow column is not an array of (minute, value)')
  const [minutes, values] = x.inner.elements as [NativeColumn, NativeColumn]
  return { offsets: x.offsets, minutes: numbers(minutes, 'overflow minute', Uint16Array), values: numbers(values, 'overflow value', Float64Array) }
}

function unexpected(what: string): BacktestReadError {
  return new BacktestReadError(`unexpected answer from ClickHouse for a backtest slice: ${what} (are the migrations applied?)`)
}
