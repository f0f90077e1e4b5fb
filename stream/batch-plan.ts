import type { AdEvent } from './event.ts'
import { decodeEvent, type DecodeContext } from './decode.ts'
import type { DeadLetter } from './clickhouse-history-writer.ts'
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

/** Which sinks still need a record: those whose checkpoint is before its position. */
export interface SinkNeeds {
  readonly redis: boolean
  readonly clickhouse: boolean
}

/** The per-sink checkpoints a shard batch is planned against. */
export interface SinkCheckpoints {
  readonly redis: Position | undefined
  readonly clickhouse: Position | undefined
}

/** A decoded shard batch: what each sink must write. */
export interface BatchPlan {
  readonly events: ReadonlyArray<{ readonly event: AdEvent; readonly pos: Position; readonly needs: SinkNeeds }>
  readonly deadLetters: ReadonlyArray<{ readonly letter: DeadLetter; readonly needs: SinkNeeds }>
  /** First position the Redis sink does not hold yet; undefined when it holds the whole batch. */
  readonly redisFirstPos: Position | undefined
  /** Last position of the batch (a sink's checkpoint after writing it). */
  readonly lastPos: Position | undefined
  readonly userRecords: number
}

/**
 * Decodes a batch of Kinesis records against both sinks' checkpoints. Pure: records a sink
 * already holds are marked so, invalid ones become dead letters with their reason.
 */
export function planBatch(
  records: readonly KinesisRecordIn[],
  checkpoints: SinkCheckpoints,
  ctx: DecodeContext,
  deaggregate: Deaggregate,
): BatchPlan {
  const events: Array<{ event: AdEvent; pos: Position; needs: SinkNeeds }> = []
  const deadLetters: Array<{ letter: DeadLetter; needs: SinkNeeds }> = []
  let redisFirstPos: Position | undefined
  let lastPos: Position | undefined
  let userRecords = 0
  for (const r of records) {
    let users: UserRecord[]
    try {
      users = deaggregate(r.data, r.partitionKey)
    } catch (err) {
      const pos = encodePosition(r.sequenceNumber, 0)
      lastPos = pos
      const needs = needsAt(pos, checkpoints)
      if (needs.redis && redisFirstPos === undefined) redisFirstPos = pos
      if (needs.redis || needs.clickhouse) {
        deadLetters.push({ letter: letterOf(r, pos, 0, r.data, 'bad_kpl', `corrupt KPL aggregate: ${(err as Error).message}`), needs })
      }
      userRecords++
      continue
    }
    for (const u of users) {
      userRecords++
      const pos = encodePosition(r.sequenceNumber, u.subSequence)
      lastPos = pos
      const needs = needsAt(pos, checkpoints)
      if (!needs.redis && !needs.clickhouse) continue
      if (needs.redis && redisFirstPos === undefined) redisFirstPos = pos
      const d = decodeEvent(u.data, ctx)
      if (d.kind === 'event') events.push({ event: d.event, pos, needs })
      else deadLetters.push({ letter: letterOf({ ...r, partitionKey: u.partitionKey }, pos, u.subSequence, u.data, d.code, d.reason), needs })
    }
  }
  return { events, deadLetters, redisFirstPos, lastPos, userRecords }
}

function needsAt(pos: Position, c: SinkCheckpoints): SinkNeeds {
  return { redis: isAfter(pos, c.redis), clickhouse: isAfter(pos, c.clickhouse) }
}

function letterOf(r: KinesisRecordIn, pos: Position, subSequence: number, raw: Uint8Array, code: DeadLetter['code'], reason: string): DeadLetter {
  return { pos, sequenceNumber: r.sequenceNumber, subSequence, partitionKey: r.partitionKey, code, reason, raw, arrivalMs: r.arrivalMs }
}
