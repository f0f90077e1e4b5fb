import { test } from 'node:test'
import assert from 'node:assert/strict'
import { pino } from 'pino'
import { decodeRecords, type DecodedRecord } from './batch-plan.ts'
import { BatchSink, type CounterSink, type HistorySink, type LeaseTimer } from './batch-sink.ts'
import type { EncodedEvents, ShardEvent } from './clickhouse-history-writer.ts'
import { ClickHouseSinkError, FencedError, RedisSinkError } from './errors.ts'
import { deaggregateRecord } from './kpl.ts'
import { encodePosition, type Position } from './positions.ts'
import type { IdClaim, RedisBatch } from './redis-counter-store.ts'
import { ShardReader, type ShardReaderDeps } from './shard-reader.ts'
import { WorkerBatcher } from './worker-batcher.ts'

const NOW = Date.parse('2026-11-21T10:00:00Z')
const log = pino({ level: 'silent' })
const pos = (seq: number) => encodePosition(String(seq))

/** Records of a shard: event ids `<shard>-<seq>`, or a bad record where `bad` says. */
function records(shard: string, seqs: number[], o: { bad?: number; dupOf?: Record<number, string> } = {}): DecodedRecord[] {
  const ctx = { nowMs: NOW, maxLatenessMs: 86_400_000, maxFutureMs: 300_000, isKnownTenant: () => true }
  return decodeRecords(
    seqs.map((s) => ({
      sequenceNumber: String(s),
      partitionKey: 'acme/c1',
      arrivalMs: NOW,
      data: s === o.bad ? Buffer.from('{nope') : Buffer.from(JSON.stringify({ id: o.dupOf?.[s] ?? `${shard}-${s}`, ts: NOW - 1000, tenant: 'acme', platform: 'meta', account: 'a1', campaign: 'c1', type: 'click', clicks: 1, spend_micros: s })),
    })),
    ctx,
    deaggregateRecord,
  )
}

/** Fake sinks that record every call; each may be told to fail on its next calls. */
function fakes() {
  const calls = { claims: [] as IdClaim[][], applied: [] as RedisBatch[], inserted: [] as string[][], letters: 0, checkpointReads: 0, checkpointMoves: [] as string[][] }
  const claimed = new Map<string, string>()
  const fail = { apply: [] as Error[], insert: [] as Error[], appliedAnyway: false }
  const redisCkpt = new Map<string, Position>()
  const chCkpt = new Map<string, Position>()
  const counters: CounterSink = {
    async claimIds(claims) {
      calls.claims.push([...claims])
      return Uint8Array.from(claims.map((c) => {
        const held = claimed.get(c.id)
        if (held === undefined) claimed.set(c.id, c.claimer)
        return held !== undefined && held !== c.claimer ? 1 : 0
      }))
    },
    async applyBatch(b) {
      calls.applied.push(b)
      const shards = 'shards' in b ? b.shards : []
      // As the script: a shard's stored checkpoint must be the one the writer expects.
      const moved = shards.filter((s) => s.expectedCheckpoint !== undefined && (redisCkpt.get(s.shard) ?? null) !== s.expectedCheckpoint)
      if (moved.length > 0) throw new FencedError(moved.map((s) => s.shard), 'moved', 'MOVED')
      const err = fail.apply.shift()
      if (err !== undefined && !(err instanceof RedisSinkError && fail.appliedAnyway)) throw err
      for (const s of shards) redisCkpt.set(s.shard, s.lastPos)
      if (err !== undefined) throw err // applied, but the answer was lost
    },
    async readCheckpoints(_stream, shards) {
      return new Map(shards.filter((s) => redisCkpt.has(s)).map((s) => [s, redisCkpt.get(s)!]))
    },
  }
  const history: HistorySink = {
    encodeEvents(_stream: string, events: readonly ShardEvent[]): EncodedEvents {
      return { rows: events.length, body: Buffer.from(JSON.stringify(events.map((e) => `${e.shard}@${Number(e.pos.slice(3, -6))}`))) }
    },
    async insertEncodedEvents(runs) {
      const rows = runs.flatMap((r) => JSON.parse(r.body.toString()) as string[])
      if (rows.length === 0) return
      calls.inserted.push(rows)
      const err = fail.insert.shift()
      if (err !== undefined) {
        // The first half of the block landed although the client saw an error.
        if (fail.appliedAnyway) for (const r of rows.slice(0, rows.length / 2)) chCkpt.set(r.split('@')[0]!, pos(Number(r.split('@')[1])))
        throw err
      }
    },
    async insertShardDeadLetters(_stream, letters) {
      calls.letters += letters.length
    },
    async insertCheckpoints(_stream, checkpoints) {
      calls.checkpointMoves.push(checkpoints.map((c) => `${c.shard}@${Number(c.pos.slice(3, -6))}`))
      for (const c of checkpoints) if (!((chCkpt.get(c.shard) ?? '') > c.pos)) chCkpt.set(c.shard, c.pos)
    },
    async readCheckpoints() {
      calls.checkpointReads++
      return new Map(chCkpt)
    },
  }
  const leases: { -readonly [K in keyof LeaseTimer]: LeaseTimer[K] } = { remainingMsOf: async (ls) => ls.map(() => 10_000) }
  return { calls, fail, counters, history, leases, redisCkpt }
}

