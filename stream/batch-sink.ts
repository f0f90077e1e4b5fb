import { backoffMs, sleep } from '../core/backoff.ts'
import { isRetryable } from '../core/errors.ts'
import type { Logger } from '../core/log.ts'
import { planWorkerBatch, type WorkerBatchPlan } from './batch-plan.ts'
import type { ClickHouseHistoryWriter, EncodedEvents, ShardDeadLetter, ShardEvent } from './clickhouse-history-writer.ts'
import { FencedError, RedisSinkError } from './errors.ts'
import type { AdEvent } from './event.ts'
import { HandoffQueue } from './handoff-queue.ts'
import { foldEvents, type DayOf, type FoldedBatch } from './fold.ts'
import type { RedisLeaseManager } from './lease-manager.ts'
import type { Position } from './positions.ts'
import type { RedisCounterStore, RedisShardWrite } from './redis-counter-store.ts'
import { retrying } from './retrying.ts'
import type { ShardReader } from './shard-reader.ts'
import type { TakenBatch, WorkerBatcher } from './worker-batcher.ts'

/** What the sink needs of the Redis sink (RedisCounterStore). */
export type CounterSink = Pick<RedisCounterStore, 'claimIds' | 'applyBatch' | 'readCheckpoints'>
/** What the sink needs of the ClickHouse sink (ClickHouseHistoryWriter). */
export type HistorySink = Pick<ClickHouseHistoryWriter, 'encodeEvents' | 'insertEncodedEvents' | 'insertShardDeadLetters' | 'insertCheckpoints' | 'readCheckpoints'>
/** What the sink needs of the leases (RedisLeaseManager). */
export type LeaseTimer = Pick<RedisLeaseManager, 'remainingMsOf'>

/** What the sink loop writes with; adapters are passed in, the clock too. */
export interface BatchSinkDeps {
  readonly stream: string
  readonly counters: CounterSink
  readonly history: HistorySink
  readonly leases: LeaseTimer
  readonly dayOf: DayOf
  readonly now: () => number
  readonly log: Logger
  /** A ClickHouse insert starts only if every lease in it has at least this long left. */
  readonly minLeaseForInsertMs: number
  /**
   * Most records of batches written to Redis and waiting for ClickHouse; the queued batches go
   * into ClickHouse as one insert. Redis runs ahead of ClickHouse by at most about twice this
   * plus one batch: the insert in flight, the batches queued, and one more batch waiting for room.
   */
  readonly historyMaxRecords: number
  /** Least time between the starts of two event inserts: batches Redis writes meanwhile join the next one. */
  readonly historyInsertIntervalMs: number
  readonly onBatch: (stats: BatchStats) => void
}

/** Counts of one written worker batch, for the status line and metrics. */
export interface BatchStats {
  readonly shards: number
  readonly userRecords: number
  readonly events: number
  readonly duplicates: number
  readonly deadLetters: number
}

/** The Redis half of a batch: the folded counters and each shard's extent. */
export interface RedisPart {
  readonly shards: readonly RedisShardWrite[]
  readonly folded: FoldedBatch
  readonly duplicates: number
  readonly deadLetters: number
}

/** The ClickHouse half of a batch: dead letters and the events encoded as one block. */
export interface ClickHousePart {
  readonly letters: readonly ShardDeadLetter[]
  readonly events: EncodedEvents
  /** Per shard index, the position of its last event in the block. */
  readonly lastEventPos: ReadonlyMap<number, Position>
}

/**
 * A worker batch after planning and dedupe claims, ready to write. `readers[i]` is shard i
 * of the plan. Each half is derived for the shards writable when it was derived (its mask); a
 * shard that becomes unwritable (lease lost, batch failed) is dropped from what has not been
 * written yet.
 */
export interface PreparedBatch {
  readonly readers: readonly ShardReader[]
  readonly plan: WorkerBatchPlan
  /** Per plan event: 1 when it is a duplicate of an event claimed earlier. */
  readonly duplicate: Uint8Array
  redisShards: boolean[]
  redis: RedisPart | undefined
  clickhouseShards: boolean[]
  clickhouse: ClickHousePart
  lettersWritten: boolean
  /** ClickHouse checkpoints read back after a failed insert: rows at or before them are not sent again. */
  clickhouseHeld: ReadonlyMap<string, Position>
}

