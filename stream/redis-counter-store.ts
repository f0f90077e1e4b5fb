import type { Redis } from 'ioredis'
import type { Level } from './event.ts'
import type { FoldedBatch } from './fold.ts'
import type { Position } from './positions.ts'
import { METRIC_FIELDS, RedisKeys } from './redis-keys.ts'
import { runScript } from './redis-scripts.ts'
import { FencedError, RedisSinkError } from './errors.ts'

/** One event id to claim for dedupe, with the record position that claims it. */
export interface IdClaim {
  readonly tenant: string
  readonly tsMs: number
  readonly id: string
  readonly claimer: string
}

/** What the Redis sink writes for one shard batch, atomically with its checkpoint. */
export interface RedisBatch {
  readonly stream: string
  readonly shard: string
  readonly leaseValue: string
  readonly firstPos: Position
  readonly lastPos: Position
  readonly folded: FoldedBatch
  readonly duplicates: number
  readonly deadLetters: number
  readonly nowMs: number
}

/** Retention of the keys that grow with time (DESIGN "Stores": every such key has a TTL). */
export const REDIS_TTL_SEC = {
  minuteBuckets: 49 * 3600,
  dayTotals: 3 * 86_400,
  entityMeta: 7 * 86_400,
  activeEntities: 7 * 86_400,
  checkpoint: 30 * 86_400,
} as const

/** Approximate length the change feed of a tenant is trimmed to (entries, one per batch). */
export const CHANGE_FEED_MAX_ENTRIES = 100_000

const META_REFRESH_MS = 10 * 60_000

/** The Redis sink: dedupe claims and live counters, each batch in one script call. */
export class RedisCounterStore {
  private readonly keys: RedisKeys
  private readonly metaWrittenAt = new Map<string, number>()

  constructor(private readonly redis: Redis, keyPrefix: string, private readonly dedupeWindowSec: number) {
    this.keys = new RedisKeys(keyPrefix)
  }

  /** Reads the sink's checkpoint of a shard. */
  async readCheckpoint(stream: string, shard: string): Promise<Position | undefined> {
    const v = await this.redis.get(this.keys.checkpoint(stream, shard))
    return v ?? undefined
  }

  /**
   * Claims ids in one script call; returns the indexes (into `claims`) that are duplicates:
   * ids already claimed by another record within the dedupe window.
   */
  async claimIds(claims: readonly IdClaim[]): Promise<Set<number>> {
    if (claims.length === 0) return new Set()
    const groups = new Map<string, number[]>()
    claims.forEach((c, i) => {
      const key = this.keys.dedupe(c.tenant, c.tsMs - (c.tsMs % 60_000))
      const g = groups.get(key)
      if (g === undefined) groups.set(key, [i])
      else g.push(i)
    })
    const keys: string[] = []
    const args: (string | number)[] = [this.dedupeWindowSec]
    const order: number[] = []
    for (const [key, idx] of groups) {
      keys.push(key)
      args.push(idx.length)
      for (const i of idx) {
        const c = claims[i]!
        args.push(c.id, c.claimer)
        order.push(i)
      }
    }
    let flags: number[]
    try {
      flags = (await runScript(this.redis, 'adwClaimIds', keys, args)) as number[]
    } catch (err) {
      throw new RedisSinkError(`dedupe claims: ${(err as Error).message}`, { cause: err })
    }
    const dups = new Set<number>()
    flags.forEach((f, k) => {
      if (f === 1) dups.add(order[k]!)
    })
    return dups
  }

