import assert from 'node:assert/strict'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { after, before, describe, it } from 'node:test'
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordsCommand,
  type KinesisClient,
  type PutRecordsCommandOutput,
} from '@aws-sdk/client-kinesis'
import { AdwatchError } from '../../core/errors.ts'
import { createKinesisClient } from '../../core/kinesis-client.ts'
import { deaggregateRecord, isAggregated, partitionKeyHash } from '../kpl.ts'
import { buildCatalogue } from './catalogue.ts'
import { ensureStream, listOpenShards } from './ensure-stream.ts'
import { putEvents, type PutRecordsClient } from './put-records.ts'
import { generateTestRecords } from './test-events.ts'
import { createTrafficGenerator } from './traffic.ts'

/** Kinesalite in this process on a free loopback port; the test fails if it cannot start. */
let server: Server
let client: KinesisClient

before(async () => {
  const kinesalite = createRequire(import.meta.url)('kinesalite') as (opts: object) => Server
  server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000 })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  client = createKinesisClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', streamName: 'unused', shardCount: 1 })
})

after(async () => {
  client?.destroy()
  if (server !== undefined) {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
})

interface ReadRecord {
  shardId: string
  data: Buffer
  partitionKey: string
}

/** Reads every record of every shard from TRIM_HORIZON until a shard has nothing more. */
async function readAll(stream: string): Promise<ReadRecord[]> {
  const out: ReadRecord[] = []
  const shards = (await client.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? []
  for (const shard of shards) {
    const shardId = shard.ShardId as string
    let iterator = (await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator
    while (iterator !== undefined) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }))
      const records = page.Records ?? []
      for (const r of records) out.push({ shardId, data: Buffer.from(r.Data as Uint8Array), partitionKey: r.PartitionKey as string })
      if (records.length === 0) break
      iterator = page.NextShardIterator
    }
  }
  return out
}

/** Multiset of (partition key, bytes) as sorted strings, to compare what was put and read. */
function fingerprint(records: ReadonlyArray<{ data: Uint8Array; partitionKey: string }>): string[] {
  return records.map((r) => `${r.partitionKey} ${Buffer.from(r.data).toString('base64')}`).sort()
}

const START = Date.now()

describe('ensureStream', () => {
  it('creates a missing stream, waits for ACTIVE, and finds it the second time', async () => {
    const first = await ensureStream(client, 'ensure-1', 2)
    assert.equal(first.created, true)
    assert.equal(first.status, 'ACTIVE')
    assert.equal(first.openShardCount, 2)
    const second = await ensureStream(client, 'ensure-1', 5)
    // An existing stream keeps its shards.
    assert.deepEqual([second.created, second.openShardCount], [false, 2])
    const shards = await listOpenShards(client, 'ensure-1')
    assert.equal(shards.length, 2)
    assert.equal(shards[0]!.startingHashKey, 0n)
    assert.equal(shards[1]!.endingHashKey, (1n << 128n) - 1n)
    assert.equal(shards[0]!.endingHashKey + 1n, shards[1]!.startingHashKey)
  })

  it('times out with a clear error when the stream never becomes ACTIVE', async () => {
    const stuck = {
      send: async () => ({ StreamDescriptionSummary: { StreamName: 's', StreamStatus: 'CREATING', OpenShardCount: 0 } }),
    } as unknown as KinesisClient
    let clock = 0
    await assert.rejects(
      ensureStream(stuck, 's', 1, { timeoutMs: 1000, pollMs: 100, now: () => clock, sleep: async (ms) => void (clock += ms) }),
      (err: unknown) => err instanceof AdwatchError && err.code === 'ADW_STREAM_KINESIS' && /not ACTIVE after 1000 ms \(status CREATING\)/.test(err.message),
    )
  })
})