/** Why a shard is dropped from a batch Redis refused, by the refusal's reason. */
const FENCE_DETAIL = {
  lease: 'Redis fenced the batch: another worker holds the lease',
  checkpoint: 'the Redis checkpoint is past this batch',
  moved: 'the Redis checkpoint is not the one this worker left (Redis lost writes?); the shard is read again from the checkpoint Redis holds',
} as const

const CH_RETRY_BASE_MS = 100
const CH_RETRY_MAX_MS = 10_000
const REDIS_RETRY_BASE_MS = 200
const REDIS_RETRY_MAX_MS = 5_000

/**
 * The worker's sink: two lanes, one per sink. The Redis lane takes a batch across all shards
 * from the batcher, plans it against each shard's checkpoints, claims its ids in one script
 * call, folds it once and writes it to Redis in one script call that fences every lease and
 * moves every shard's checkpoint with the counters and the change feed; the next batch is taken
 * and prepared meanwhile. Written batches then wait, in order, for the ClickHouse lane, which
 * inserts all that are waiting (up to `historyMaxRecords`) as one block carrying each row's
 * stream, shard and position, at most once per `historyInsertIntervalMs` unless the queue
 * fills. So the live counters never wait for a history insert, and ClickHouse gets larger,
 * fewer inserts; a batch is settled when both sinks hold it. Each sink has its own checkpoints,
 * so a crash with ClickHouse behind replays from its checkpoint and Redis skips what it holds.
 */
export class BatchSink {
  constructor(private readonly d: BatchSinkDeps) {}

  /** Writes batches until `signal` aborts; batches already taken by then are still written to both sinks. */
  async run(batcher: WorkerBatcher<ShardReader>, signal: AbortSignal): Promise<void> {
    const toHistory = new HandoffQueue<PreparedBatch>(this.d.historyMaxRecords)
    const historyLane = this.runHistory(toHistory)
    try {
      let next = this.takeAndPrepare(batcher, signal)
      for (;;) {
        const batch = await next
        if (batch === undefined) return
        next = this.takeAndPrepare(batcher, signal)
        try {
          await this.writeRedis(batch)
        } catch (err) {
          this.fail(batch.readers, err)
          settle(batch)
          continue
        }
        await toHistory.push(batch, batch.plan.events.length + batch.plan.deadLetters.length)
      }
    } finally {
      toHistory.close()
      await historyLane
    }
  }

  /** The ClickHouse lane: inserts the batches Redis holds, all that wait at once, in order. */
  private async runHistory(queue: HandoffQueue<PreparedBatch>): Promise<void> {
    let lastInsertAt = -Infinity
    for (;;) {
      // ClickHouse favours few large inserts (each makes parts that later merge): wait for the
      // interval to pass, or for the queue to fill, before the next one.
      const group = await queue.takeAll(lastInsertAt + this.d.historyInsertIntervalMs)
      if (group === undefined) return
      lastInsertAt = Date.now()
      try {
        await this.writeClickHouse(group)
        for (const b of group) this.report(b)
      } catch (err) {
        for (const b of group) this.fail(b.readers, err)
      } finally {
        for (const b of group) settle(b)
      }
    }
  }

  /** Plans a taken batch and claims its ids; derives what each sink writes. */
  async prepare(taken: TakenBatch<ShardReader>): Promise<PreparedBatch> {
    // Shard i of the plan is readers[i]: every lane of a taken batch holds at least one record.
    const readers = [...taken.lanes.keys()]
    const plan = planWorkerBatch(readers.map((r) => ({ shardId: r.shardId, checkpoints: r.checkpoints, records: taken.lanes.get(r)! })))
    if (plan.shards.length !== readers.length) throw new Error(`planned ${plan.shards.length} shards for ${readers.length} lanes`)
    const duplicate = await this.claim(plan, readers)
    const writable = readers.map((r) => r.isWritable)
    const batch: PreparedBatch = {
      readers,
      plan,
      duplicate,
      redisShards: writable,
      redis: undefined,
      clickhouseShards: writable,
      clickhouse: EMPTY_CLICKHOUSE,
      lettersWritten: false,
      clickhouseHeld: new Map(),
    }
    batch.redis = this.deriveRedis(batch)
    batch.clickhouse = this.deriveClickHouse(batch)
    return batch
  }

  /** Claims the ids of every event a sink still needs, in one script call. */
  async claim(plan: WorkerBatchPlan, readers: readonly ShardReader[]): Promise<Uint8Array> {
    const claims = plan.events.map(({ shard, pos, event }) => ({ tenant: event.tenant, tsMs: event.tsMs, id: event.id, claimer: readers[shard]!.claimerOf(pos) }))
    return retrying('dedupe claims', () => this.d.counters.claimIds(claims), this.retryContext(readers))
  }

