import type { Redis } from 'ioredis'
import type { Level } from './event.ts'
import type { FoldedBatch } from './fold.ts'
import type { Position } from './positions.ts'
import { METRIC_FIELDS, RedisKeys, SHARD_STATE_TTL_SEC } from './redis-keys.ts'
import { runScript } from './redis-scripts.ts'
import { FencedError, RedisSinkError } from './errors.ts'

/** One event id to claim for dedupe, with the record position that claims it. */
export interface IdClaim {
  readonly tenant: string
  readonly tsMs: number
  readonly id: string
  readonly claimer: string
}

/** One shard of a Redis batch: its fencing lease value and the positions the batch covers. */
export interface RedisShardWrite {
  readonly shard: string
  readonly leaseValue: string
  /** First position the sink does not hold yet; the script refuses if the checkpoint covers it. */
  readonly firstPos: Position
  /** The shard's checkpoint after the batch. */
  readonly lastPos: Position
  /**
   * The checkpoint the writer believes Redis holds (null: none): the script refuses the batch
   * if Redis holds another (it lost writes, or an older copy was restored), so the shard is
   * read again from what Redis does hold. Omitted: not checked.
   */
  readonly expectedCheckpoint?: Position | null
}

/** What the Redis sink writes for one worker batch, atomically with every shard's checkpoint. */
export type RedisBatch = RedisWorkerBatch | RedisShardBatch

/** A batch of one or more shards. */
export interface RedisWorkerBatch {
  readonly stream: string
  readonly shards: readonly RedisShardWrite[]
  readonly folded: FoldedBatch
  readonly duplicates: number
  readonly deadLetters: number
  readonly nowMs: number
}

/** A batch of one shard, its lease and positions given inline (the form of earlier versions). */
export interface RedisShardBatch extends Omit<RedisWorkerBatch, 'shards'>, RedisShardWrite {}

/** Retention of the keys that grow with time (DESIGN "Stores": every such key has a TTL). */
export const REDIS_TTL_SEC = {
  minuteBuckets: 49 * 3600,
  dayTotals: 3 * 86_400,
  entityMeta: 7 * 86_400,
  activeEntities: 7 * 86_400,
  checkpoint: SHARD_STATE_TTL_SEC,
} as const

/** Approximate length the change feed of a tenant is trimmed to (entries, one per batch). */
export const CHANGE_FEED_MAX_ENTRIES = 100_000

const META_REFRESH_MS = 10 * 60_000
/**
 * A counter hash's expiry is set when this worker first writes it and again at most this often
 * while it keeps writing it, not on every batch: EXPIRE was 2–3 script calls per event, a sixth
 * of the script's time. A key lives on (49 h, 3 days) well past this; one deleted and written
 * again meanwhile (a Redis restart without persistence) gets its expiry back within this time.
 */
const TTL_REFRESH_MS = 10 * 60_000
/** Keys remembered per kind (metadata written, expiry set) before the memory starts over. */
const WRITTEN_KEYS_MAX = 500_000

/**
 * The Redis sink: dedupe claims and live counters, each batch in one script call. Script
 * arguments are packed into a few long strings (JSON arrays the scripts decode with cjson):
 * a client spends about a microsecond on every argument of a command, the server some more.
 */
export class RedisCounterStore {
  private readonly keys: RedisKeys
  private readonly metaWrittenAt = new Map<string, number>()
  private readonly ttlSetAt = new Map<string, number>()

  constructor(private readonly redis: Redis, keyPrefix: string, private readonly dedupeWindowSec: number) {
    this.keys = new RedisKeys(keyPrefix)
  }

  /** Reads the sink's checkpoint of a shard. */
  async readCheckpoint(stream: string, shard: string): Promise<Position | undefined> {
    const v = await this.redis.get(this.keys.checkpoint(stream, shard))
    return v ?? undefined
  }

