import type { RecordsPage, ShardInfo, ShardSource, StartAt } from '../kinesis-shard-source.ts'
import { toKinesisError } from '../kinesis-shard-source.ts'

/**
 * Wraps a ShardSource and makes a share of GetRecords calls fail as Kinesis does when a
 * shard is throttled (kinesalite never throttles). Deterministic by call count.
 */
export class ThrottlingShardSource implements ShardSource {
  calls = 0
  throttled = 0

  constructor(private readonly inner: ShardSource, private readonly everyNth: number) {}

  listShards(): Promise<ShardInfo[]> {
    return this.inner.listShards()
  }

  iterator(shardId: string, start: StartAt): Promise<string> {
    return this.inner.iterator(shardId, start)
  }

  async getRecords(iterator: string, limit: number): Promise<RecordsPage> {
    if (++this.calls % this.everyNth === 0) {
      this.throttled++
      const err = Object.assign(new Error('Rate exceeded for shard'), { name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } })
      throw toKinesisError('GetRecords', err)
    }
    return this.inner.getRecords(iterator, limit)
  }
}