  /** Folds the events Redis still needs (duplicates left out) of the shards in `redisShards`. */
  deriveRedis(b: PreparedBatch): RedisPart | undefined {
    const { plan, duplicate, redisShards: writable } = b
    const events: AdEvent[] = []
    let duplicates = 0
    let deadLetters = 0
    for (let i = 0; i < plan.events.length; i++) {
      const e = plan.events[i]!
      if (!e.toRedis || !writable[e.shard]) continue
      if (duplicate[i] === 1) duplicates++
      else events.push(e.event)
    }
    for (const l of plan.deadLetters) if (l.toRedis && writable[l.shard]) deadLetters++
    const shards: RedisShardWrite[] = []
    plan.shards.forEach((s, i) => {
      if (s.redisFirstPos !== undefined && writable[i]) {
        shards.push({ shard: s.shardId, leaseValue: b.readers[i]!.lease.value, firstPos: s.redisFirstPos, lastPos: s.lastPos })
      }
    })
    if (shards.length === 0) return undefined
    return { shards, folded: foldEvents(events, this.d.dayOf), duplicates, deadLetters }
  }

  /** Encodes the events and dead letters ClickHouse still needs of the shards in `clickhouseShards`, as one block. */
  deriveClickHouse(b: PreparedBatch): ClickHousePart {
    const { plan, duplicate, clickhouseShards: writable, clickhouseHeld } = b
    const rows: ShardEvent[] = []
    const names = plan.shards.map((s) => s.shardId)
    const held = names.map((name) => clickhouseHeld.get(name))
    const last: Array<Position | undefined> = names.map(() => undefined)
    for (let i = 0; i < plan.events.length; i++) {
      const e = plan.events[i]!
      if (!e.toClickHouse || duplicate[i] === 1 || !writable[e.shard]) continue
      const h = held[e.shard]
      if (h !== undefined && e.pos <= h) continue
      rows.push({ shard: names[e.shard]!, pos: e.pos, event: e.event })
      last[e.shard] = e.pos
    }
    const lastEventPos = new Map<number, Position>()
    last.forEach((pos, shard) => {
      if (pos !== undefined) lastEventPos.set(shard, pos)
    })
    const letters: ShardDeadLetter[] = []
    if (!b.lettersWritten) {
      for (const l of plan.deadLetters) if (l.toClickHouse && writable[l.shard]) letters.push({ shard: plan.shards[l.shard]!.shardId, letter: l.letter })
    }
    return { letters, events: this.d.history.encodeEvents(this.d.stream, rows, this.d.now()), lastEventPos }
  }

  /**
   * Writes one prepared batch to both sinks at once; each half retries on its own and moves its
   * own checkpoints. (run() writes the halves in two lanes; this is a batch's whole write.)
   */
  async commit(b: PreparedBatch): Promise<void> {
    const [redis, clickhouse] = await Promise.allSettled([this.writeRedis(b), this.writeClickHouse([b])])
    if (redis.status === 'rejected') throw redis.reason
    if (clickhouse.status === 'rejected') throw clickhouse.reason
    this.report(b)
  }

