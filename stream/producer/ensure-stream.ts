import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ListShardsCommand,
  type KinesisClient,
  type ListShardsCommandOutput,
  type StreamStatus,
} from '@aws-sdk/client-kinesis'
import { AdwatchError } from '../../core/errors.ts'
import type { ShardHashRange } from './put-records.ts'
import { isRetryableKinesisError } from './put-records.ts'

/**
 * Kinesis stream setup for the producer and local runs: create the stream when missing and
 * wait until it is ACTIVE; list its open shards. StreamName is always passed (kinesalite
 * needs it).
 */

/** Polling of ensureStream; the clock and sleep are injectable. */
export interface EnsureStreamOptions {
  /** Give up after this long (default 60 s). */
  readonly timeoutMs?: number
  /** Wait between DescribeStreamSummary calls (default 200 ms). */
  readonly pollMs?: number
  readonly now?: () => number
  readonly sleep?: (ms: number) => Promise<void>
}

/** The stream as ensureStream left it. */
export interface StreamInfo {
  readonly streamName: string
  readonly streamArn: string | undefined
  readonly status: StreamStatus | string
  readonly openShardCount: number
  /** True when this call created the stream. */
  readonly created: boolean
}

/**
 * Makes sure the stream exists and is ACTIVE: DescribeStreamSummary, CreateStream with
 * `shardCount` shards on ResourceNotFoundException (a concurrent creator is fine), then poll.
 * An existing stream keeps its shard count. Throws ADW_STREAM_KINESIS on timeout or when a
 * call fails.
 */
export async function ensureStream(
  client: KinesisClient,
  streamName: string,
  shardCount: number,
  opts: EnsureStreamOptions = {},
): Promise<StreamInfo> {
  if (!Number.isInteger(shardCount) || shardCount < 1) throw new RangeError(`shardCount must be a positive integer, got ${shardCount}`)
  const now = opts.now ?? Date.now
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const timeoutMs = opts.timeoutMs ?? 60_000
  const pollMs = opts.pollMs ?? 200
  const deadline = now() + timeoutMs
  let created = false
  let lastStatus = 'NOT_FOUND'

  for (;;) {
    const summary = await describe(client, streamName)
    if (summary === undefined) {
      lastStatus = 'NOT_FOUND'
      // After our own CreateStream, a miss is eventual consistency: keep polling.
      if (!created) created = await create(client, streamName, shardCount)
    } else {
      lastStatus = summary.StreamStatus ?? 'UNKNOWN'
      if (lastStatus === 'ACTIVE') {
        return {
          streamName,
          streamArn: summary.StreamARN,
          status: lastStatus,
          openShardCount: summary.OpenShardCount ?? 0,
          created,
        }
      }
    }
    if (now() >= deadline) {
      throw new AdwatchError(
        'ADW_STREAM_KINESIS',
        `Kinesis stream "${streamName}" is not ACTIVE after ${timeoutMs} ms (status ${lastStatus}); check the Kinesis endpoint or wait for the stream to settle`,
        { retryable: true },
      )
    }
    await sleep(pollMs)
  }
}

async function describe(client: KinesisClient, streamName: string) {
  try {
    const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }))
    return out.StreamDescriptionSummary
  } catch (err) {
    if ((err as Error).name === 'ResourceNotFoundException') return undefined
    throw wrap(err, `DescribeStreamSummary of "${streamName}"`)
  }
}

/** Creates the stream; false when another process created it first. */
async function create(client: KinesisClient, streamName: string, shardCount: number): Promise<boolean> {
  try {
    await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }))
    return true
  } catch (err) {
    if ((err as Error).name === 'ResourceInUseException') return false
    throw wrap(err, `CreateStream "${streamName}" with ${shardCount} shards`)
  }
}

/** Open shards of the stream and their hash key ranges, for per-shard aggregation. */
export async function listOpenShards(client: KinesisClient, streamName: string): Promise<ShardHashRange[]> {
  const out: ShardHashRange[] = []
  let nextToken: string | undefined
  do {
    let page: ListShardsCommandOutput
    try {
      // AWS refuses StreamName together with NextToken; the first page names the stream.
      page = await client.send(new ListShardsCommand(nextToken === undefined ? { StreamName: streamName } : { NextToken: nextToken }))
    } catch (err) {
      throw wrap(err, `ListShards of "${streamName}"`)
    }
    for (const shard of page.Shards ?? []) {
      if (shard.SequenceNumberRange?.EndingSequenceNumber !== undefined) continue
      const range = shard.HashKeyRange
      if (shard.ShardId === undefined || range?.StartingHashKey === undefined || range.EndingHashKey === undefined) continue
      out.push({ shardId: shard.ShardId, startingHashKey: BigInt(range.StartingHashKey), endingHashKey: BigInt(range.EndingHashKey) })
    }
    nextToken = page.NextToken
  } while (nextToken !== undefined)
  return out
}

function wrap(err: unknown, what: string): AdwatchError {
  const e = err as { name?: string; message?: string }
  return new AdwatchError('ADW_STREAM_KINESIS', `${what} failed: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`, {
    cause: err,
    retryable: isRetryableKinesisError(err),
  })
}