  /** Reads the sink's checkpoints of several shards. */
  async readCheckpoints(stream: string, shards: readonly string[]): Promise<Map<string, Position>> {
    if (shards.length === 0) return new Map()
    let values: (string | null)[]
    try {
      values = await this.redis.mget(shards.map((s) => this.keys.checkpoint(stream, s)))
    } catch (err) {
      throw new RedisSinkError(`reading checkpoints: ${(err as Error).message}`, { cause: err })
    }
    const out = new Map<string, Position>()
    shards.forEach((s, i) => {
      const v = values[i]
      if (v !== null && v !== undefined) out.set(s, v)
    })
    return out
  }

  /**
   * Claims ids in one script call; returns, per claim in order, 1 for a duplicate (an id
   * already claimed by another record within the dedupe window, or earlier in `claims`) and 0
   * otherwise.
   */
  async claimIds(claims: readonly IdClaim[]): Promise<Uint8Array> {
    const flags = new Uint8Array(claims.length)
    if (claims.length === 0) return flags
    // Group by dedupe hash (tenant and event-time minute); nested maps avoid a composite key per claim.
    const byTenant = new Map<string, Map<number, ClaimGroup>>()
    const groups: ClaimGroup[] = []
    for (let i = 0; i < claims.length; i++) {
      const c = claims[i]!
      const minuteMs = c.tsMs - (c.tsMs % 60_000)
      let minutes = byTenant.get(c.tenant)
      if (minutes === undefined) byTenant.set(c.tenant, (minutes = new Map()))
      let g = minutes.get(minuteMs)
      if (g === undefined) {
        g = { key: this.keys.dedupe(c.tenant, minuteMs), ids: [], claimers: [], index: [] }
        minutes.set(minuteMs, g)
        groups.push(g)
      }
      g.ids.push(c.id)
      g.claimers.push(c.claimer)
      g.index.push(i)
    }
    const args: string[] = [String(this.dedupeWindowSec)]
    for (const g of groups) args.push(jsonStrings(g.ids), JSON.stringify(g.claimers))
    let reply: string
    try {
      reply = String(await runScript(this.redis, 'adwClaimIds', groups.map((g) => g.key), args))
    } catch (err) {
      throw new RedisSinkError(`dedupe claims: ${(err as Error).message}`, { cause: err })
    }
    let k = 0
    for (const g of groups) for (const i of g.index) flags[i] = reply.charCodeAt(k++) === 0x31 ? 1 : 0
    if (k !== reply.length) throw new RedisSinkError(`dedupe claims: ${reply.length} verdicts for ${k} claims`)
    return flags
  }