  /** The Redis half, retried until it lands; a fenced shard is dropped and the rest retried. */
  async writeRedis(b: PreparedBatch): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      this.refreshRedis(b)
      const part = b.redis
      if (part === undefined) break
      try {
        // Each shard's checkpoint as this worker left it, read now: the batch before this one
        // was written meanwhile (prepare runs ahead of the writes).
        const shards = part.shards.map((s) => ({ ...s, expectedCheckpoint: this.readerOf(b, s.shard)?.checkpoints.redis ?? null }))
        await this.d.counters.applyBatch({ stream: this.d.stream, shards, folded: part.folded, duplicates: part.duplicates, deadLetters: part.deadLetters, nowMs: this.d.now() })
        break
      } catch (err) {
        if (err instanceof FencedError) {
          // Refused as a whole, nothing written. A checkpoint already past the batch's start is
          // this very batch when an earlier try reached Redis but its answer was lost.
          if (err.reason === 'checkpoint' && (await this.redisLanded(b, part))) break
          for (const id of err.shardIds) this.readerOf(b, id)?.loseLease(FENCE_DETAIL[err.reason])
          continue
        }
        if (!isRetryable(err)) throw err
        this.d.log.warn({ shards: part.shards.map((s) => s.shard), err: (err as Error).message, attempt: attempt + 1 }, 'Redis batch failed; backing off')
        await sleep(backoffMs(attempt, REDIS_RETRY_BASE_MS, REDIS_RETRY_MAX_MS))
        if (await this.redisLanded(b, part)) break
      }
    }
    for (const s of b.redis?.shards ?? []) {
      const r = this.readerOf(b, s.shard)
      if (r !== undefined) r.checkpoints.redis = s.lastPos
    }
  }

  /**
   * The ClickHouse half of one or more batches, in order, as one insert: dead letters
   * (idempotent), then the events block, which carries each shard's checkpoint. A shard whose
   * lease has too little time left is dropped first. After a failure the checkpoints are held,
   * the insert backs off, the ClickHouse checkpoints are read again (an insert that timed out may
   * have landed) and only what is still missing is sent.
   */
  async writeClickHouse(group: readonly PreparedBatch[]): Promise<void> {
    let failures = 0
    for (;;) {
      for (const b of group) this.refreshClickHouse(b)
      const parts = group.map((b) => b.clickhouse)
      const letters = parts.flatMap((p) => p.letters)
      if (letters.length === 0 && parts.every((p) => p.events.rows === 0)) break
      const shards = this.clickHouseShards(group)
      const remaining = await retrying('check leases before the ClickHouse insert', async () => {
        try {
          return await this.d.leases.remainingMsOf(shards.map((r) => r.lease))
        } catch (err) {
          throw new RedisSinkError(`reading leases: ${(err as Error).message}`, { cause: err })
        }
      }, this.retryContext(shards))
      const short = shards.filter((_, i) => remaining[i]! < this.d.minLeaseForInsertMs)
      if (short.length > 0) {
        for (const r of short) r.loseLease('too little lease time left to insert into ClickHouse safely')
        continue
      }
      try {
        if (letters.length > 0) {
          await this.d.history.insertShardDeadLetters(this.d.stream, letters, this.d.now())
          for (const b of group) {
            b.lettersWritten = true
            b.clickhouse = { ...b.clickhouse, letters: [] }
          }
        }
        await this.d.history.insertEncodedEvents(parts.map((p) => p.events))
        break
      } catch (err) {
        if (!isRetryable(err)) throw err
        this.d.log.warn({ shards: shards.map((r) => r.shardId), err: (err as Error).message, attempt: failures + 1 }, 'ClickHouse write failed; holding the checkpoint and backing off')
        await sleep(backoffMs(failures++, CH_RETRY_BASE_MS, CH_RETRY_MAX_MS))
        const held = await retrying('re-read ClickHouse checkpoints', () => this.d.history.readCheckpoints(this.d.stream), this.retryContext(shards))
        for (const b of group) {
          b.clickhouseHeld = held
          b.clickhouse = this.deriveClickHouse(b)
        }
      }
    }
    for (const b of group) {
      b.readers.forEach((r, i) => {
        if (!b.clickhouseShards[i]) return
        // The last event inserted now, or what an insert that seemed to fail had already stored.
        for (const pos of [b.clickhouse.lastEventPos.get(i), b.clickhouseHeld.get(r.shardId)]) {
          if (pos !== undefined && (r.checkpoints.clickhouse === undefined || pos > r.checkpoints.clickhouse)) r.checkpoints.clickhouse = pos
        }
      })
    }
    await this.moveCheckpointsPastSkipped(group)
  }

  /**
   * After a group's insert: a shard whose last records in the group left no event row
   * (duplicates, dead letters) gets its ClickHouse checkpoint moved to its last position, so a
   * resume does not hand those records to ClickHouse again. Everything up to that position is
   * stored by now: the events and dead letters were inserted, duplicates are never stored.
   */
  private async moveCheckpointsPastSkipped(group: readonly PreparedBatch[]): Promise<void> {
    const extent = new Map<ShardReader, Position>()
    for (const b of group) {
      b.plan.shards.forEach((s, i) => {
        const r = b.readers[i]!
        const last = extent.get(r)
        if (b.clickhouseShards[i] && r.isWritable && (last === undefined || s.lastPos > last)) extent.set(r, s.lastPos)
      })
    }
    const behind = [...extent].filter(([r, pos]) => r.checkpoints.clickhouse === undefined || pos > r.checkpoints.clickhouse)
    if (behind.length === 0) return
    const readers = behind.map(([r]) => r)
    await retrying('move ClickHouse checkpoints past skipped records', () => this.d.history.insertCheckpoints(this.d.stream, behind.map(([r, pos]) => ({ shard: r.shardId, pos }))), this.retryContext(readers))
    for (const [r, pos] of behind) r.checkpoints.clickhouse = pos
  }

  /** Drops from the Redis half the shards that stopped being writable since it was derived. */
  private refreshRedis(b: PreparedBatch): void {
    const now = b.readers.map((r) => r.isWritable)
    if (now.every((w, i) => w === b.redisShards[i])) return
    b.redisShards = now
    b.redis = this.deriveRedis(b)
  }

  /** Drops from the ClickHouse half the shards that stopped being writable since it was derived. */
  private refreshClickHouse(b: PreparedBatch): void {
    const now = b.readers.map((r) => r.isWritable)
    if (now.every((w, i) => w === b.clickhouseShards[i])) return
    b.clickhouseShards = now
    b.clickhouse = this.deriveClickHouse(b)
  }

  /** True when Redis' checkpoints show that this batch's Redis write already happened. */
  private async redisLanded(b: PreparedBatch, part: RedisPart): Promise<boolean> {
    const ckpts = await retrying('re-read Redis checkpoints', () => this.d.counters.readCheckpoints(this.d.stream, part.shards.map((s) => s.shard)), this.retryContext(b.readers))
    return part.shards.every((s) => {
      const ck = ckpts.get(s.shard)
      return ck !== undefined && ck >= s.lastPos
    })
  }

  private async takeAndPrepare(batcher: WorkerBatcher<ShardReader>, signal: AbortSignal): Promise<PreparedBatch | undefined> {
    for (;;) {
      const taken = await batcher.take(signal)
      if (taken === undefined) return undefined
      for (const r of taken.lanes.keys()) r.batchTaken()
      try {
        return await this.prepare(taken)
      } catch (err) {
        this.fail([...taken.lanes.keys()], err)
        for (const r of taken.lanes.keys()) r.batchSettled()
      }
    }
  }

  /** A batch failed for good: its shards stop (and are read again from their checkpoints). */
  private fail(readers: readonly ShardReader[], err: unknown): void {
    const writable = readers.filter((r) => r.isWritable)
    if (writable.length === 0) return // every shard of it was dropped (leases lost): nothing failed
    this.d.log.error({ shards: writable.map((r) => r.shardId), err: (err as Error).message }, 'batch failed; its shards will be read again from their checkpoints')
    for (const r of writable) r.fail()
  }

  private report(b: PreparedBatch): void {
    const writable = b.readers.map((r) => r.isWritable)
    let userRecords = 0
    let shards = 0
    b.plan.shards.forEach((s, i) => {
      if (writable[i]) {
        userRecords += s.userRecords
        shards++
      }
    })
    let events = 0
    let duplicates = 0
    b.plan.events.forEach((e, i) => {
      if (!writable[e.shard]) return
      if (b.duplicate[i] === 1) duplicates++
      else events++
    })
    const deadLetters = b.plan.deadLetters.filter((l) => writable[l.shard]).length
    this.d.onBatch({ shards, userRecords, events, duplicates, deadLetters })
  }

  /** The readers of the shards the group's ClickHouse halves write, each once. */
  private clickHouseShards(group: readonly PreparedBatch[]): ShardReader[] {
    const out = new Set<ShardReader>()
    for (const b of group) {
      const part = b.clickhouse
      const ids = new Set<string>(part.letters.map((l) => l.shard))
      for (const i of part.lastEventPos.keys()) ids.add(b.plan.shards[i]!.shardId)
      b.readers.forEach((r, i) => {
        if (b.clickhouseShards[i] && ids.has(r.shardId)) out.add(r)
      })
    }
    return [...out]
  }

  private readerOf(b: PreparedBatch, shardId: string): ShardReader | undefined {
    return b.readers.find((r) => r.shardId === shardId)
  }

  private retryContext(readers: readonly ShardReader[]) {
    return {
      log: this.d.log,
      fields: { shards: readers.map((r) => r.shardId) },
      giveUp: () => (readers.every((r) => !r.isWritable) ? new Error('every shard of the batch was dropped') : undefined),
    }
  }
}

/** A batch is settled once both sinks are done with it (or it failed): its readers may move on. */
function settle(b: PreparedBatch): void {
  for (const r of b.readers) r.batchSettled()
}

const EMPTY_CLICKHOUSE: ClickHousePart = { letters: [], events: { rows: 0, body: Buffer.alloc(0) }, lastEventPos: new Map() }
