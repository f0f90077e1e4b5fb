import type { Redis } from 'ioredis'
import { LEVELS, type Level } from './event.ts'
import { decodeFeedTuples, type FeedTuples } from './feed-tuples.ts'
import type { LiveWindowState } from './live-windows.ts'
import { METRIC_FIELDS, RedisKeys } from './redis-keys.ts'

/** Maps an entity to its account's local day (YYYY-MM-DD) at an instant. */
export type LocalDayOf = (tenant: string, account: string, epochMs: number) => string

/** One decoded entry of a tenant's change feed: its minute and day deltas, in columns. */
interface ChangeEntry {
  readonly id: string
  readonly minutes: FeedTuples
  readonly days: FeedTuples
}

const LOAD_CHUNK = 500
const READ_COUNT = 2_000
const ACTIVE_FOR_MS = 2 * 3_600_000
const TRIM_CHECK_MS = 1_000

/**
 * Keeps a LiveWindowState in step with Redis: loads entities from their minute-bucket and day
 * hashes (each chunk in one MULTI with the feed's last id, so a snapshot and its position agree),
 * then follows each tenant's change feed with XREAD. An entity first seen in the feed is loaded
 * before its deltas apply; deltas at or before an entity's snapshot are skipped, so nothing is
 * counted twice. A feed trimmed past our position triggers a full reload.
 */
export class RedisChangeFeed {
  private readonly keys: RedisKeys
  private readonly lastId = new Map<string, string>()
  private readonly snapshotId = new Map<string, string>()
  /** Per tenant, the latest snapshot id of any entity: feed entries after it are covered by none. */
  private readonly latestSnapshot = new Map<string, string>()
  private readonly accountOf = new Map<string, string>()
  private readonly trimCheckedAtMs = new Map<string, number>()
  /** One delta's sums, reused (LiveWindowState adds them into its own storage, never keeps the array). */
  private readonly sums: number[] = [0, 0, 0, 0, 0]

  constructor(
    private readonly redis: Redis,
    keyPrefix: string,
    private readonly state: LiveWindowState,
    private readonly localDayOf: LocalDayOf,
  ) {
    this.keys = new RedisKeys(keyPrefix)
  }

  /** The account an entity belongs to, as its metadata says (the entity itself for accounts). */
  account(tenant: string, level: Level, entity: string): string | undefined {
    return level === 'account' ? entity : this.accountOf.get(entityKey(tenant, level, entity))
  }

  /** Loads every entity of the tenant active in the last two hours and starts following its feed. */
  async start(tenant: string, nowMs: number): Promise<void> {
    const lists = await Promise.all(LEVELS.map((level) => this.redis.zrangebyscore(this.keys.activeEntities(tenant, level), nowMs - ACTIVE_FOR_MS, '+inf')))
    const todo = LEVELS.flatMap((level, i) => (lists[i] ?? []).map((entity) => ({ level, entity })))
    const first = await this.load(tenant, todo, nowMs)
    this.lastId.set(tenant, first ?? (await this.feedLastId(tenant)))
  }

  /** Tenants being followed. */
  tenants(): string[] {
    return [...this.lastId.keys()]
  }

  /** Reads and applies new feed entries of every followed tenant; returns how many entries. */
  async poll(nowMs: number): Promise<number> {
    let applied = 0
    for (const tenant of this.lastId.keys()) applied += await this.pollTenant(tenant, nowMs)
    return applied
  }

  private async pollTenant(tenant: string, nowMs: number): Promise<number> {
    const feed = this.keys.changes(tenant)
    const after = this.lastId.get(tenant)!
    // Being trimmed past takes ~100k batches of lag, and the check reads the first (often large)
    // entry: it runs at most once a second per tenant, not on every poll.
    if (nowMs - (this.trimCheckedAtMs.get(tenant) ?? -Infinity) >= TRIM_CHECK_MS) {
      this.trimCheckedAtMs.set(tenant, nowMs)
      const first = await this.redis.xrange(feed, '-', '+', 'COUNT', 1)
      const firstId = first[0]?.[0]
      if (firstId !== undefined && after !== '0-0' && compareIds(firstId, after) > 0 && !(await this.hasId(feed, after))) {
        // Trimmed past our position: what we missed is gone from the feed, reload from the hashes.
        await this.start(tenant, nowMs)
        return 0
      }
    }
    const res = await this.redis.xread('COUNT', READ_COUNT, 'STREAMS', feed, after)
    const raw = res?.[0]?.[1] ?? []
    if (raw.length === 0) return 0
    const entries = raw.map(([id, fields]) => decodeEntry(id, fields))
    const unknown = new Map<string, { level: Level; entity: string }>()
    for (const e of entries) {
      for (const list of [e.minutes, e.days]) {
        for (let t = 0; t < list.count; t++) {
          const level = LEVELS[list.levels[t]!]!
          const entity = list.entities[t]!
          if (!this.state.has(tenant, level, entity)) unknown.set(entityKey(tenant, level, entity), { level, entity })
        }
      }
    }
    if (unknown.size > 0) await this.load(tenant, [...unknown.values()], nowMs)
    const latest = this.latestSnapshot.get(tenant)
    const sums = this.sums
    for (const e of entries) {
      // Most entries come after every snapshot: no entity of theirs needs the per-entity check.
      const check = latest !== undefined && compareIds(e.id, latest) <= 0
      const m = e.minutes
      for (let t = 0; t < m.count; t++) {
        const level = LEVELS[m.levels[t]!]!
        const entity = m.entities[t]!
        if (check && this.isCovered(tenant, level, entity, e.id)) continue
        for (let k = 0; k < 5; k++) sums[k] = m.sums[t * 5 + k]!
        this.state.applyMinute(tenant, level, entity, m.keys[t] as number, sums, nowMs)
      }
      const d = e.days
      for (let t = 0; t < d.count; t++) {
        const level = LEVELS[d.levels[t]!]!
        const entity = d.entities[t]!
        if (check && this.isCovered(tenant, level, entity, e.id)) continue
        for (let k = 0; k < 5; k++) sums[k] = d.sums[t * 5 + k]!
        this.state.applyDay(tenant, level, entity, d.keys[t] as string, sums, nowMs)
      }
    }
    this.lastId.set(tenant, entries[entries.length - 1]!.id)
    return entries.length
  }

