import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis'
import type { KinesisRecordIn } from './batch-plan.ts'
import { KinesisError } from './errors.ts'

/** A shard as the consumer sees it: lineage and whether it is closed. */
export interface ShardInfo {
  readonly shardId: string
  readonly parentShardId: string | undefined
  readonly adjacentParentShardId: string | undefined
  readonly isClosed: boolean
}

/** Where to start reading a shard. */
export type StartAt =
  | { readonly kind: 'at'; readonly sequenceNumber: string }
  | { readonly kind: 'after'; readonly sequenceNumber: string }
  | { readonly kind: 'TRIM_HORIZON' | 'LATEST' }

/** One GetRecords answer; `nextIterator` undefined means a closed shard was read to its end. */
export interface RecordsPage {
  readonly records: KinesisRecordIn[]
  readonly nextIterator: string | undefined
  readonly millisBehindLatest: number
}

/** What the consumer needs from Kinesis; tests wrap it to inject faults. */
export interface ShardSource {
  listShards(): Promise<ShardInfo[]>
  iterator(shardId: string, start: StartAt): Promise<string>
  getRecords(iterator: string, limit: number): Promise<RecordsPage>
}

const RETRYABLE = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'KMSThrottlingException',
  'ThrottlingException',
  'InternalFailure',
  'InternalFailureException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
])
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH'])

/** Wraps an SDK error in a KinesisError that says whether retrying can help. */
export function toKinesisError(op: string, err: unknown): KinesisError {
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } }
  const status = e.$metadata?.httpStatusCode ?? 0
  const retryable = RETRYABLE.has(e.name ?? '') || NETWORK_CODES.has(e.code ?? '') || status >= 500 || status === 429
  return Object.assign(new KinesisError(`${op}: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`, retryable, { cause: err }), {
    awsName: e.name,
  })
}

/** True for the error GetRecords gives when an iterator is older than five minutes. */
export function isExpiredIterator(err: unknown): boolean {
  return (err as { awsName?: string }).awsName === 'ExpiredIteratorException'
}

/** ShardSource on the AWS SDK v3 Kinesis client. */
export class KinesisShardSource implements ShardSource {
  constructor(private readonly client: KinesisClient, private readonly streamName: string) {}

  async listShards(): Promise<ShardInfo[]> {
    const shards: Shard[] = []
    let nextToken: string | undefined
    try {
      do {
        const res = await this.client.send(
          new ListShardsCommand(nextToken === undefined ? { StreamName: this.streamName } : { NextToken: nextToken }),
        )
        shards.push(...(res.Shards ?? []))
        nextToken = res.NextToken
      } while (nextToken !== undefined)
    } catch (err) {
      throw toKinesisError('ListShards', err)
    }
    return shards.map((s) => ({
      shardId: s.ShardId!,
      parentShardId: s.ParentShardId,
      adjacentParentShardId: s.AdjacentParentShardId,
      isClosed: s.SequenceNumberRange?.EndingSequenceNumber !== undefined,
    }))
  }

  async iterator(shardId: string, start: StartAt): Promise<string> {
    const base = { StreamName: this.streamName, ShardId: shardId }
    const input =
      start.kind === 'at'
        ? { ...base, ShardIteratorType: 'AT_SEQUENCE_NUMBER' as const, StartingSequenceNumber: start.sequenceNumber }
        : start.kind === 'after'
          ? { ...base, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' as const, StartingSequenceNumber: start.sequenceNumber }
          : { ...base, ShardIteratorType: start.kind }
    try {
      const res = await this.client.send(new GetShardIteratorCommand(input))
      return res.ShardIterator!
    } catch (err) {
      throw toKinesisError('GetShardIterator', err)
    }
  }

  async getRecords(iterator: string, limit: number): Promise<RecordsPage> {
    try {
      const res = await this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit, StreamARN: undefined }))
      return {
        records: (res.Records ?? []).map((r) => ({
          sequenceNumber: r.SequenceNumber!,
          partitionKey: r.PartitionKey ?? '',
          data: r.Data ?? new Uint8Array(),
          arrivalMs: r.ApproximateArrivalTimestamp?.getTime() ?? 0,
        })),
        nextIterator: res.NextShardIterator,
        millisBehindLatest: res.MillisBehindLatest ?? 0,
      }
    } catch (err) {
      throw toKinesisError('GetRecords', err)
    }
  }
}
