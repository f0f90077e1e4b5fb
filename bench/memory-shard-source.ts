import type { KinesisRecordIn } from '../stream/batch-plan.ts'
import type { RecordsPage, ShardInfo, ShardSource, StartAt } from '../stream/kinesis-shard-source.ts'

/** One record to serve: its bytes and partition key. */
export interface MemoryRecord {
  readonly data: Uint8Array
  readonly partitionKey: string
}

/**
 * A ShardSource over records held in memory, so the fold can be measured without a transport.
 * Every shard is closed: its last page has no next iterator, so a ShardProcessor reading it
 * returns 'finished'. Sequence numbers are 56-digit decimals (as Kinesis writes them) that
 * increase within a shard. Pages are slices of prebuilt record objects: serving costs nothing.
 */
export class MemoryShardSource implements ShardSource {
  private readonly shards = new Map<string, KinesisRecordIn[]>()

  /** `shards` maps a shard id to its records in order. */
  constructor(shards: ReadonlyMap<string, readonly MemoryRecord[]>, arrivalMs: number) {
    let shardNo = 0
    for (const [shardId, records] of shards) {
      const prefix = `49${String(++shardNo).padStart(4, '0')}`
      this.shards.set(
        shardId,
        records.map((r, i) => ({ sequenceNumber: sequenceNumberOf(prefix, i), partitionKey: r.partitionKey, data: r.data, arrivalMs })),
      )
    }
  }

  async listShards(): Promise<ShardInfo[]> {
    return [...this.shards.keys()].map((shardId) => ({ shardId, parentShardId: undefined, adjacentParentShardId: undefined, isClosed: true }))
  }

  async iterator(shardId: string, start: StartAt): Promise<string> {
    const records = this.recordsOf(shardId)
    if (start.kind !== 'at' && start.kind !== 'after') return iteratorOf(shardId, start.kind === 'TRIM_HORIZON' ? 0 : records.length)
    const at = firstIndexNotBefore(records, start.sequenceNumber)
    if (records[at]?.sequenceNumber !== start.sequenceNumber) throw new Error(`shard ${shardId} has no record with sequence number ${start.sequenceNumber}`)
    return iteratorOf(shardId, start.kind === 'at' ? at : at + 1)
  }

  async getRecords(iterator: string, limit: number): Promise<RecordsPage> {
    const cut = iterator.lastIndexOf('#')
    const shardId = iterator.slice(0, cut)
    const from = Number(iterator.slice(cut + 1))
    const records = this.recordsOf(shardId)
    const to = Math.min(records.length, from + limit)
    return {
      records: records.slice(from, to),
      nextIterator: to >= records.length ? undefined : iteratorOf(shardId, to),
      millisBehindLatest: 0,
    }
  }

  private recordsOf(shardId: string): KinesisRecordIn[] {
    const records = this.shards.get(shardId)
    if (records === undefined) throw new Error(`no shard ${shardId}`)
    return records
  }
}

function iteratorOf(shardId: string, index: number): string {
  return `${shardId}#${index}`
}

/** Fixed width, so string order is numeric order. */
function sequenceNumberOf(prefix: string, index: number): string {
  return prefix + String(index).padStart(56 - prefix.length, '0')
}

/** Binary search over sequence numbers of equal width. */
function firstIndexNotBefore(records: readonly KinesisRecordIn[], sequenceNumber: string): number {
  let lo = 0
  let hi = records.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const s = records[mid]!.sequenceNumber
    if (s.length < sequenceNumber.length || (s.length === sequenceNumber.length && s < sequenceNumber)) lo = mid + 1
    else hi = mid
  }
  return lo
}
