import type { AdEvent } from './event.ts'
import { decodeEvent, type DecodeContext } from './decode.ts'
import type { DeadLetter } from './clickhouse-history-writer.ts'
import { isAggregated } from './kpl.ts'
import { encodePosition, isAfter, type Position } from './positions.ts'

/** One Kinesis record as GetRecords returns it (possibly KPL-aggregated). */
export interface KinesisRecordIn {
  readonly sequenceNumber: string
  readonly partitionKey: string
  readonly data: Uint8Array
  readonly arrivalMs: number
}

/** One user record after de-aggregation. */
export interface UserRecord {
  readonly data: Uint8Array
  readonly partitionKey: string
  readonly subSequence: number
}

/** Splits a Kinesis record into its user records; throws if an aggregated record is corrupt. */
export type Deaggregate = (data: Uint8Array, partitionKey: string) => UserRecord[]

/** The per-sink checkpoints a shard's records are planned against. */
export interface SinkCheckpoints {
  readonly redis: Position | undefined
  readonly clickhouse: Position | undefined
}

/** One user record of a shard, decoded: an event or a dead letter, at its position. */
export interface DecodedRecord {
  readonly pos: Position
  readonly event: AdEvent | undefined
  readonly letter: DeadLetter | undefined
}

/**
 * Decodes a page of Kinesis records into user records in position order. Pure: invalid
 * records (and corrupt KPL aggregates) become dead letters with their reason.
 */
export function decodeRecords(records: readonly KinesisRecordIn[], ctx: DecodeContext, deaggregate: Deaggregate): DecodedRecord[] {
  const out: DecodedRecord[] = []
  for (const r of records) {
    if (!isAggregated(r.data)) {
      // A plain record is its one user record (what deaggregate would return), without the wrapping.
      const pos = encodePosition(r.sequenceNumber, 0)
      const d = decodeEvent(r.data, ctx)
      if (d.kind === 'event') out.push({ pos, event: d.event, letter: undefined })
      else out.push({ pos, event: undefined, letter: letterOf(r, pos, 0, r.data, d.code, d.reason) })
      continue
    }
    let users: UserRecord[]
    try {
      users = deaggregate(r.data, r.partitionKey)
    } catch (err) {
      const pos = encodePosition(r.sequenceNumber, 0)
      out.push({ pos, event: undefined, letter: letterOf(r, pos, 0, r.data, 'bad_kpl', `corrupt KPL aggregate: ${(err as Error).message}`) })
      continue
    }
    for (const u of users) {
      const pos = encodePosition(r.sequenceNumber, u.subSequence)
      const d = decodeEvent(u.data, ctx)
      if (d.kind === 'event') out.push({ pos, event: d.event, letter: undefined })
      else out.push({ pos, event: undefined, letter: letterOf(r, pos, u.subSequence, u.data, d.code, d.reason, u.partitionKey) })
    }
  }
  return out
}

/** True when a decoded page names a tenant the directory did not know (worth a reload). */
export function hasUnknownTenant(records: readonly DecodedRecord[]): boolean {
  return records.some((r) => r.letter?.code === 'unknown_tenant')
}

/** One shard's records in a worker batch, in position order, with the checkpoints to plan against. */
export interface ShardRecords {
  readonly shardId: string
  readonly checkpoints: SinkCheckpoints
  readonly records: readonly DecodedRecord[]
}

/** An event of a worker batch and the sinks that still need it. `shard` indexes WorkerBatchPlan.shards. */
export interface PlannedEvent {
  readonly shard: number
  readonly pos: Position
  readonly event: AdEvent
  readonly toRedis: boolean
  readonly toClickHouse: boolean
}

/** A dead letter of a worker batch and the sinks that still need it. */
export interface PlannedLetter {
  readonly shard: number
  readonly letter: DeadLetter
  readonly toRedis: boolean
  readonly toClickHouse: boolean
}

/** What a worker batch holds of one shard. */
export interface ShardPlan {
  readonly shardId: string
  /** First position the Redis sink does not hold yet; undefined when it holds all of the shard's records. */
  readonly redisFirstPos: Position | undefined
  /** Last position of the shard in the batch (its checkpoint once written). */
  readonly lastPos: Position
  readonly userRecords: number
}

/** A worker batch across shards: per shard its extent, and every record a sink still needs. */
export interface WorkerBatchPlan {
  readonly shards: readonly ShardPlan[]
  readonly events: readonly PlannedEvent[]
  readonly deadLetters: readonly PlannedLetter[]
}

/**
 * Plans a worker batch against each shard's checkpoints. Pure: a record at or before a sink's
 * checkpoint is not sent to that sink again; records neither sink needs are left out.
 */
export function planWorkerBatch(parts: readonly ShardRecords[]): WorkerBatchPlan {
  const shards: ShardPlan[] = []
  const events: PlannedEvent[] = []
  const deadLetters: PlannedLetter[] = []
  for (let s = 0; s < parts.length; s++) {
    const { shardId, checkpoints, records } = parts[s]!
    if (records.length === 0) continue
    const shard = shards.length
    let redisFirstPos: Position | undefined
    for (const r of records) {
      const toRedis = isAfter(r.pos, checkpoints.redis)
      const toClickHouse = isAfter(r.pos, checkpoints.clickhouse)
      if (!toRedis && !toClickHouse) continue
      if (toRedis && redisFirstPos === undefined) redisFirstPos = r.pos
      if (r.event !== undefined) events.push({ shard, pos: r.pos, event: r.event, toRedis, toClickHouse })
      else if (r.letter !== undefined) deadLetters.push({ shard, letter: r.letter, toRedis, toClickHouse })
    }
    shards.push({ shardId, redisFirstPos, lastPos: records[records.length - 1]!.pos, userRecords: records.length })
  }
  return { shards, events, deadLetters }
}

function letterOf(
  r: KinesisRecordIn,
  pos: Position,
  subSequence: number,
  raw: Uint8Array,
  code: DeadLetter['code'],
  reason: string,
  partitionKey: string = r.partitionKey,
): DeadLetter {
  return { pos, sequenceNumber: r.sequenceNumber, subSequence, partitionKey, code, reason, raw, arrivalMs: r.arrivalMs }
}
