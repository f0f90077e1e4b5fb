import { PutRecordsCommand, type PutRecordsCommandOutput, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis'
import { AdwatchError } from '../../core/errors.ts'
import type { AdEventInput } from '../event.ts'
import { aggregateRecords, partitionKeyHash, type KinesisRecordData } from '../kpl.ts'

/**
 * Kinesis PutRecords adapter of the producer: batches to the API limits, retries failed
 * records and throttled requests with exponential backoff and jitter, optionally
 * KPL-aggregates first.
 */

/** The one call this adapter makes; a KinesisClient satisfies it, and tests can wrap one. */
export interface PutRecordsClient {
  send(command: PutRecordsCommand): Promise<PutRecordsCommandOutput>
}

/** A record given as bytes (used to put invalid records in tests). */
export interface RawRecord {
  readonly data: Uint8Array
  readonly partitionKey: string
}

/** An event (serialised as JSON, keyed `tenant/campaign`) or a raw record. */
export type PutInput = AdEventInput | RawRecord

/** An open shard's hash key range, to aggregate records per shard. */
export interface ShardHashRange {
  readonly shardId: string
  readonly startingHashKey: bigint
  readonly endingHashKey: bigint
}

/** Tuning of putEvents; every field has a default. */
export interface PutEventsOptions {
  /** KPL-aggregate the records before putting them (default false). */
  readonly aggregate?: boolean
  /** Largest aggregated record in bytes (default 51,200, the KPL's default AggregationMaxSize). */
  readonly aggregateMaxBytes?: number
  /**
   * Open shards of the stream: with them, records are aggregated per shard (as the KPL
   * does); without, per partition key, which is always shard-correct but packs less.
   */
  readonly shardHashRanges?: readonly ShardHashRange[]
  /** PutRecords requests in flight at once (default 1; order across requests is then not kept). */
  readonly concurrency?: number
  /** Attempts per request, the first included (default 8). */
  readonly maxAttempts?: number
  /** First backoff delay (default 100 ms); doubles per attempt up to maxDelayMs (default 5 s). */
  readonly baseDelayMs?: number
  readonly maxDelayMs?: number
  /** Source of jitter in [0, 1) (default Math.random). */
  readonly random?: () => number
  readonly sleep?: (ms: number) => Promise<void>
  /** Called before each retry, for logs and metrics. */
  readonly onRetry?: (info: { attempt: number; records: number; delayMs: number; reason: string }) => void
}

/** What putEvents did. */
export interface PutEventsResult {
  /** Input records (events and raw records) written. */
  readonly records: number
  /** Kinesis records written (fewer than `records` when aggregated). */
  readonly kinesisRecords: number
  /** PutRecords calls made, retries included. */
  readonly requests: number
  /** PutRecords calls that were retries. */
  readonly retries: number
  /** Kinesis records sent again after a failure. */
  readonly retriedRecords: number
}

/** Kinesis limit on records per PutRecords request. */
export const PUT_RECORDS_MAX_RECORDS = 500
/** Kinesis limit on the bytes of one PutRecords request (data plus partition keys). */
export const PUT_RECORDS_MAX_BYTES = 5 * 1024 * 1024
const MAX_RECORD_BYTES = 1024 * 1024
const DEFAULT_AGGREGATE_MAX_BYTES = 51_200

/** Errors a later attempt can get past: throttling, server faults, timeouts, dropped connections. */
const RETRYABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'KMSThrottlingException',
  'ThrottlingException',
  'InternalFailure',
  'InternalFailureException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
])
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH'])

/** The Kinesis partition key of an event: `tenant/campaign`, so a campaign stays on one shard. */
export function partitionKeyOf(event: Pick<AdEventInput, 'tenant' | 'campaign'>): string {
  return `${event.tenant}/${event.campaign}`
}

/** True for a Kinesis or network error that a later attempt can get past. */
export function isRetryableKinesisError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  const e = err as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } }
  if (e.name !== undefined && RETRYABLE_NAMES.has(e.name)) return true
  if (e.code !== undefined && RETRYABLE_CODES.has(e.code)) return true
  if (e.$retryable !== undefined) return true
  const status = e.$metadata?.httpStatusCode
  return status !== undefined && status >= 500
}

/**
 * Writes events and raw records to the stream in PutRecords requests of at most 500 records
 * and 5 MiB. Failed records of a partial failure, and whole requests that failed retryably,
 * are sent again after exponential backoff with jitter; after `maxAttempts` it throws
 * ADW_STREAM_KINESIS (retryable) with the last error as cause. Retried records may land after
 * later ones and, if a response was lost, twice: consumers de-duplicate by event id.
 */
