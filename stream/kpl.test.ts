import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import {
  aggregateRecords,
  deaggregateRecord,
  isAggregated,
  KPL_MAGIC,
  KplRecordCorruptError,
  type KinesisRecordData,
} from './kpl.ts'

function makeRecords(n: number): KinesisRecordData[] {
  return Array.from({ length: n }, (_, i) => ({
    data: Buffer.from(JSON.stringify({ id: `e-${i.toString(36)}`, tenant: 'acme', campaign: `cmp_${i % 41}`, clicks: i % 3, pad: 'x'.repeat(i % 90) })),
    partitionKey: `acme/cmp_${i % 41}`,
  }))
}

/** Minimal protobuf writer for hand-made (but well-checksummed) aggregated records. */
function varint(n: number): Buffer {
  const bytes: number[] = []
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80)
    n >>>= 7
  }
  bytes.push(n)
  return Buffer.from(bytes)
}
function field(id: number, payload: Buffer): Buffer {
  return Buffer.concat([varint((id << 3) | 2), varint(payload.length), payload])
}
function withMagicAndMd5(body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(KPL_MAGIC), body, createHash('md5').update(body).digest()])
}

describe('aggregateRecords / deaggregateRecord', () => {
  it('round-trips 5000 records in order with their own partition keys', () => {
    const records = makeRecords(5000)
    const aggregated = aggregateRecords(records)
    // ~100-byte records: 5000 fit in one 1 MiB aggregate.
    assert.equal(aggregated.length, 1)
    const back = aggregated.flatMap((r) => deaggregateRecord(r.data, r.partitionKey))
    assert.equal(back.length, 5000)
    for (let i = 0; i < records.length; i++) {
      assert.ok(back[i]!.data.equals(records[i]!.data), `record ${i} bytes`)
      assert.equal(back[i]!.partitionKey, records[i]!.partitionKey)
      assert.equal(back[i]!.subSequence, i)
    }
  })

  it('splits at maxBytes and every output stays within it', () => {
    const records = makeRecords(5000)
    const maxBytes = 20_000
    const aggregated = aggregateRecords(records, maxBytes)
    assert.ok(aggregated.length > 10, `expected many aggregates, got ${aggregated.length}`)
    for (const r of aggregated) {
      assert.ok(r.data.length <= maxBytes, `aggregate of ${r.data.length} bytes exceeds ${maxBytes}`)
      assert.ok(isAggregated(r.data))
    }
    const back = aggregated.flatMap((r) => deaggregateRecord(r.data, r.partitionKey))
    assert.deepEqual(back.map((r) => r.data.toString()), records.map((r) => r.data.toString()))
    // Each aggregate is keyed by its first user record.
    assert.equal(aggregated[0]!.partitionKey, records[0]!.partitionKey)
  })

  it('sends a group of one as the plain record, as the KPL does', () => {
    const [only] = makeRecords(1)
    const out = aggregateRecords([only!])
    assert.equal(out.length, 1)
    assert.equal(out[0]!.data, only!.data)
    assert.equal(isAggregated(out[0]!.data), false)
  })

  it('still aggregates a single record whose bytes start with the magic (else it would misread)', () => {
    const tricky = { data: Buffer.concat([Buffer.from(KPL_MAGIC), Buffer.from('payload')]), partitionKey: 'k' }
    const out = aggregateRecords([tricky])
    assert.notEqual(out[0]!.data, tricky.data)
    const back = deaggregateRecord(out[0]!.data, 'k')
    assert.ok(back[0]!.data.equals(tricky.data))
  })

  it('passes a record too large to aggregate through plain, and rejects one too large for Kinesis', () => {
    const big = { data: Buffer.alloc(990, 0x61), partitionKey: 'k' }
    const out = aggregateRecords([{ data: Buffer.from('a'), partitionKey: 'k' }, big], 1000)
    // 990 bytes + 20 bytes of magic/MD5 + protobuf framing > 1000: sent plain after the first.
    assert.equal(out.length, 2)
    assert.equal(out[1]!.data, big.data)
    assert.throws(() => aggregateRecords([{ data: Buffer.alloc(1001), partitionKey: 'k' }], 1000), /does not fit/)
    assert.throws(() => aggregateRecords([{ data: Buffer.from('x'), partitionKey: '' }]), /partition key/)
    assert.throws(() => aggregateRecords([], 10), RangeError)
  })
})