function reader(shardId: string): ShardReader {
  const deps = { log, batcher: new WorkerBatcher<ShardReader>({ maxRecords: 1, maxWaitMs: 1, readAheadRecords: 1, now: () => NOW }) } as unknown as ShardReaderDeps
  return new ShardReader(deps, { shardId, token: 1, value: `w|1` })
}

function sinkOf(f: ReturnType<typeof fakes>) {
  return new BatchSink({ stream: 's', counters: f.counters, history: f.history, leases: f.leases, dayOf: () => '2026-11-21', now: () => NOW, log, minLeaseForInsertMs: 2_000, historyMaxRecords: 50_000, historyInsertIntervalMs: 0, onBatch: () => undefined })
}

test('one batch of two shards: one claims call, one Redis call fencing both, one insert block; both checkpoints move', async () => {
  const f = fakes()
  const [a, b] = [reader('A'), reader('B')]
  const sink = sinkOf(f)
  const batch = await sink.prepare({ lanes: new Map([[a, records('A', [1, 2, 3], { bad: 2 })], [b, records('B', [7, 8], { dupOf: { 8: 'A-1' } })]]), records: 5 })
  await sink.commit(batch)
  assert.equal(f.calls.claims.length, 1)
  assert.equal(f.calls.applied.length, 1)
  const applied = f.calls.applied[0]!
  assert.ok('shards' in applied)
  assert.deepEqual(applied.shards.map((s) => [s.shard, s.firstPos, s.lastPos]), [['A', pos(1), pos(3)], ['B', pos(7), pos(8)]])
  // B-8 repeats A-1's id: a duplicate, counted in Redis, folded nowhere.
  assert.equal(applied.duplicates, 1)
  assert.equal(applied.deadLetters, 1)
  assert.equal(applied.folded.events, 3)
  assert.deepEqual(f.calls.inserted, [['A@1', 'A@3', 'B@7']])
  assert.equal(f.calls.letters, 1)
  // B-8 left no row; B's ClickHouse checkpoint is moved past it all the same.
  assert.deepEqual(f.calls.checkpointMoves, [['B@8']])
  assert.deepEqual([a.checkpoints, b.checkpoints], [{ redis: pos(3), clickhouse: pos(3) }, { redis: pos(8), clickhouse: pos(8) }])
})

test('a shard whose last records left no event row (a dead letter, a duplicate) gets its ClickHouse checkpoint moved past them', async () => {
  const f = fakes()
  const [a, b] = [reader('A'), reader('B')]
  const sink = sinkOf(f)
  // A ends with a bad record (3) and a repeat of A-1's id (4); B ends with an event.
  await sink.commit(await sink.prepare({ lanes: new Map([[a, records('A', [1, 2, 3, 4], { bad: 3, dupOf: { 4: 'A-1' } })], [b, records('B', [7, 8])]]), records: 6 }))
  assert.deepEqual(f.calls.inserted, [['A@1', 'A@2', 'B@7', 'B@8']])
  assert.deepEqual(f.calls.checkpointMoves, [['A@4']], 'only A, to its last record')
  assert.deepEqual([a.checkpoints.clickhouse, b.checkpoints.clickhouse], [pos(4), pos(8)])
  // A batch of A that ends with an event needs no move.
  await sink.commit(await sink.prepare({ lanes: new Map([[a, records('A', [5])]]), records: 1 }))
  assert.equal(f.calls.checkpointMoves.length, 1)
})