  /**
   * Applies a folded batch and moves every shard's checkpoint, atomically, if every lease is
   * current and no checkpoint covers its shard's first position. Otherwise writes nothing and
   * throws FencedError naming the shards.
   */
  async applyBatch(batch: RedisBatch): Promise<void> {
    const b: RedisWorkerBatch = 'shards' in batch ? batch : { ...batch, shards: [{ shard: batch.shard, leaseValue: batch.leaseValue, firstPos: batch.firstPos, lastPos: batch.lastPos }] }
    const k = this.keys
    const keys: string[] = [k.ingestStats(b.stream)]
    const head: string[] = [String(b.shards.length), String(REDIS_TTL_SEC.checkpoint), String(b.folded.events), String(b.duplicates), String(b.deadLetters), String(CHANGE_FEED_MAX_ENTRIES)]
    for (const s of b.shards) {
      keys.push(k.lease(b.stream, s.shard), k.checkpoint(b.stream, s.shard))
      head.push(s.leaseValue, s.firstPos, s.lastPos, s.expectedCheckpoint === undefined ? '*' : (s.expectedCheckpoint ?? ''))
    }
    const dataStart = keys.length

    // Hash increments: one op per hour hash (all its minutes share one key and one EXPIRE), one per
    // day hash. Written as JSON text directly: field names are ours and values integers, and a
    // batch has tens of thousands of cells, whose arrays would only feed JSON.stringify.
    let incr = ''
    const ttlSet: string[] = []
    const ttlFor = (key: string, ttlSec: number): number => {
      const at = this.ttlSetAt.get(key)
      if (at !== undefined && b.nowMs - at <= TTL_REFRESH_MS) return 0
      ttlSet.push(key)
      return ttlSec
    }
    const hours = new Map<string, HourOp>()
    for (const m of b.folded.minutes) {
      const minute = Math.floor((m.minuteMs % 3_600_000) / 60_000)
      const hkey = k.minuteBuckets(m.tenant, m.level, m.entity, m.minuteMs - (m.minuteMs % 3_600_000))
      let op = hours.get(hkey)
      if (op === undefined) hours.set(hkey, (op = { pairs: '', n: 0 }))
      op.n += addMetricPairs(op, MINUTE_FIELDS_JSON[minute]!, m.sums)
    }
    for (const [hkey, op] of hours) {
      if (op.n > 0) incr += `,${keys.push(hkey) - dataStart},${ttlFor(hkey, REDIS_TTL_SEC.minuteBuckets)},${op.n}${op.pairs}`
    }
    const dayOp: HourOp = { pairs: '', n: 0 }
    for (const d of b.folded.days) {
      dayOp.pairs = ''
      const n = addMetricPairs(dayOp, DAY_FIELDS_JSON, d.sums)
      if (n > 0) {
        const dkey = k.dayTotals(d.tenant, d.level, d.entity, d.day)
        incr += `,${keys.push(dkey) - dataStart},${ttlFor(dkey, REDIS_TTL_SEC.dayTotals)},${n}${dayOp.pairs}`
      }
    }
    const dataKey = (key: string): number => keys.push(key) - dataStart

    const meta: (string | number)[] = []
    const active = new Map<string, string[]>()
    const metaWritten: string[] = []
    for (const e of b.folded.entities) {
      const akey = k.activeEntities(e.tenant, e.level)
      const members = active.get(akey)
      if (members === undefined) active.set(akey, [e.entity])
      else members.push(e.entity)
      const metaKey = k.entityMeta(e.tenant, e.level, e.entity)
      const written = this.metaWrittenAt.get(metaKey)
      if (written === undefined || b.nowMs - written > META_REFRESH_MS) {
        meta.push(dataKey(metaKey), REDIS_TTL_SEC.entityMeta, 5, 'platform', e.platform, 'account', e.account, 'campaign', e.campaign, 'adset', e.adset, 'currency', e.currency)
        metaWritten.push(metaKey)
      }
    }
    const zadd: (string | number)[] = []
    for (const [akey, members] of active) {
      zadd.push(dataKey(akey), REDIS_TTL_SEC.activeEntities, b.nowMs, members.length)
      for (const member of members) zadd.push(member)
    }

    const feeds = encodeChanges(b.folded)
    const feedArgs: string[] = [String(feeds.size)]
    for (const [tenant, entry] of feeds) feedArgs.push(String(dataKey(k.changes(tenant))), entry.minutes, entry.days)

    const args = [...head, `[${incr.slice(1)}]`, jsonMixed(meta), jsonMixed(zadd), ...feedArgs]
    try {
      await runScript(this.redis, 'adwApplyBatch', keys, args)
    } catch (err) {
      const msg = (err as Error).message
      const refused = /\b(FENCED|STALE|MOVED) ([\d,]+)/.exec(msg)
      if (refused !== null) {
        const shardIds = refused[2]!.split(',').map((i) => b.shards[Number(i) - 1]?.shard ?? `#${i}`)
        throw new FencedError(shardIds, REFUSAL_REASON[refused[1] as keyof typeof REFUSAL_REASON], msg, { cause: err })
      }
      throw new RedisSinkError(msg, { cause: err })
    }
    remember(this.metaWrittenAt, metaWritten, b.nowMs)
    remember(this.ttlSetAt, ttlSet, b.nowMs)
  }
}

/** Why the apply script refused a batch, by its error word. */
const REFUSAL_REASON = { FENCED: 'lease', STALE: 'checkpoint', MOVED: 'moved' } as const

