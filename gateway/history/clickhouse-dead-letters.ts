import type { ClickHouseClient } from '@clickhouse/client'
import type { Redis } from 'ioredis'
import { ident, join, sql, type SqlFragment } from '../../core/sql.ts'
import { RedisKeys } from '../../stream/redis-keys.ts'
import type { DeadLetterFilter, DeadLetterKey, DeadLetterRow, DeadLetterStore } from '../deps.ts'
import { UnavailableError } from '../errors.ts'
import { queryRows } from './query-rows.ts'

/** A replay claim outlives any sane retry; the ClickHouse replay row is the lasting record. */
const REPLAY_CLAIM_SEC = 30 * 86_400

/** WHERE clause of a tenant's dead letters of one stream. Pure. */
export function deadLetterWhere(tenant: string, stream: string, f: DeadLetterFilter): SqlFragment {
  const parts = [sql`tenant = ${tenant}`, sql`stream = ${stream}`]
  if (f.code !== undefined) parts.push(sql`code = ${f.code}`)
  if (f.fromMs !== undefined) parts.push(sql`arrived_at >= toDateTime(${Math.floor(f.fromMs / 1000)})`)
  if (f.toMs !== undefined) parts.push(sql`arrived_at < toDateTime(${Math.ceil(f.toMs / 1000)})`)
  return join(parts, ' AND ')
}

/** SQL of one page of dead letters, newest first. Pure. */
export function deadLetterPageSql(db: SqlFragment, where: SqlFragment, limit: number, offset: number): SqlFragment {
  return sql`SELECT stream, shard, pos, seq, sub_seq, partition_key, code, reason, raw_base64, toUInt32(arrived_at) AS arrived_s FROM ${db}.dead_letters_by_tenant FINAL WHERE ${where} ORDER BY arrived_at DESC, shard, pos LIMIT ${limit} OFFSET ${offset}`
}

interface LetterRow {
  stream: string
  shard: string
  pos: string
  seq: string
  sub_seq: number
  partition_key: string
  code: string
  reason: string
  raw_base64: string
  arrived_s: number
}

/**
 * Dead letters per tenant from ClickHouse (`dead_letters_by_tenant`, migration 0005) and their
 * replays (`dead_letter_replays`); a Redis claim per dead letter keeps two gateways (or two
 * clicks) from replaying the same record twice.
 */
export class ClickHouseDeadLetterStore implements DeadLetterStore {
  private readonly db: SqlFragment
  private readonly keys: RedisKeys

  constructor(private readonly ch: ClickHouseClient, database: string, private readonly redis: Redis, keyPrefix: string, private readonly stream: string) {
    this.db = ident(database)
    this.keys = new RedisKeys(keyPrefix)
  }

  async list(tenant: string, filter: DeadLetterFilter, page: { limit: number; offset: number }): Promise<{ items: DeadLetterRow[]; total: number }> {
    const where = deadLetterWhere(tenant, this.stream, filter)
    const [rows, count] = await Promise.all([
      queryRows<LetterRow>(this.ch, deadLetterPageSql(this.db, where, page.limit, page.offset)),
      queryRows<{ n: number }>(this.ch, sql`SELECT count() AS n FROM ${this.db}.dead_letters_by_tenant FINAL WHERE ${where}`),
    ])
    return { items: await this.withReplays(tenant, rows), total: Number(count[0]?.n ?? 0) }
  }

  async countByCode(tenant: string, filter: DeadLetterFilter): Promise<Array<{ code: string; count: number }>> {
    const rows = await queryRows<{ code: string; n: number }>(this.ch, 
      sql`SELECT code, count() AS n FROM ${this.db}.dead_letters_by_tenant FINAL WHERE ${deadLetterWhere(tenant, this.stream, filter)} GROUP BY code ORDER BY n DESC, code`,
    )
    return rows.map((r) => ({ code: r.code, count: Number(r.n) }))
  }

  async get(tenant: string, keys: readonly DeadLetterKey[]): Promise<DeadLetterRow[]> {
    const mine = keys.filter((k) => k.stream === this.stream)
    if (mine.length === 0) return []
    const tuples = join(mine.map((k) => sql`(${k.shard}, ${k.pos})`))
    const rows = await queryRows<LetterRow>(this.ch, 
      sql`SELECT stream, shard, pos, seq, sub_seq, partition_key, code, reason, raw_base64, toUInt32(arrived_at) AS arrived_s FROM ${this.db}.dead_letters_by_tenant FINAL WHERE tenant = ${tenant} AND stream = ${this.stream} AND (shard, pos) IN (${tuples})`,
    )
    return this.withReplays(tenant, rows)
  }

  async claimReplay(tenant: string, key: DeadLetterKey): Promise<boolean> {
    return (await this.redis.set(this.keys.deadLetterReplay(tenant, idOf(key)), '1', 'EX', REPLAY_CLAIM_SEC, 'NX')) === 'OK'
  }

  async releaseReplay(tenant: string, key: DeadLetterKey): Promise<void> {
    await this.redis.del(this.keys.deadLetterReplay(tenant, idOf(key)))
  }

  async markReplayed(tenant: string, keys: readonly DeadLetterKey[], by: string, nowMs: number): Promise<void> {
    if (keys.length === 0) return
    const values = keys.map((k) => ({ tenant, stream: k.stream, shard: k.shard, pos: k.pos, replayed_at: Math.floor(nowMs / 1000), replayed_by: by }))
    try {
      await this.ch.insert({ table: `${this.db.text}.dead_letter_replays`, values, format: 'JSONEachRow' })
    } catch (err) {
      throw new UnavailableError('ClickHouse', { cause: err })
    }
  }

  private async withReplays(tenant: string, rows: readonly LetterRow[]): Promise<DeadLetterRow[]> {
    const replays = new Map<string, { at: number; by: string }>()
    if (rows.length > 0) {
      const positions = [...new Set(rows.map((r) => r.pos))]
      const found = await queryRows<{ stream: string; shard: string; pos: string; at: number; by: string }>(this.ch, 
        sql`SELECT stream, shard, pos, toUInt32(replayed_at) AS at, replayed_by AS by FROM ${this.db}.dead_letter_replays FINAL WHERE tenant = ${tenant} AND pos IN (${join(positions)})`,
      )
      for (const r of found) replays.set(idOf(r), { at: Number(r.at), by: r.by })
    }
    return rows.map((r) => {
      const replay = replays.get(idOf(r))
      return {
        stream: r.stream,
        shard: r.shard,
        pos: r.pos,
        sequenceNumber: r.seq,
        subSequence: Number(r.sub_seq),
        partitionKey: r.partition_key,
        code: r.code,
        reason: r.reason,
        rawBase64: r.raw_base64,
        arrivedAtMs: Number(r.arrived_s) * 1000,
        replayedAtMs: replay === undefined ? undefined : replay.at * 1000,
        replayedBy: replay?.by,
      }
    })
  }
}

/** The API's opaque id of a dead letter: base64url of `[stream, shard, pos]`. */
export function idOf(k: DeadLetterKey): string {
  return Buffer.from(JSON.stringify([k.stream, k.shard, k.pos])).toString('base64url')
}

/** The key of an API id, or undefined when it is not one. */
export function keyOfId(id: string): DeadLetterKey | undefined {
  try {
    const v = JSON.parse(Buffer.from(id, 'base64url').toString('utf8')) as unknown
    if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'string')) {
      const [stream, shard, pos] = v as [string, string, string]
      return { stream, shard, pos }
    }
  } catch {
    // not an id
  }
  return undefined
}
