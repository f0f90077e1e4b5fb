import type { ClickHouseClient } from '@clickhouse/client'
import { ident, sql, type SqlFragment } from '../core/sql.ts'
import type { AdEvent } from './event.ts'
import type { DeadLetterCode } from './decode.ts'
import type { Position } from './positions.ts'
import { ClickHouseSinkError } from './errors.ts'

/** One valid unique event with the shard position that carries it. */
export interface PositionedEvent {
  readonly event: AdEvent
  readonly pos: Position
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

/**
 * The ClickHouse sink: raw events (the per-minute rollup and the shard checkpoint follow by
 * materialized views from the same insert block) and dead letters.
 */
export class ClickHouseHistoryWriter {
  private readonly db: SqlFragment

  constructor(private readonly ch: ClickHouseClient, database: string) {
    this.db = ident(database)
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

  /** Inserts dead letters; replays of the same position collapse in the ReplacingMergeTree. */
  async insertDeadLetters(stream: string, shard: string, letters: readonly DeadLetter[], nowMs: number): Promise<void> {
    if (letters.length === 0) return
    const values = letters.map((d) => ({
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
    await this.insert('dead_letters', values)
  }

  /** Inserts events in one block; the block also carries the checkpoint (stream, shard, pos). */
  async insertEvents(stream: string, shard: string, events: readonly PositionedEvent[], nowMs: number): Promise<void> {
    if (events.length === 0) return
    const ingestedAt = Math.floor(nowMs / 1000)
    const values = events.map(({ event: e, pos }) => ({
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
      shard,
      pos,
      ingested_at: ingestedAt,
    }))
    await this.insert('events', values)
  }

  private async insert(table: string, values: readonly Record<string, unknown>[]): Promise<void> {
    try {
      await this.ch.insert({ table: `${this.db.text}.${ident(table).text}`, values: values as Record<string, unknown>[], format: 'JSONEachRow' })
    } catch (err) {
      throw new ClickHouseSinkError(`insert into ${table} (${values.length} rows): ${(err as Error).message}`, { cause: err })
    }
  }
}
