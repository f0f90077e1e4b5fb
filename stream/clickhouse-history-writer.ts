import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import type { ClickHouseClient } from '@clickhouse/client'
import { sleep } from '../core/backoff.ts'
import { ident, sql, type SqlFragment } from '../core/sql.ts'
import type { AdEvent } from './event.ts'
import type { DeadLetterCode } from './decode.ts'
import type { Position } from './positions.ts'
import { RowBinaryWriter } from './row-binary.ts'
import { ClickHouseSinkError } from './errors.ts'

/** One valid unique event with the shard and position that carry it. */
export interface ShardEvent {
  readonly shard: string
  readonly pos: Position
  readonly event: AdEvent
}

/** One record that failed the contract, as stored in `dead_letters`. */
export interface DeadLetter {
  readonly pos: Position
  readonly sequenceNumber: string
  readonly subSequence: number
  readonly partitionKey: string
  readonly code: DeadLetterCode
  readonly reason: string
  readonly raw: Uint8Array
  readonly arrivalMs: number
}

/** A dead letter with the shard it was read from. */
export interface ShardDeadLetter {
  readonly shard: string
  readonly letter: DeadLetter
}

/** Events encoded for one insert: a RowBinary body in the column order of EVENT_COLUMNS. */
export interface EncodedEvents {
  readonly rows: number
  readonly body: Buffer
}

/** Longest a failed insert is waited for to end on the server before the checkpoints are read back. */
const INSERT_END_WAIT_MS = 60_000

/** Columns of `events` (core/migrations/0001_events.sql) in the order encodeEvents writes them. */
export const EVENT_COLUMNS = [
  'tenant', 'platform', 'account', 'campaign', 'adset', 'ad', 'id', 'type', 'ts', 'ts_ms',
  'impressions', 'clicks', 'spend_micros', 'conversions', 'revenue_micros', 'currency',
  'stream', 'shard', 'pos', 'ingested_at',
] as const

/**
 * The ClickHouse sink: raw events (the per-minute rollup and the per-shard checkpoints follow
 * by materialized views from the same insert block) and dead letters.
 */
export class ClickHouseHistoryWriter {
  private readonly db: SqlFragment
  private readonly insertEventsQuery: string

  constructor(private readonly ch: ClickHouseClient, database: string) {
    this.db = ident(database)
    const columns = EVENT_COLUMNS.map((c) => ident(c).text).join(', ')
    this.insertEventsQuery = `INSERT INTO ${this.db.text}.${ident('events').text} (${columns}) FORMAT RowBinary`
  }

  /** The sink's checkpoint per shard of a stream: the highest position of any stored event. */
  async readCheckpoints(stream: string): Promise<Map<string, Position>> {
    const query = sql`SELECT shard, maxMerge(pos) AS pos FROM ${this.db}.shard_checkpoints WHERE stream = ${stream} GROUP BY shard`.text
    try {
      const rs = await this.ch.query({ query, format: 'JSONEachRow' })
      const rows = await rs.json<{ shard: string; pos: string }>()
      return new Map(rows.map((r) => [r.shard, r.pos]))
    } catch (err) {
      throw new ClickHouseSinkError(`reading checkpoints: ${(err as Error).message}`, { cause: err })
    }
  }

  /**
   * Moves shards' checkpoints past records that left no event row: duplicates and dead letters
   * after a shard's last inserted event. The checkpoint is otherwise the highest event `pos`
   * (shard_checkpoints_mv), so without this a resume would start before such records and hand
   * them to ClickHouse again: a duplicate whose dedupe claim has expired would be inserted.
   * Only ever called once everything up to each `pos` is stored; a max, so a lower `pos` never
   * moves a checkpoint back.
   */
  async insertCheckpoints(stream: string, checkpoints: ReadonlyArray<{ readonly shard: string; readonly pos: Position }>): Promise<void> {
    if (checkpoints.length === 0) return
    const shards = checkpoints.map((c) => c.shard)
    const positions = checkpoints.map((c) => c.pos)
    const query = sql`INSERT INTO ${this.db}.shard_checkpoints (stream, shard, pos)
      SELECT ${stream} AS stream, shard, maxState(position) AS pos
      FROM (SELECT ${shards} AS shards, ${positions} AS positions) ARRAY JOIN shards AS shard, positions AS position
      GROUP BY stream, shard`.text
    try {
      await this.ch.command({ query })
    } catch (err) {
      throw new ClickHouseSinkError(`moving checkpoints of ${shards.join(', ')}: ${(err as Error).message}`, { cause: err })
    }
  }

