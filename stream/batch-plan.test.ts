import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeRecords, hasUnknownTenant, planWorkerBatch, type DecodedRecord, type KinesisRecordIn } from './batch-plan.ts'
import type { DecodeContext } from './decode.ts'
import { deaggregateRecord } from './kpl.ts'
import { encodePosition } from './positions.ts'

const NOW = Date.parse('2026-11-21T10:00:00Z')
const ctx: DecodeContext = { nowMs: NOW, maxLatenessMs: 86_400_000, maxFutureMs: 300_000, isKnownTenant: (t) => t === 'acme' }
const event = (id: string, tenant = 'acme') =>
  Buffer.from(JSON.stringify({ id, ts: NOW - 1000, tenant, platform: 'meta', account: 'a1', campaign: 'c1', type: 'click', clicks: 1 }))
const rec = (seq: number, data: Buffer): KinesisRecordIn => ({ sequenceNumber: String(seq), partitionKey: 'acme/c1', data, arrivalMs: NOW })
const pos = (seq: number) => encodePosition(String(seq))

test('a page decodes into events and dead letters in position order', () => {
  const out = decodeRecords([rec(10, event('e1')), rec(11, Buffer.from('{oops')), rec(12, event('e2', 'ghost'))], ctx, deaggregateRecord)
  assert.deepEqual(out.map((r) => r.pos), [pos(10), pos(11), pos(12)])
  assert.equal(out[0]!.event?.id, 'e1')
  assert.equal(out[1]!.letter?.code, 'bad_json')
  assert.equal(out[1]!.letter?.sequenceNumber, '11')
  assert.equal(out[2]!.letter?.code, 'unknown_tenant')
  // An unknown tenant is worth a tenant reload before the letter stands.
  assert.equal(hasUnknownTenant(out), true)
  assert.equal(hasUnknownTenant(out.slice(0, 2)), false)
})

test('a worker batch plans each shard against its own checkpoints', () => {
  const decoded = (seqs: number[]): DecodedRecord[] => decodeRecords(seqs.map((s) => rec(s, s === 5 ? Buffer.from('x') : event(`e${s}`))), ctx, deaggregateRecord)
  const plan = planWorkerBatch([
    // Shard A: Redis holds up to 2, ClickHouse up to 3 (a batch that reached Redis, then ClickHouse partly).
    { shardId: 'A', checkpoints: { redis: pos(2), clickhouse: pos(3) }, records: decoded([1, 2, 3, 4, 5]) },
    // Shard B: nothing held yet.
    { shardId: 'B', checkpoints: { redis: undefined, clickhouse: undefined }, records: decoded([7, 8]) },
    // Shard C: both sinks hold all of it (a replay after a crash): nothing to write, but its extent is known.
    { shardId: 'C', checkpoints: { redis: pos(9), clickhouse: pos(9) }, records: decoded([9]) },
  ])
  assert.deepEqual(plan.shards, [
    { shardId: 'A', redisFirstPos: pos(3), lastPos: pos(5), userRecords: 5 },
    { shardId: 'B', redisFirstPos: pos(7), lastPos: pos(8), userRecords: 2 },
    { shardId: 'C', redisFirstPos: undefined, lastPos: pos(9), userRecords: 1 },
  ])
  const sinks = plan.events.map((e) => `${e.shard}:${e.event.id}:${e.toRedis ? 'R' : ''}${e.toClickHouse ? 'C' : ''}`)
  // e1 and e2 are in both sinks; e3 only still missing from Redis; e4 from both.
  assert.deepEqual(sinks, ['0:e3:R', '0:e4:RC', '1:e7:RC', '1:e8:RC'])
  assert.deepEqual(plan.deadLetters.map((l) => [l.shard, l.letter.code, l.toRedis, l.toClickHouse]), [[0, 'bad_json', true, true]])
})