test('a fenced shard is dropped from the batch and the rest written without it', async () => {
  const f = fakes()
  const [a, b] = [reader('A'), reader('B')]
  // Another worker holds B's lease now: Redis refuses a batch naming B, and B has no lease time left.
  f.fail.apply.push(new FencedError(['B'], 'lease', 'FENCED 2'))
  f.leases.remainingMsOf = async (ls) => ls.map((l) => (l.shardId === 'B' ? 0 : 10_000))
  const sink = sinkOf(f)
  const batch = await sink.prepare({ lanes: new Map([[a, records('A', [1, 2])], [b, records('B', [7, 8])]]), records: 4 })
  await sink.commit(batch)
  assert.equal(f.calls.applied.length, 2)
  const retry = f.calls.applied[1]!
  assert.ok('shards' in retry)
  assert.deepEqual(retry.shards.map((s) => s.shard), ['A'])
  assert.equal(retry.folded.events, 2, "B's events are not folded into the retry")
  assert.equal(b.isLost, true)
  assert.deepEqual(f.calls.inserted, [['A@1', 'A@2']])
  assert.equal(b.checkpoints.redis, undefined)
})

test('a shard whose Redis checkpoint is not the one the worker left (Redis lost writes) is dropped and read again; the rest is written', async () => {
  const f = fakes()
  const [a, b] = [reader('A'), reader('B')]
  const sink = sinkOf(f)
  await sink.commit(await sink.prepare({ lanes: new Map([[a, records('A', [1, 2])]]), records: 2 }))
  const first = f.calls.applied[0]!
  assert.ok('shards' in first)
  assert.deepEqual(first.shards.map((s) => s.expectedCheckpoint), [null], 'no checkpoint yet, none expected')
  // Redis comes back without its last write: A's checkpoint is back at 1, the worker left 2.
  f.redisCkpt.set('A', pos(1))
  await sink.commit(await sink.prepare({ lanes: new Map([[a, records('A', [3, 4])], [b, records('B', [7, 8])]]), records: 4 }))
  const refused = f.calls.applied[1]!
  assert.ok('shards' in refused)
  assert.deepEqual(refused.shards.map((s) => [s.shard, s.expectedCheckpoint]), [['A', pos(2)], ['B', null]])
  const retry = f.calls.applied[2]!
  assert.ok('shards' in retry)
  assert.deepEqual(retry.shards.map((s) => s.shard), ['B'])
  assert.equal(a.isLost, true, 'A stops; its next reader starts from the checkpoint Redis holds')
  assert.equal(f.redisCkpt.get('A'), pos(1))
  assert.equal(f.redisCkpt.get('B'), pos(8))
})

test('a Redis failure whose batch landed anyway is not applied twice', async () => {
  const f = fakes()
  f.fail.appliedAnyway = true
  f.fail.apply.push(new RedisSinkError('connection reset'))
  const a = reader('A')
  const sink = sinkOf(f)
  await sink.commit(await sink.prepare({ lanes: new Map([[a, records('A', [1, 2])]]), records: 2 }))
  assert.equal(f.calls.applied.length, 1, 'the checkpoint read back showed the batch in Redis')
  assert.equal(a.checkpoints.redis, pos(2))
})

test('a failed ClickHouse insert holds, reads the checkpoints again and sends only what is missing', async () => {
  const f = fakes()
  f.fail.appliedAnyway = true
  f.fail.insert.push(new ClickHouseSinkError('timeout'))
  const [a, b] = [reader('A'), reader('B')]
  const sink = sinkOf(f)
  await sink.commit(await sink.prepare({ lanes: new Map([[a, records('A', [1, 2])], [b, records('B', [7, 8])]]), records: 4 }))
  // The first try landed A@1 and A@2 (half the block); the retry sends only B's rows.
  assert.deepEqual(f.calls.inserted, [['A@1', 'A@2', 'B@7', 'B@8'], ['B@7', 'B@8']])
  assert.equal(f.calls.checkpointReads, 1)
  assert.equal(f.calls.applied.length, 1, 'Redis is not written again')
  assert.deepEqual([a.checkpoints.clickhouse, b.checkpoints.clickhouse], [pos(2), pos(8)])
})