/** Notes that `keys` were written at `nowMs`; a full memory starts over (the keys are then written again, no harm). */
function remember(writtenAt: Map<string, number>, keys: readonly string[], nowMs: number): void {
  for (const key of keys) writtenAt.set(key, nowMs)
  if (writtenAt.size > WRITTEN_KEYS_MAX) writtenAt.clear()
}

/** A batch's claims under one dedupe hash, with their indexes in the batch. */
interface ClaimGroup {
  readonly key: string
  readonly ids: string[]
  readonly claimers: string[]
  readonly index: number[]
}

/**
 * Per tenant, the batch's minute and day deltas as change-feed fields (see live-windows.ts):
 * `m` is the JSON of `[[level index, entity, minute ms, i, c, s, v, r], …]` and `d` of
 * `[[level index, entity, day, i, c, s, v, r], …]`, written as text (exactly what
 * JSON.stringify gives for those arrays, without building them).
 */
export function encodeChanges(folded: FoldedBatch): Map<string, { minutes: string; days: string }> {
  const byTenant = new Map<string, { minutes: string; days: string }>()
  const of = (tenant: string) => {
    let e = byTenant.get(tenant)
    if (e === undefined) byTenant.set(tenant, (e = { minutes: '', days: '' }))
    return e
  }
  for (const c of folded.minutes) {
    const e = of(c.tenant)
    const s = c.sums
    e.minutes += `,[${LEVEL_INDEX[c.level]},${JSON.stringify(c.entity)},${c.minuteMs},${s[0]},${s[1]},${s[2]},${s[3]},${s[4]}]`
  }
  for (const c of folded.days) {
    const e = of(c.tenant)
    const s = c.sums
    e.days += `,[${LEVEL_INDEX[c.level]},${JSON.stringify(c.entity)},${JSON.stringify(c.day)},${s[0]},${s[1]},${s[2]},${s[3]},${s[4]}]`
  }
  for (const e of byTenant.values()) {
    e.minutes = `[${e.minutes.slice(1)}]`
    e.days = `[${e.days.slice(1)}]`
  }
  return byTenant
}

/** The hash-increment pairs of one key, as JSON text (`,"field",value…`), and how many. */
interface HourOp {
  pairs: string
  n: number
}

/** Appends `,"field",value` for each non-zero sum to `op.pairs`; returns how many. `fields` are JSON-quoted. */
function addMetricPairs(op: HourOp, fields: readonly string[], sums: readonly number[]): number {
  let n = 0
  for (let i = 0; i < 5; i++) {
    const v = sums[i]!
    if (v !== 0) {
      op.pairs += `,${fields[i]!},${v}`
      n++
    }
  }
  return n
}

/** Field names (JSON-quoted) of a day hash, and of each minute (0–59) of an hour hash (`<minute>:<metric>`). */
const DAY_FIELDS_JSON: readonly string[] = METRIC_FIELDS.map((f) => JSON.stringify(f))
const MINUTE_FIELDS_JSON: ReadonlyArray<readonly string[]> = Array.from({ length: 60 }, (_, minute) => METRIC_FIELDS.map((f) => JSON.stringify(`${minute}:${f}`)))

const LEVEL_INDEX: Record<Level, number> = { account: 0, campaign: 1, adset: 2, ad: 3 }

/**
 * JSON of an array of strings that cjson can read back to the bytes a plain argument would
 * carry: a lone surrogate (JSON.stringify writes `\udxxx`, which cjson refuses) becomes U+FFFD,
 * as UTF-8 encoding makes it.
 */
function jsonStrings(values: readonly string[]): string {
  const json = JSON.stringify(values)
  return json.includes('\\ud') ? JSON.stringify(values.map(toWellFormed)) : json
}

/** jsonStrings for arrays that mix numbers and strings. */
function jsonMixed(values: readonly (string | number)[]): string {
  const json = JSON.stringify(values)
  return json.includes('\\ud') ? JSON.stringify(values.map((v) => (typeof v === 'string' ? toWellFormed(v) : v))) : json
}

function toWellFormed(s: string): string {
  return (s as unknown as { toWellFormed(): string }).toWellFormed()
}
