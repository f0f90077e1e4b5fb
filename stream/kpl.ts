import { createHash } from 'node:crypto'
import kinesisAgg from 'aws-kinesis-agg'
import { AdwatchError } from '../core/errors.ts'

/**
 * KPL aggregation (https://github.com/awslabs/amazon-kinesis-producer/blob/master/aggregation-format.md)
 * on top of `aws-kinesis-agg`: magic 0xF3899AC2, a protobuf AggregatedRecord, an MD5 of the
 * protobuf. The library is callback-shaped but runs every callback synchronously, so both
 * directions here are synchronous.
 */

/** The four bytes every KPL-aggregated record starts with. */
export const KPL_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2)

/** Magic number plus MD5 digest around the protobuf message. */
const KPL_OVERHEAD_BYTES = 4 + 16

/** Kinesis limit on one record (data blob plus partition key). */
export const KINESIS_MAX_RECORD_BYTES = 1_048_576

/** Kinesis limit on a partition key, in characters. */
export const KINESIS_MAX_PARTITION_KEY_CHARS = 256

/** Default size cap of an aggregated record: the record limit less room for a maximal partition key. */
export const DEFAULT_AGGREGATE_MAX_BYTES = KINESIS_MAX_RECORD_BYTES - KINESIS_MAX_PARTITION_KEY_CHARS

/** One user record out of a Kinesis record; `subSequence` is 0 for a record that was not aggregated. */
export interface UserRecord {
  data: Buffer
  partitionKey: string
  subSequence: number
}

/** A record as written to Kinesis: its bytes and its partition key. */
export interface KinesisRecordData {
  data: Buffer
  partitionKey: string
}

/** Why an aggregated record could not be read; the consumer writes it into the dead letter. */
export type KplCorruption = 'truncated' | 'checksum' | 'protobuf' | 'partition-key'

/**
 * A record that starts with the KPL magic but cannot be de-aggregated. Not retryable: the
 * same bytes will fail again, so the consumer dead-letters the whole record.
 */
export class KplRecordCorruptError extends AdwatchError {
  constructor(
    readonly corruption: KplCorruption,
    partitionKey: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(
      'ADW_STREAM_EVENT_INVALID',
      `corrupt KPL aggregated record (partition key "${partitionKey}"): ${detail}; it cannot be de-aggregated and must be dead-lettered whole`,
      options,
    )
  }
}

/** True when the bytes start with the KPL magic number (the record claims to be aggregated). */
export function isAggregated(data: Uint8Array): boolean {
  return (
    data.length >= 4 && data[0] === 0xf3 && data[1] === 0x89 && data[2] === 0x9a && data[3] === 0xc2
  )
}

/**
 * Splits one Kinesis record into its user records. A plain record comes back as itself (same
 * bytes, no copy) with subSequence 0; an aggregated one as its user records in order, each
 * with its own partition key. Throws KplRecordCorruptError when an aggregated record is
 * truncated, fails its MD5 or is not a valid AggregatedRecord.
 */
export function deaggregateRecord(data: Uint8Array, partitionKey: string): UserRecord[] {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  if (!isAggregated(buf)) return [{ data: buf, partitionKey, subSequence: 0 }]
  if (buf.length < KPL_OVERHEAD_BYTES) {
    throw new KplRecordCorruptError('truncated', partitionKey, `${buf.length} bytes is shorter than the ${KPL_OVERHEAD_BYTES}-byte magic and checksum`)
  }

  const out: UserRecord[] = []
  let failure: Error | undefined
  let corruption: KplCorruption | undefined
  // Callbacks must not throw: the library catches and re-reports, calling the final callback twice.
  kinesisAgg.deaggregate(
    { partitionKey, data: buf },
    true,
    (err, rec) => {
      if (err !== null) {
        failure ??= err
        return
      }
      if (rec === undefined || failure !== undefined) return
      if (rec.partitionKey === undefined) {
        corruption = 'partition-key'
        failure = new Error(`user record ${rec.subSequenceNumber ?? out.length} points outside the partition key table`)
        return
      }
      out.push({ data: Buffer.from(rec.data, 'base64'), partitionKey: rec.partitionKey, subSequence: rec.subSequenceNumber ?? 0 })
    },
    (err) => {
      if (err !== undefined) failure ??= err
    },
  )
  if (failure === undefined) return out

  // The library decodes before it checks the MD5; damaged bytes are a checksum failure even
  // when protobuf tripped over them first.
  corruption ??= hasValidChecksum(buf) ? 'protobuf' : 'checksum'
  const detail =
    corruption === 'checksum' ? 'MD5 checksum mismatch (bytes damaged)'
    : corruption === 'protobuf' ? `invalid AggregatedRecord protobuf (${failure.message})`
    : failure.message
  throw new KplRecordCorruptError(corruption, partitionKey, detail, { cause: failure })
}