test('a shard whose lease is too short for a safe insert is dropped before ClickHouse', async () => {
  const f = fakes()
  const [a, b] = [reader('A'), reader('B')]
  const sink = new BatchSink({
    stream: 's', counters: f.counters, history: f.history, dayOf: () => '2026-11-21', now: () => NOW, log, minLeaseForInsertMs: 2_000, historyMaxRecords: 50_000, historyInsertIntervalMs: 0, onBatch: () => undefined,
    leases: { remainingMsOf: async (ls) => ls.map((l) => (l.shardId === 'B' ? 500 : 10_000)) },
  })
  await sink.commit(await sink.prepare({ lanes: new Map([[a, records('A', [1])], [b, records('B', [7])]]), records: 2 }))
  assert.deepEqual(f.calls.inserted, [['A@1']])
  assert.equal(b.isLost, true)
})

/** A running sink over a real batcher (batches of 2 records) whose ClickHouse inserts wait for the test to let each one go. */
function runningSink(o: { historyMaxRecords: number; historyInsertIntervalMs?: number }) {
  const f = fakes()
  const batcher = new WorkerBatcher<ShardReader>({ maxRecords: 2, maxWaitMs: 1, readAheadRecords: 1_000, now: Date.now })
  const deps = { log, batcher } as unknown as ShardReaderDeps
  const lane = (shardId: string) => {
    const r = new ShardReader(deps, { shardId, token: 1, value: 'w|1' })
    batcher.open(r)
    return r
  }
  // Each insert call waits for its own go; started counts the calls begun.
  const gates: Array<(err?: Error) => void> = []
  let started = 0
  const insert = f.history.insertEncodedEvents
  f.history.insertEncodedEvents = async (runs) => {
    started++
    const err = await new Promise<Error | undefined>((resolve) => gates.push(resolve))
    if (err !== undefined) f.fail.insert.push(err)
    return insert(runs)
  }
  const sink = new BatchSink({ stream: 's', counters: f.counters, history: f.history, leases: f.leases, dayOf: () => '2026-11-21', now: () => NOW, log, minLeaseForInsertMs: 2_000, historyMaxRecords: o.historyMaxRecords, historyInsertIntervalMs: o.historyInsertIntervalMs ?? 0, onBatch: () => undefined })
  const stop = new AbortController()
  const done = sink.run(batcher, stop.signal)
  /** Waits for insert number `n` (from 1) to start, then lets it go on (to fail with `err` if given). */
  const letGo = async (n: number, err?: Error) => {
    await until(`insert ${n} to start`, () => started >= n)
    gates.shift()!(err)
  }
  /** A lane for `shardId` whose first batch (records 1 and 2) is in Redis and held in the first insert. */
  const laneHeldInFirstInsert = async (shardId: string) => {
    const r = lane(shardId)
    batcher.push(r, records(shardId, [1, 2]))
    await until('the first insert to start', () => started === 1)
    return r
  }
  return { f, batcher, lane, started: () => started, letGo, laneHeldInFirstInsert, stop, done }
}

/** Waits until `cond` holds (or fails the test after 2 s). */
async function until(what: string, cond: () => boolean): Promise<void> {
  for (const t0 = Date.now(); !cond(); ) {
    if (Date.now() - t0 > 2_000) assert.fail(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 2))
  }
}

test('run: Redis does not wait for a slow ClickHouse insert; the batches waiting meanwhile go in as one insert, in order', async () => {
  const s = runningSink({ historyMaxRecords: 50_000 })
  const a = await s.laneHeldInFirstInsert('A')
  s.batcher.push(a, records('A', [3, 4]))
  await until('a second batch in Redis', () => s.f.calls.applied.length === 2)
  s.batcher.push(a, records('A', [5, 6]))
  await until('a third batch in Redis', () => s.f.calls.applied.length === 3)
  assert.equal(s.started(), 1, 'ClickHouse is still busy with the first batch')
  assert.deepEqual([a.checkpoints.redis, a.checkpoints.clickhouse], [pos(6), undefined])
  await s.letGo(1)
  await s.letGo(2)
  await until('ClickHouse to catch up', () => a.checkpoints.clickhouse === pos(6))
  assert.deepEqual(s.f.calls.inserted, [['A@1', 'A@2'], ['A@3', 'A@4', 'A@5', 'A@6']])
  s.stop.abort()
  await s.done
})