  /** Applies a folded batch and moves the shard checkpoint, atomically, if the lease is current. */
  async applyBatch(b: RedisBatch): Promise<void> {
    const k = this.keys
    const keys = [k.lease(b.stream, b.shard), k.checkpoint(b.stream, b.shard), k.ingestStats(b.stream)]
    const ops: (string | number)[] = []
    const push = (kind: 'h' | 's' | 'z' | 'x', key: string, ttl: number, pairs: (string | number)[]) => {
      keys.push(key)
      ops.push(kind, keys.length, ttl, pairs.length / 2, ...pairs)
    }
    // One op per hour hash, not per minute cell: one KEYS entry and one EXPIRE for all its minutes.
    const hours = new Map<string, (string | number)[]>()
    for (const m of b.folded.minutes) {
      const minute = Math.floor((m.minuteMs % 3_600_000) / 60_000)
      const hkey = k.minuteBuckets(m.tenant, m.level, m.entity, m.minuteMs - (m.minuteMs % 3_600_000))
      let pairs = hours.get(hkey)
      if (pairs === undefined) hours.set(hkey, (pairs = []))
      addMetricPairs(pairs, `${minute}:`, m.sums)
    }
    for (const [hkey, pairs] of hours) push('h', hkey, REDIS_TTL_SEC.minuteBuckets, pairs)
    for (const d of b.folded.days) {
      push('h', k.dayTotals(d.tenant, d.level, d.entity, d.day), REDIS_TTL_SEC.dayTotals, metricPairs('', d.sums))
    }
    const active = new Map<string, (string | number)[]>()
    for (const e of b.folded.entities) {
      const akey = k.activeEntities(e.tenant, e.level)
      const list = active.get(akey)
      if (list === undefined) active.set(akey, [e.entity, b.nowMs])
      else list.push(e.entity, b.nowMs)
      const metaKey = k.entityMeta(e.tenant, e.level, e.entity)
      const written = this.metaWrittenAt.get(metaKey)
      if (written === undefined || b.nowMs - written > META_REFRESH_MS) {
        push('s', metaKey, REDIS_TTL_SEC.entityMeta, ['platform', e.platform, 'account', e.account, 'campaign', e.campaign, 'adset', e.adset, 'currency', e.currency])
        this.metaWrittenAt.set(metaKey, b.nowMs)
      }
    }
    for (const [akey, pairs] of active) push('z', akey, REDIS_TTL_SEC.activeEntities, pairs)
    for (const [tenant, entry] of encodeChanges(b.folded)) {
      push('x', k.changes(tenant), CHANGE_FEED_MAX_ENTRIES, ['m', entry.minutes, 'd', entry.days])
    }
    if (this.metaWrittenAt.size > 500_000) this.metaWrittenAt.clear()
    const args = [b.leaseValue, b.firstPos, b.lastPos, REDIS_TTL_SEC.checkpoint, b.folded.events, b.duplicates, b.deadLetters, ...ops]
    try {
      await runScript(this.redis, 'adwApplyBatch', keys, args)
    } catch (err) {
      const msg = (err as Error).message
      if (msg.includes('FENCED') || msg.includes('STALE')) throw new FencedError(b.shard, msg, { cause: err })
      // Metadata may not have landed: forget what this batch claimed to have written.
      for (const e of b.folded.entities) this.metaWrittenAt.delete(k.entityMeta(e.tenant, e.level, e.entity))
      throw new RedisSinkError(msg, { cause: err })
    }
  }
}

/** Per tenant, the batch's minute and day deltas as change-feed fields (see live-windows.ts). */
function encodeChanges(folded: FoldedBatch): Map<string, { minutes: string; days: string }> {
  const byTenant = new Map<string, { m: unknown[]; d: unknown[] }>()
  const of = (tenant: string) => {
    let e = byTenant.get(tenant)
    if (e === undefined) byTenant.set(tenant, (e = { m: [], d: [] }))
    return e
  }
  for (const c of folded.minutes) of(c.tenant).m.push([LEVEL_INDEX[c.level], c.entity, c.minuteMs, ...c.sums])
  for (const c of folded.days) of(c.tenant).d.push([LEVEL_INDEX[c.level], c.entity, c.day, ...c.sums])
  return new Map([...byTenant].map(([t, e]) => [t, { minutes: JSON.stringify(e.m), days: JSON.stringify(e.d) }]))
}

function metricPairs(fieldPrefix: string, sums: readonly number[]): (string | number)[] {
  return addMetricPairs([], fieldPrefix, sums)
}

/** Appends `field value` pairs of the non-zero sums to `out`. */
function addMetricPairs(out: (string | number)[], fieldPrefix: string, sums: readonly number[]): (string | number)[] {
  for (let i = 0; i < METRIC_FIELDS.length; i++) {
    const v = sums[i]!
    if (v !== 0) out.push(fieldPrefix + METRIC_FIELDS[i]!, v)
  }
  return out
}

const LEVEL_INDEX: Record<Level, number> = { account: 0, campaign: 1, adset: 2, ad: 3 }
