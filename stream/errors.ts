import { AdwatchError } from '../core/errors.ts'

/** The shard's lease is gone (expired or taken over); stop reading it without writing. */
export class LeaseLostError extends AdwatchError {
  constructor(readonly shardId: string, detail: string) {
    super('ADW_STREAM_LEASE_LOST', `lease of shard ${shardId} lost: ${detail}`)
  }
}

/**
 * The Redis sink refused a batch, writing nothing: the lease of `shardIds` is not current
 * any more (`lease`), their checkpoint already covers the batch (`checkpoint`), or their
 * checkpoint is not the one the worker last wrote or read (`moved`: Redis lost writes).
 */
export class FencedError extends AdwatchError {
  constructor(readonly shardIds: readonly string[], readonly reason: 'lease' | 'checkpoint' | 'moved', detail: string, options?: ErrorOptions) {
    super('ADW_STREAM_FENCED', `write for shard ${shardIds.join(', ')} fenced off: ${detail}`, options)
  }
}

/** A ClickHouse call of the consumer failed; retried from the checkpoint after backoff. */
export class ClickHouseSinkError extends AdwatchError {
  constructor(detail: string, options?: ErrorOptions) {
    super('ADW_STREAM_CLICKHOUSE', `ClickHouse write failed: ${detail}`, { ...options, retryable: true })
  }
}

/** A Redis call of the consumer failed; retried from the checkpoint after backoff. */
export class RedisSinkError extends AdwatchError {
  constructor(detail: string, options?: ErrorOptions) {
    super('ADW_STREAM_REDIS', `Redis write failed: ${detail}`, { ...options, retryable: true })
  }
}

/** A Kinesis call failed; `retryable` says whether backoff and retry can help. */
export class KinesisError extends AdwatchError {
  constructor(detail: string, retryable: boolean, options?: ErrorOptions) {
    super('ADW_STREAM_KINESIS', `Kinesis call failed: ${detail}`, { ...options, retryable })
  }
}