test('run: Redis runs ahead of ClickHouse by a bounded number of records', async () => {
  const s = runningSink({ historyMaxRecords: 4 })
  const a = await s.laneHeldInFirstInsert('A')
  for (let seq = 3; seq <= 11; seq += 2) s.batcher.push(a, records('A', [seq, seq + 1]))
  // The insert in flight holds batch 1, the queue batches 2 and 3 (4 records); batch 4 is in Redis and waits for room.
  await until('Redis to stop for room', () => s.f.calls.applied.length === 4)
  await new Promise((r) => setTimeout(r, 30))
  assert.equal(s.f.calls.applied.length, 4, 'no batch beyond the bound is written to Redis')
  await s.letGo(1)
  await until('batches 5 and 6 in Redis', () => s.f.calls.applied.length === 6)
  for (let insert = 2; insert <= 4; insert++) await s.letGo(insert)
  await until('ClickHouse to catch up', () => a.checkpoints.clickhouse === pos(12))
  const rows = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `A@${from + i}`)
  assert.deepEqual(s.f.calls.inserted, [rows(1, 2), rows(3, 6), rows(7, 10), rows(11, 12)])
  s.stop.abort()
  await s.done
})

test('run: a ClickHouse insert that fails for good stops its shards; batches behind it keep only the other shards', async () => {
  const s = runningSink({ historyMaxRecords: 50_000 })
  const a = await s.laneHeldInFirstInsert('A')
  const b = s.lane('B')
  s.batcher.push(a, records('A', [3]))
  s.batcher.push(b, records('B', [7]))
  await until('the second batch in Redis', () => s.f.calls.applied.length === 2)
  await s.letGo(1, new Error('table events has no column pos'))
  await s.letGo(2)
  await until("B's row in ClickHouse", () => b.checkpoints.clickhouse === pos(7))
  assert.deepEqual(s.f.calls.inserted, [['A@1', 'A@2'], ['B@7']])
  assert.equal(a.isWritable, false, 'A is read again from its checkpoints')
  assert.deepEqual([a.checkpoints.redis, a.checkpoints.clickhouse], [pos(3), undefined])
  s.stop.abort()
  await s.done
})

test('run: on stop, batches Redis holds are still inserted into ClickHouse before run returns', async () => {
  const s = runningSink({ historyMaxRecords: 50_000 })
  const a = await s.laneHeldInFirstInsert('A')
  s.batcher.push(a, records('A', [3, 4]))
  await until('a second batch in Redis', () => s.f.calls.applied.length === 2)
  s.stop.abort()
  let returned = false
  void s.done.then(() => (returned = true))
  await new Promise((r) => setTimeout(r, 20))
  assert.equal(returned, false, 'run waits for ClickHouse')
  await s.letGo(1)
  await s.letGo(2)
  await s.done
  assert.deepEqual(s.f.calls.inserted.flat(), ['A@1', 'A@2', 'A@3', 'A@4'])
  assert.equal(a.checkpoints.clickhouse, pos(4))
})

test('run: ClickHouse inserts start at most once per interval; batches Redis writes meanwhile join the next insert', async () => {
  const s = runningSink({ historyMaxRecords: 50_000, historyInsertIntervalMs: 150 })
  const a = await s.laneHeldInFirstInsert('A')
  const firstAt = Date.now()
  await s.letGo(1)
  s.batcher.push(a, records('A', [3, 4]))
  await until('a second batch in Redis', () => s.f.calls.applied.length === 2)
  s.batcher.push(a, records('A', [5, 6]))
  await until('a third batch in Redis', () => s.f.calls.applied.length === 3)
  await until('the second insert to start', () => s.started() === 2)
  assert.ok(Date.now() - firstAt >= 140, `the second insert waited for the interval (${Date.now() - firstAt} ms)`)
  await s.letGo(2)
  await until('ClickHouse to catch up', () => a.checkpoints.clickhouse === pos(6))
  assert.deepEqual(s.f.calls.inserted, [['A@1', 'A@2'], ['A@3', 'A@4', 'A@5', 'A@6']])
  s.stop.abort()
  await s.done
})