  /** Inserts one shard's dead letters; replays of the same position collapse in the ReplacingMergeTree. */
  async insertDeadLetters(stream: string, shard: string, letters: readonly DeadLetter[], nowMs: number): Promise<void> {
    await this.insertShardDeadLetters(stream, letters.map((letter) => ({ shard, letter })), nowMs)
  }

  /** Inserts dead letters of any shards in one insert (JSONEachRow: they are few). */
  async insertShardDeadLetters(stream: string, letters: readonly ShardDeadLetter[], nowMs: number): Promise<void> {
    if (letters.length === 0) return
    const values = letters.map(({ shard, letter: d }) => ({
      stream,
      shard,
      pos: d.pos,
      seq: d.sequenceNumber,
      sub_seq: d.subSequence,
      partition_key: d.partitionKey,
      code: d.code,
      reason: d.reason,
      raw_base64: Buffer.from(d.raw.buffer, d.raw.byteOffset, d.raw.byteLength).toString('base64'),
      arrived_at: Math.floor(d.arrivalMs / 1000),
      received_at: Math.floor(nowMs / 1000),
    }))
    try {
      await this.ch.insert({ table: `${this.db.text}.${ident('dead_letters').text}`, values, format: 'JSONEachRow' })
    } catch (err) {
      throw new ClickHouseSinkError(`insert into dead_letters (${values.length} rows): ${(err as Error).message}`, { cause: err })
    }
  }

  /**
   * Encodes events for one insert, without I/O (the consumer encodes the next batch while the
   * current one is being written). Every row carries stream, shard and pos.
   */
  encodeEvents(stream: string, events: readonly ShardEvent[], nowMs: number): EncodedEvents {
    const w = new RowBinaryWriter(events.length * 256)
    const ingestedAtSec = Math.floor(nowMs / 1000)
    for (const { shard, pos, event: e } of events) {
      w.string(e.tenant)
      w.string(e.platform)
      w.string(e.account)
      w.string(e.campaign)
      w.string(e.adset)
      w.string(e.ad)
      w.string(e.id)
      w.string(e.type)
      w.dateTime(Math.floor(e.tsMs / 1000))
      w.uint64(e.tsMs)
      w.uint64(e.impressions)
      w.uint64(e.clicks)
      w.uint64(e.spendMicros)
      w.uint64(e.conversions)
      w.uint64(e.revenueMicros)
      w.string(e.currency)
      w.string(stream)
      w.string(shard)
      w.string(pos)
      w.dateTime(ingestedAtSec)
    }
    return { rows: events.length, body: w.finish() }
  }

  /**
   * Inserts runs of encoded events, in order, as one insert (one block up to ClickHouse's
   * max_insert_block_size, a million rows); the block also carries each shard's checkpoint.
   */
  async insertEncodedEvents(runs: readonly EncodedEvents[]): Promise<void> {
    const bodies = runs.filter((r) => r.rows > 0).map((r) => r.body)
    if (bodies.length === 0) return
    const rows = runs.reduce((n, r) => n + r.rows, 0)
    const queryId = randomUUID()
    try {
      const res = await this.ch.exec({ query: this.insertEventsQuery, query_id: queryId, values: Readable.from(bodies, { objectMode: false }) })
      // An insert answers with an empty body; read it to the end so the socket returns to the pool.
      for await (const _ of res.stream) {
        // nothing to read
      }
    } catch (err) {
      // The client gave up (a timeout, a dropped connection) but the server may still be
      // inserting: the caller reads the checkpoints next, and must see this insert's rows if it
      // lands, or it would send them again.
      await this.waitForQueryToEnd(queryId, INSERT_END_WAIT_MS)
      throw new ClickHouseSinkError(`insert into events (${rows} rows): ${(err as Error).message}`, { cause: err })
    }
  }

  /**
   * Waits until a query of ours is no longer running on the server (system.processes), at most
   * `maxMs`. Returns early, without error, if the server cannot be asked: a server that is down
   * runs nothing, and what it committed is what the checkpoints show once it is back.
   */
  async waitForQueryToEnd(queryId: string, maxMs: number): Promise<void> {
    const until = Date.now() + maxMs
    const query = sql`SELECT count() AS n FROM system.processes WHERE query_id = ${queryId}`.text
    while (Date.now() < until) {
      try {
        const rs = await this.ch.query({ query, format: 'JSONEachRow' })
        const [row] = await rs.json<{ n: number | string }>()
        if (Number(row?.n ?? 0) === 0) return
      } catch {
        return
      }
      await sleep(100)
    }
  }

  /** Encodes and inserts events in one block. */
  async insertEvents(stream: string, events: readonly ShardEvent[], nowMs: number): Promise<void> {
    await this.insertEncodedEvents([this.encodeEvents(stream, events, nowMs)])
  }
}