function hasValidChecksum(buf: Buffer): boolean {
  const body = buf.subarray(4, buf.length - 16)
  const digest = createHash('md5').update(body).digest()
  return digest.equals(buf.subarray(buf.length - 16))
}

/**
 * Packs user records, in order, into as few KPL-aggregated records as `maxBytes` (the size of
 * each output data blob) allows; each output takes the partition key of its first user
 * record, so callers group records by shard or key first. As the KPL does, a group of one is
 * sent as the plain record (unless its bytes start with the magic, which would misread).
 * Throws ADW_STREAM_EVENT_INVALID for a record that cannot fit in a Kinesis record at all.
 */
export function aggregateRecords(
  records: ReadonlyArray<KinesisRecordData>,
  maxBytes: number = DEFAULT_AGGREGATE_MAX_BYTES,
): KinesisRecordData[] {
  if (!Number.isInteger(maxBytes) || maxBytes < 64 || maxBytes > KINESIS_MAX_RECORD_BYTES) {
    throw new RangeError(`maxBytes must be an integer from 64 to ${KINESIS_MAX_RECORD_BYTES}, got ${maxBytes}`)
  }
  const out: KinesisRecordData[] = []
  const aggregator = new kinesisAgg.RecordAggregator()
  let group: KinesisRecordData[] = []
  let groupBytes = 0

  const flush = (): void => {
    const only = group[0]
    if (group.length === 1 && only !== undefined && !isAggregated(only.data)) {
      aggregator.clearRecords()
      out.push({ data: only.data, partitionKey: only.partitionKey })
    } else if (group.length > 0) {
      const encoded = aggregator.build()
      if (encoded !== undefined) out.push({ data: encoded.data, partitionKey: encoded.partitionKey })
    }
    group = []
    groupBytes = 0
  }

  for (const record of records) {
    checkPartitionKey(record.partitionKey)
    // A copy: the library would replace a string `data` in place.
    const input = { partitionKey: record.partitionKey, data: record.data }
    // The library sizes keys by `.length` (UTF-16 units); add the missing bytes of non-ASCII keys.
    const keyExtra = Buffer.byteLength(record.partitionKey) - record.partitionKey.length
    let size = aggregator.calculateUserRecordSize(input) + keyExtra
    if (group.length > 0 && groupBytes + size + KPL_OVERHEAD_BYTES > maxBytes) {
      flush()
      size = aggregator.calculateUserRecordSize(input) + keyExtra
    }
    if (size + KPL_OVERHEAD_BYTES > maxBytes) {
      if (record.data.length > maxBytes || isAggregated(record.data)) {
        throw new AdwatchError(
          'ADW_STREAM_EVENT_INVALID',
          `record of ${record.data.length} bytes (partition key "${record.partitionKey}") does not fit in a Kinesis record of at most ${maxBytes} bytes; split the payload`,
        )
      }
      out.push({ data: record.data, partitionKey: record.partitionKey })
      continue
    }
    aggregator.addUserRecord(input)
    group.push(record)
    groupBytes += size
  }
  flush()
  return out
}

function checkPartitionKey(key: string): void {
  if (key.length === 0 || key.length > KINESIS_MAX_PARTITION_KEY_CHARS) {
    throw new AdwatchError(
      'ADW_STREAM_EVENT_INVALID',
      `partition key must have 1 to ${KINESIS_MAX_PARTITION_KEY_CHARS} characters, got ${key.length}`,
    )
  }
}

const HASH_SPACE = 1n << 128n

/** The 128-bit hash key Kinesis routes a partition key by: MD5 of its UTF-8 bytes. */
export function partitionKeyHash(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`)
}

/**
 * Index of the shard a partition key lands on in a stream created with `shardCount` shards
 * and never resharded (CreateStream splits the hash space evenly; the last shard takes the rest).
 */
export function evenShardIndex(partitionKey: string, shardCount: number): number {
  const step = HASH_SPACE / BigInt(shardCount)
  const index = Number(partitionKeyHash(partitionKey) / step)
  return Math.min(index, shardCount - 1)
}
