import { isRetryable } from '../core/errors.ts'
import { putEvents, type PutInput, type PutRecordsClient } from '../stream/producer/put-records.ts'
import type { EventWriter } from './deps.ts'
import { GatewayError, UnavailableError } from './errors.ts'

/**
 * Writes records with the producer's putEvents (PutRecords of ≤ 500 records / 5 MiB, failed
 * records of a partial failure retried with backoff), with a retry budget that fits inside an
 * HTTP request (4 attempts, ≤ 1 s apart) rather than a producer's patience.
 */
export class KinesisEventWriter implements EventWriter {
  constructor(private readonly client: PutRecordsClient, private readonly streamName: string) {}

  async put(records: readonly PutInput[]): Promise<void> {
    try {
      await putEvents(this.client, this.streamName, records, { concurrency: 4, maxAttempts: 4, baseDelayMs: 50, maxDelayMs: 1_000 })
    } catch (err) {
      if (isRetryable(err)) throw new UnavailableError('Kinesis', { cause: err })
      throw new GatewayError('ADW_GATEWAY_UNAVAILABLE', 503, `Kinesis refused the records: ${(err as Error).message}`, { cause: err })
    }
  }
}