describe('deaggregateRecord on plain records', () => {
  it('returns the record itself without copying, subSequence 0', () => {
    const data = Buffer.from('{"id":"e-1"}')
    const [one, ...rest] = deaggregateRecord(data, 'acme/cmp_1')
    assert.equal(rest.length, 0)
    assert.equal(one!.data, data)
    assert.equal(one!.partitionKey, 'acme/cmp_1')
    assert.equal(one!.subSequence, 0)
  })

  it('accepts a Uint8Array view (as the SDK returns) and keeps its bounds', () => {
    const backing = new Uint8Array([0, 0x7b, 0x7d, 0])
    const view = backing.subarray(1, 3)
    const [one] = deaggregateRecord(view, 'k')
    assert.equal(one!.data.toString(), '{}')
  })

  it('treats magic-less bytes of any kind as plain (validation decides later)', () => {
    for (const bytes of [Buffer.alloc(0), Buffer.from([0xf3, 0x89]), Buffer.from([0xff, 0xfe, 0x00])]) {
      const out = deaggregateRecord(bytes, 'k')
      assert.equal(out.length, 1)
      assert.equal(out[0]!.data, bytes)
    }
  })
})

describe('deaggregateRecord on corrupt aggregated records', () => {
  const [good] = aggregateRecords(makeRecords(50))

  it('rejects a flipped byte as a checksum failure', () => {
    const bad = Buffer.from(good!.data)
    bad[40]! ^= 0x55
    assert.throws(
      () => deaggregateRecord(bad, 'acme/cmp_0'),
      (err: unknown) => err instanceof KplRecordCorruptError && err.corruption === 'checksum' && err.code === 'ADW_STREAM_EVENT_INVALID' && /acme\/cmp_0/.test(err.message),
    )
  })

  it('rejects a damaged checksum', () => {
    const bad = Buffer.from(good!.data)
    bad[bad.length - 1]! ^= 0x01
    assert.throws(() => deaggregateRecord(bad, 'k'), (err: unknown) => err instanceof KplRecordCorruptError && err.corruption === 'checksum')
  })

  it('rejects a truncated record', () => {
    assert.throws(() => deaggregateRecord(good!.data.subarray(0, 10), 'k'), (err: unknown) => err instanceof KplRecordCorruptError && err.corruption === 'truncated')
    // Long enough for magic and MD5 but cut short: the MD5 no longer matches.
    assert.throws(() => deaggregateRecord(good!.data.subarray(0, 200), 'k'), KplRecordCorruptError)
  })

  it('rejects bad protobuf even when its MD5 is right (a producer bug)', () => {
    const bad = withMagicAndMd5(Buffer.from([0x1a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]))
    assert.throws(() => deaggregateRecord(bad, 'k'), (err: unknown) => err instanceof KplRecordCorruptError && err.corruption === 'protobuf')
  })

  it('rejects a user record without its required data field', () => {
    const record = Buffer.from([0x08, 0x00]) // partition_key_index = 0, no data
    const bad = withMagicAndMd5(Buffer.concat([field(1, Buffer.from('k')), field(3, record)]))
    assert.throws(() => deaggregateRecord(bad, 'k'), (err: unknown) => err instanceof KplRecordCorruptError && err.corruption === 'protobuf')
  })

  it('rejects a partition key index outside the table', () => {
    const record = Buffer.concat([Buffer.from([0x08, 0x05]), field(3, Buffer.from('{}'))])
    const bad = withMagicAndMd5(Buffer.concat([field(1, Buffer.from('k')), field(3, record)]))
    assert.throws(() => deaggregateRecord(bad, 'k'), (err: unknown) => err instanceof KplRecordCorruptError && err.corruption === 'partition-key')
  })

  it('reads a hand-made well-formed record (the test encoder is right)', () => {
    const record = Buffer.concat([Buffer.from([0x08, 0x00]), field(3, Buffer.from('{}'))])
    const ok = withMagicAndMd5(Buffer.concat([field(1, Buffer.from('pk')), field(3, record), field(3, record)]))
    const out = deaggregateRecord(ok, 'outer')
    assert.deepEqual(out.map((r) => [r.data.toString(), r.partitionKey, r.subSequence]), [['{}', 'pk', 0], ['{}', 'pk', 1]])
  })
})