  private isCovered(tenant: string, level: Level, entity: string, id: string): boolean {
    const snap = this.snapshotId.get(entityKey(tenant, level, entity))
    return snap !== undefined && compareIds(id, snap) <= 0
  }

  /**
   * Loads entities from their hashes, in chunks; each chunk reads the feed's last id in the
   * same MULTI, which becomes the entities' snapshot id. Returns the first chunk's id.
   */
  private async load(tenant: string, todo: ReadonlyArray<{ level: Level; entity: string }>, nowMs: number): Promise<string | undefined> {
    let firstId: string | undefined
    const hourMs = nowMs - (nowMs % 3_600_000)
    // The previous hour (for 1h windows), this one, and the next: events may carry timestamps up
    // to ADW_MAX_FUTURE_SEC ahead, and their buckets must be in the snapshot too.
    const hours = [hourMs - 3_600_000, hourMs, hourMs + 3_600_000]
    for (let i = 0; i < todo.length; i += LOAD_CHUNK) {
      const chunk = todo.slice(i, i + LOAD_CHUNK)
      const metas = await this.redis.pipeline(chunk.map(({ level, entity }) => ['hget', this.keys.entityMeta(tenant, level, entity), 'account'])).exec()
      const accounts = chunk.map(({ level, entity }, j) => (level === 'account' ? entity : ((metas?.[j]?.[1] as string | null) ?? '')))
      const days = accounts.map((a) => [this.localDayOf(tenant, a, nowMs), this.localDayOf(tenant, a, nowMs - 86_400_000)])
      const multi = this.redis.multi().xrevrange(this.keys.changes(tenant), '+', '-', 'COUNT', 1)
      chunk.forEach(({ level, entity }, j) => {
        for (const h of hours) multi.hgetall(this.keys.minuteBuckets(tenant, level, entity, h))
        for (const d of days[j]!) multi.hmget(this.keys.dayTotals(tenant, level, entity, d), ...METRIC_FIELDS)
      })
      const res = (await multi.exec()) ?? []
      const snap = ((res[0]?.[1] as Array<[string, string[]]> | null)?.[0]?.[0]) ?? '0-0'
      firstId ??= snap
      const latest = this.latestSnapshot.get(tenant)
      if (latest === undefined || compareIds(snap, latest) > 0) this.latestSnapshot.set(tenant, snap)
      chunk.forEach(({ level, entity }, j) => {
        const base = 1 + j * (hours.length + 2)
        this.accountOf.set(entityKey(tenant, level, entity), accounts[j]!)
        hours.forEach((h, k) => {
          for (const [minute, sums] of bucketsOf(res[base + k]?.[1] as Record<string, string> | null)) {
            this.state.applyMinute(tenant, level, entity, h + minute * 60_000, sums, nowMs, true)
          }
        })
        days[j]!.forEach((d, k) => {
          const vals = (res[base + hours.length + k]?.[1] as (string | null)[] | null) ?? []
          this.state.applyDay(tenant, level, entity, d, vals.map((v) => Number(v ?? 0)), nowMs, true)
        })
        this.snapshotId.set(entityKey(tenant, level, entity), snap)
      })
    }
    return firstId
  }

  private async feedLastId(tenant: string): Promise<string> {
    const last = await this.redis.xrevrange(this.keys.changes(tenant), '+', '-', 'COUNT', 1)
    return last[0]?.[0] ?? '0-0'
  }

  private async hasId(feed: string, id: string): Promise<boolean> {
    return (await this.redis.xrange(feed, id, id)).length > 0
  }
}

function decodeEntry(id: string, fields: string[]): ChangeEntry {
  let minutes = NO_TUPLES
  let days = NO_TUPLES
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] === 'm') minutes = decodeFeedTuples(fields[i + 1]!)
    else if (fields[i] === 'd') days = decodeFeedTuples(fields[i + 1]!)
  }
  return { id, minutes, days }
}

const NO_TUPLES = decodeFeedTuples('[]')

/** Minute buckets of an hour hash (`<minute>:<metric>` fields) as minute → sums. */
function bucketsOf(hash: Record<string, string> | null): Map<number, number[]> {
  const out = new Map<number, number[]>()
  for (const [field, value] of Object.entries(hash ?? {})) {
    const colon = field.indexOf(':')
    const minute = Number(field.slice(0, colon))
    const metric = METRIC_FIELDS.indexOf(field.slice(colon + 1) as (typeof METRIC_FIELDS)[number])
    if (metric < 0) continue
    let sums = out.get(minute)
    if (sums === undefined) out.set(minute, (sums = [0, 0, 0, 0, 0]))
    sums[metric] = Number(value)
  }
  return out
}

/** Compares Redis stream ids (`ms-seq`) numerically. */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number]
  const [bm, bs] = b.split('-').map(Number) as [number, number]
  return am !== bm ? am - bm : as - bs
}

function entityKey(tenant: string, level: Level, entity: string): string {
  return `${tenant}\u0000${level}\u0000${entity}`
}