describe('putEvents against kinesalite', () => {
  const { records, truth } = generateTestRecords({ count: 3000, shards: 2, invalidRate: 0.05, duplicateRate: 0.02, seed: 11, startMs: START, tenants: 3 })

  it('puts 3000 plain records (invalid ones included) in requests of at most 500, all arriving', async () => {
    await ensureStream(client, 'plain', 2)
    const res = await putEvents(client, 'plain', records)
    assert.deepEqual(res, { records: 3000, kinesisRecords: 3000, requests: 6, retries: 0, retriedRecords: 0 })
    const read = await readAll('plain')
    assert.deepEqual(fingerprint(read), fingerprint(records))
    // Routed by partition key as an evenly split stream does.
    const perShard = ['shardId-000000000000', 'shardId-000000000001'].map((id) => read.filter((r) => r.shardId === id).length)
    assert.deepEqual(perShard, truth.recordsPerShard)
  })

  it('puts 3000 KPL-aggregated records per shard: every user record arrives on its own key’s shard', async () => {
    await ensureStream(client, 'aggregated', 2)
    const shards = await listOpenShards(client, 'aggregated')
    const res = await putEvents(client, 'aggregated', records, { aggregate: true, shardHashRanges: shards })
    assert.equal(res.records, 3000)
    assert.ok(res.kinesisRecords < 30, `${res.kinesisRecords} aggregated records`)
    const read = await readAll('aggregated')
    assert.equal(read.length, res.kinesisRecords)
    assert.ok(read.every((r) => isAggregated(r.data)))
    const users = read.flatMap((r) => deaggregateRecord(r.data, r.partitionKey).map((u) => ({ ...u, shardId: r.shardId })))
    assert.deepEqual(fingerprint(users), fingerprint(records))
    const rangeOf = new Map(shards.map((s) => [s.shardId, s]))
    for (const u of users) {
      const range = rangeOf.get(u.shardId)!
      const hash = partitionKeyHash(u.partitionKey)
      assert.ok(hash >= range.startingHashKey && hash <= range.endingHashKey, `${u.partitionKey} read from ${u.shardId}`)
    }
  })

  it('aggregates events per partition key when the shards are unknown', async () => {
    await ensureStream(client, 'events', 2)
    const catalogue = buildCatalogue({ seed: 1, tenants: 2, campaigns: 20 })
    const events = createTrafficGenerator({ catalogue, seed: 1, dayCurve: false }).events(START - 60_000, 60_000, 50)
    assert.ok(events.length > 2000)
    const res = await putEvents(client, 'events', events, { aggregate: true })
    const read = await readAll('events')
    const users = read.flatMap((r) => deaggregateRecord(r.data, r.partitionKey))
    assert.deepEqual(users.map((u) => JSON.parse(u.data.toString()).id).sort(), events.map((e) => e.id).sort())
    // Each Kinesis record holds one campaign's events, keyed tenant/campaign.
    for (const r of read) {
      const keys = new Set(deaggregateRecord(r.data, r.partitionKey).map((u) => u.partitionKey))
      assert.deepEqual([...keys], [r.partitionKey])
    }
    assert.ok(res.kinesisRecords <= 40 + 20, `${res.kinesisRecords} records for 20 campaigns`)
  })

  it('retries a throttled request and the failed records of a partial failure, with growing backoff', async () => {
    await ensureStream(client, 'faults', 2)
    const batch = records.slice(0, 800)
    let calls = 0
    const faulty: PutRecordsClient = {
      async send(command: PutRecordsCommand): Promise<PutRecordsCommandOutput> {
        calls++
        if (calls === 1) throw Object.assign(new Error('Rate exceeded for shard'), { name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } })
        if (calls === 2) {
          // Half the records go through; the rest are reported throttled, as Kinesis does.
          const all = command.input.Records ?? []
          const half = all.slice(0, Math.floor(all.length / 2))
          const out = await client.send(new PutRecordsCommand({ StreamName: 'faults', Records: half }))
          return {
            ...out,
            FailedRecordCount: all.length - half.length,
            Records: [...(out.Records ?? []), ...all.slice(half.length).map(() => ({ ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' }))],
          }
        }
        return client.send(command)
      },
    }
    const delays: number[] = []
    const res = await putEvents(faulty, 'faults', batch, { sleep: async (ms) => void delays.push(ms), random: () => 1, baseDelayMs: 50 })
    assert.equal(res.retries, 2)
    assert.equal(res.retriedRecords, 500 + 250)
    assert.deepEqual(delays, [50, 100])
    const read = await readAll('faults')
    // Every record exactly once: the throttled half was re-sent, the accepted half was not.
    assert.deepEqual(fingerprint(read), fingerprint(batch))
  })

  it('gives up after maxAttempts with ADW_STREAM_KINESIS, retryable, and the cause', async () => {
    let calls = 0
    const throttled: PutRecordsClient = {
      async send() {
        calls++
        throw Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' })
      },
    }
    await assert.rejects(
      putEvents(throttled, 'faults', records.slice(0, 10), { maxAttempts: 4, sleep: async () => undefined }),
      (err: unknown) =>
        err instanceof AdwatchError && err.code === 'ADW_STREAM_KINESIS' && err.retryable && /after 4 attempts/.test(err.message) && (err.cause as Error).name === 'ProvisionedThroughputExceededException',
    )
    assert.equal(calls, 4)
  })

  it('fails at once, not retryable, when the stream does not exist', async () => {
    const started = Date.now()
    await assert.rejects(
      putEvents(client, 'no-such-stream', records.slice(0, 10)),
      (err: unknown) => err instanceof AdwatchError && err.code === 'ADW_STREAM_KINESIS' && !err.retryable && /does not exist/.test(err.message),
    )
    assert.ok(Date.now() - started < 2000)
  })

  it('keeps every record with several requests in flight', async () => {
    await ensureStream(client, 'concurrent', 2)
    const res = await putEvents(client, 'concurrent', records, { concurrency: 3 })
    assert.equal(res.requests, 6)
    assert.deepEqual(fingerprint(await readAll('concurrent')), fingerprint(records))
  })

  it('splits by bytes as well as count: 5 MiB per request', async () => {
    await ensureStream(client, 'big', 1)
    const big = Array.from({ length: 12 }, (_, i) => ({ data: Buffer.alloc(900_000, 97 + i), partitionKey: `k${i}` }))
    const res = await putEvents(client, 'big', big)
    // 12 × ~0.9 MB: at most 5 per request.
    assert.equal(res.requests, 3)
    assert.equal((await readAll('big')).length, 12)
  })
})
