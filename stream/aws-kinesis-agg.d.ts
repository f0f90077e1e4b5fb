/**
 * The part of `aws-kinesis-agg` 4.2 that stream/kpl.ts uses. The package's own typings import
 * aws-sdk v2 and aws-lambda, which adwatch does not install, so this declaration replaces them.
 * Shapes are those of the v2 (lower-case keys) form: with capitalised keys the library
 * capitalises its output too.
 */
declare module 'aws-kinesis-agg' {
  /** A user record as the library emits it while de-aggregating; `data` is base64. */
  interface UserRecord {
    partitionKey?: string
    explicitPartitionKey?: string
    sequenceNumber?: string
    /** Absent for a record that was not aggregated. */
    subSequenceNumber?: number
    data: string
  }

  /** The record the library reads: `data` goes through `Buffer.from(data, 'base64')`. */
  interface KinesisRecordInput {
    partitionKey: string
    data: string | Buffer
    sequenceNumber?: string
    explicitPartitionKey?: string
  }

  /** A record handed to the aggregator; its `data` may be turned into a Buffer in place. */
  interface AggregatorInputRecord {
    partitionKey: string
    data: Buffer
    explicitHashKey?: string
  }

  /** An aggregated record built by the aggregator (magic + protobuf + MD5). */
  interface EncodedRecord {
    partitionKey: string
    data: Buffer
    ExplicitHashKey?: string
  }

  /** Synchronous in-memory aggregator (lib/kpl-agg.js); sizes are of the protobuf message. */
  class RecordAggregator {
    constructor(onReadyCallback?: (err: Error | null, encoded?: EncodedRecord) => void)
    /** Protobuf bytes accumulated so far (without the 4-byte magic and 16-byte MD5). */
    totalBytes: number
    /** Bytes the record would add to the protobuf message; throws when it lacks data or key. */
    calculateUserRecordSize(record: AggregatorInputRecord): number
    /** Adds the record; throws when it would push the message past ~1 MiB. */
    addUserRecord(record: AggregatorInputRecord): void
    /** Encodes the buffered records and clears them; undefined when none are buffered. */
    build(): EncodedRecord | undefined
    /** Number of buffered records. */
    length(): number
    /** Drops the buffered records. */
    clearRecords(): void
  }

  /**
   * Callback-style de-aggregation; every callback runs synchronously before it returns.
   * `afterRecordCallback` may be called more than once (per failed user record, then at the end).
   */
  function deaggregate(
    kinesisRecord: KinesisRecordInput,
    computeChecksums: boolean,
    perRecordCallback: (err: Error | null, userRecord?: UserRecord) => void,
    afterRecordCallback: (err?: Error, errorUserRecord?: UserRecord) => void,
  ): void

  const kinesisAgg: {
    deaggregate: typeof deaggregate
    RecordAggregator: typeof RecordAggregator
  }
  export = kinesisAgg
}