export async function putEvents(
  client: PutRecordsClient,
  streamName: string,
  records: readonly PutInput[],
  opts: PutEventsOptions = {},
): Promise<PutEventsResult> {
  const maxAttempts = opts.maxAttempts ?? 8
  const baseDelayMs = opts.baseDelayMs ?? 100
  const maxDelayMs = opts.maxDelayMs ?? 5_000
  const random = opts.random ?? Math.random
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const concurrency = opts.concurrency ?? 1
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`)
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`)

  const userRecords = records.map(toRecordData)
  const kinesisRecords = opts.aggregate === true ? aggregateForShards(userRecords, opts) : userRecords
  const entries: PutRecordsRequestEntry[] = kinesisRecords.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey }))

  let requests = 0
  let retries = 0
  let retriedRecords = 0
  const putBatch = async (batch: PutRecordsRequestEntry[]): Promise<void> => {
    let pending = batch
    for (let attempt = 1; ; attempt++) {
      requests++
      let failed: PutRecordsRequestEntry[]
      let reason: string
      let cause: unknown
      try {
        const out = await client.send(new PutRecordsCommand({ StreamName: streamName, Records: pending }))
        if ((out.FailedRecordCount ?? 0) === 0) return
        const results = out.Records ?? []
        failed = pending.filter((_, i) => {
          const r = results[i]
          return r === undefined || r.ErrorCode !== undefined || r.SequenceNumber === undefined
        })
        if (failed.length === 0) return
        const firstError = results.find((r) => r.ErrorCode !== undefined)
        reason = `${failed.length} of ${pending.length} records failed (${firstError?.ErrorCode ?? 'no result'}: ${firstError?.ErrorMessage ?? ''})`
        cause = new Error(reason)
      } catch (err) {
        if (!isRetryableKinesisError(err)) throw wrapFatal(err, streamName)
        failed = pending
        reason = `request failed: ${(err as Error).name}: ${(err as Error).message}`
        cause = err
      }
      if (attempt >= maxAttempts) {
        throw new AdwatchError(
          'ADW_STREAM_KINESIS',
          `PutRecords to stream "${streamName}": ${failed.length} records still failing after ${attempt} attempts (${reason}); check the stream's write capacity and the endpoint`,
          { cause, retryable: true },
        )
      }
      const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1))
      // Equal jitter: at least half the exponential delay, so retries always back off.
      const delayMs = Math.round(ceiling / 2 + random() * (ceiling / 2))
      opts.onRetry?.({ attempt, records: failed.length, delayMs, reason })
      retries++
      retriedRecords += failed.length
      await sleep(delayMs)
      pending = failed
    }
  }

  const batches = batchEntries(entries)
  let next = 0
  let stop = false
  const lane = async (): Promise<void> => {
    while (!stop && next < batches.length) {
      const batch = batches[next++] as PutRecordsRequestEntry[]
      try {
        await putBatch(batch)
      } catch (err) {
        // Other lanes finish their request in flight and take no new one.
        stop = true
        throw err
      }
    }
  }
  const results = await Promise.allSettled(Array.from({ length: Math.min(concurrency, batches.length) }, lane))
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failure !== undefined) throw failure.reason
  return { records: records.length, kinesisRecords: entries.length, requests, retries, retriedRecords }
}

function toRecordData(input: PutInput): KinesisRecordData {
  if ('partitionKey' in input && input.data instanceof Uint8Array) {
    const data = Buffer.isBuffer(input.data) ? input.data : Buffer.from(input.data.buffer, input.data.byteOffset, input.data.byteLength)
    return { data, partitionKey: input.partitionKey }
  }
  const event = input as AdEventInput
  return { data: Buffer.from(JSON.stringify(event)), partitionKey: partitionKeyOf(event) }
}

/**
 * Groups records per shard (or per partition key when the shards are unknown or a key falls
 * outside them) and aggregates each group, so an aggregate lands on the shard its user
 * records' keys map to. Groups keep the input order.
 */
function aggregateForShards(records: readonly KinesisRecordData[], opts: PutEventsOptions): KinesisRecordData[] {
  const ranges = opts.shardHashRanges ?? []
  const groups = new Map<string, KinesisRecordData[]>()
  for (const r of records) {
    let group = `key:${r.partitionKey}`
    if (ranges.length > 0) {
      const hash = partitionKeyHash(r.partitionKey)
      const shard = ranges.find((s) => hash >= s.startingHashKey && hash <= s.endingHashKey)
      if (shard !== undefined) group = `shard:${shard.shardId}`
    }
    const list = groups.get(group) ?? []
    list.push(r)
    groups.set(group, list)
  }
  const out: KinesisRecordData[] = []
  for (const group of groups.values()) out.push(...aggregateRecords(group, opts.aggregateMaxBytes ?? DEFAULT_AGGREGATE_MAX_BYTES))
  return out
}

/** Splits entries into requests within the record-count and byte limits. */
function batchEntries(entries: readonly PutRecordsRequestEntry[]): PutRecordsRequestEntry[][] {
  const batches: PutRecordsRequestEntry[][] = []
  let current: PutRecordsRequestEntry[] = []
  let bytes = 0
  for (const e of entries) {
    const size = (e.Data?.byteLength ?? 0) + Buffer.byteLength(e.PartitionKey ?? '')
    if (size > MAX_RECORD_BYTES) {
      throw new AdwatchError('ADW_STREAM_EVENT_INVALID', `record of ${size} bytes (partition key "${e.PartitionKey}") exceeds the Kinesis limit of ${MAX_RECORD_BYTES} bytes; split the payload`)
    }
    if (current.length === PUT_RECORDS_MAX_RECORDS || bytes + size > PUT_RECORDS_MAX_BYTES) {
      batches.push(current)
      current = []
      bytes = 0
    }
    current.push(e)
    bytes += size
  }
  if (current.length > 0) batches.push(current)
  return batches
}

function wrapFatal(err: unknown, streamName: string): AdwatchError {
  const name = (err as { name?: string } | null)?.name ?? 'Error'
  const message = (err as { message?: string } | null)?.message ?? String(err)
  if (name === 'ResourceNotFoundException') {
    return new AdwatchError('ADW_STREAM_KINESIS', `Kinesis stream "${streamName}" does not exist: create it (ensureStream) or set ADW_KINESIS_STREAM`, { cause: err })
  }
  return new AdwatchError('ADW_STREAM_KINESIS', `PutRecords to stream "${streamName}" failed and cannot succeed by retrying: ${name}: ${message}`, { cause: err })
}
