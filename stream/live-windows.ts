import type { Level } from './event.ts'
import type { MetricSums } from './fold.ts'

/** The sliding windows rules and dashboards read; minutes counted include the current one. */
export const WINDOW_MINUTES = { '1m': 1, '5m': 5, '15m': 15, '1h': 60 } as const
export type MinuteWindow = keyof typeof WINDOW_MINUTES
export type WindowName = MinuteWindow | 'today'

/** The windows in the order windowsInto writes them. */
export const WINDOW_SLOTS: readonly WindowName[] = ['1m', '5m', '15m', '1h', 'today']

/** Sums of the five metrics per window of one entity. */
export type EntityWindows = Record<WindowName, MetricSums>

const SLOTS = 64 // ≥ 60 minutes plus slack; a power of two keeps the index cheap
const M = 5 // metrics per slot
const DAYS_KEPT = 3

/** In-memory minute ring and day totals of one entity. */
interface EntityState {
  readonly sums: Float64Array // SLOTS × M
  readonly minuteOfSlot: Float64Array // minute index (epoch ms / 60000) each slot holds; -1 = empty
  readonly days: Map<string, MetricSums>
  lastChangeMs: number
}

/**
 * Live windows of many entities, kept in memory from the change feed (see change-feed.ts):
 * minute deltas go into a 64-slot ring per entity, day deltas into per-day totals. Window
 * "Nm" is the sum of the N most recent minute buckets, the current (partial) minute included;
 * "today" is the account-local day the caller names. Pure: no I/O, no clock.
 */
export class LiveWindowState {
  /** tenant → level → entity → state: lookups without building a composite key. */
  private readonly tenants = new Map<string, Map<Level, Map<string, EntityState>>>()
  private count = 0

  /** Number of entities held. */
  get size(): number {
    return this.count
  }

  /** True when the entity has state (loaded or seen in the feed). */
  has(tenant: string, level: Level, entity: string): boolean {
    return this.get(tenant, level, entity) !== undefined
  }

  /** Adds a minute delta (from the feed) or, with `replace`, sets the bucket (from a snapshot). */
  applyMinute(tenant: string, level: Level, entity: string, minuteMs: number, sums: readonly number[], changedAtMs: number, replace = false): void {
    const s = this.stateOf(tenant, level, entity)
    const minute = Math.floor(minuteMs / 60_000)
    const slot = minute & (SLOTS - 1)
    const current = s.minuteOfSlot[slot]!
    if (current > minute) return // older than the ring holds
    if (current !== minute) {
      s.minuteOfSlot[slot] = minute
      s.sums.fill(0, slot * M, slot * M + M)
    }
    for (let i = 0; i < M; i++) s.sums[slot * M + i] = (replace ? 0 : s.sums[slot * M + i]!) + (sums[i] ?? 0)
    s.lastChangeMs = Math.max(s.lastChangeMs, changedAtMs)
  }

  /** Adds a day delta or, with `replace`, sets the day's totals. Keeps the 3 latest days. */
  applyDay(tenant: string, level: Level, entity: string, day: string, sums: readonly number[], changedAtMs: number, replace = false): void {
    const s = this.stateOf(tenant, level, entity)
    const cur = s.days.get(day)
    if (!replace && cur !== undefined) {
      // A delta to a held day: add in place (windows() hands out copies, never this array).
      for (let i = 0; i < M; i++) cur[i] = cur[i]! + (sums[i] ?? 0)
      s.lastChangeMs = Math.max(s.lastChangeMs, changedAtMs)
      return
    }
    const next: MetricSums = [0, 0, 0, 0, 0]
    for (let i = 0; i < M; i++) next[i] = (replace || cur === undefined ? 0 : cur[i]!) + (sums[i] ?? 0)
    s.days.set(day, next)
    if (s.days.size > DAYS_KEPT) {
      const oldest = [...s.days.keys()].sort()[0]!
      s.days.delete(oldest)
    }
    s.lastChangeMs = Math.max(s.lastChangeMs, changedAtMs)
  }

  /** The windows of an entity at `nowMs`; `today` is its account's local date (YYYY-MM-DD). */
  windows(tenant: string, level: Level, entity: string, nowMs: number, today: string): EntityWindows {
    const s = this.get(tenant, level, entity)
    const out: EntityWindows = { '1m': zero(), '5m': zero(), '15m': zero(), '1h': zero(), today: zero() }
    if (s === undefined) return out
    const nowMinute = Math.floor(nowMs / 60_000)
    for (let back = 0; back < 60; back++) {
      const minute = nowMinute - back
      const slot = minute & (SLOTS - 1)
      if (s.minuteOfSlot[slot] !== minute) continue
      for (const [name, n] of WINDOW_ENTRIES) {
        if (back >= n) continue
        const w = out[name]
        for (let i = 0; i < M; i++) w[i] = w[i]! + s.sums[slot * M + i]!
      }
    }
    const day = s.days.get(today)
    if (day !== undefined) out.today = [...day] as MetricSums
    return out
  }

  /**
   * The windows of an entity at `nowMs` written into `out` (WINDOW_SLOTS order × 5 metrics),
   * the same sums as `windows` without allocating; zeros for an unknown entity.
   */
  windowsInto(tenant: string, level: Level, entity: string, nowMs: number, today: string, out: Float64Array): void {
    out.fill(0, 0, WINDOW_SLOTS.length * M)
    const s = this.get(tenant, level, entity)
    if (s === undefined) return
    const nowMinute = Math.floor(nowMs / 60_000)
    // One running sum over the last 60 minutes, newest first, copied out as each window closes:
    // every window gets exactly the additions, in the order, that `windows` makes.
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0
    let w = 0
    for (let back = 0; back < 60; back++) {
      const minute = nowMinute - back
      const slot = minute & (SLOTS - 1)
      if (s.minuteOfSlot[slot] === minute) {
        const at = slot * M
        a0 += s.sums[at]!
        a1 += s.sums[at + 1]!
        a2 += s.sums[at + 2]!
        a3 += s.sums[at + 3]!
        a4 += s.sums[at + 4]!
      }
      if (back === WINDOW_LENGTHS[w]! - 1) {
        const o = w * M
        out[o] = a0
        out[o + 1] = a1
        out[o + 2] = a2
        out[o + 3] = a3
        out[o + 4] = a4
        w++
      }
    }
    const day = s.days.get(today)
    if (day !== undefined) for (let i = 0; i < M; i++) out[4 * M + i] = day[i]!
  }

  /** Time (ms) of the last change applied to an entity, or undefined if unknown. */
  lastChangeMs(tenant: string, level: Level, entity: string): number | undefined {
    return this.get(tenant, level, entity)?.lastChangeMs
  }

  /** Entities of a tenant and level, optionally only those changed at or after `sinceMs`. */
  list(tenant: string, level: Level, sinceMs = -Infinity): string[] {
    const out: string[] = []
    const entities = this.tenants.get(tenant)?.get(level)
    if (entities !== undefined) for (const [entity, s] of entities) if (s.lastChangeMs >= sinceMs) out.push(entity)
    return out
  }

  /** Forgets entities without a change since `beforeMs` (keeps memory flat). Returns how many. */
  evictIdle(beforeMs: number): number {
    let n = 0
    for (const levels of this.tenants.values()) {
      for (const entities of levels.values()) {
        for (const [entity, s] of entities) {
          if (s.lastChangeMs < beforeMs) {
            entities.delete(entity)
            n++
          }
        }
      }
    }
    this.count -= n
    return n
  }

  private get(tenant: string, level: Level, entity: string): EntityState | undefined {
    return this.tenants.get(tenant)?.get(level)?.get(entity)
  }

  private stateOf(tenant: string, level: Level, entity: string): EntityState {
    let levels = this.tenants.get(tenant)
    if (levels === undefined) this.tenants.set(tenant, (levels = new Map()))
    let entities = levels.get(level)
    if (entities === undefined) levels.set(level, (entities = new Map()))
    let s = entities.get(entity)
    if (s === undefined) {
      s = { sums: new Float64Array(SLOTS * M), minuteOfSlot: new Float64Array(SLOTS).fill(-1), days: new Map(), lastChangeMs: -Infinity }
      entities.set(entity, s)
      this.count++
    }
    return s
  }
}

const WINDOW_ENTRIES = Object.entries(WINDOW_MINUTES) as Array<[MinuteWindow, number]>
const WINDOW_LENGTHS = WINDOW_SLOTS.slice(0, 4).map((w) => WINDOW_MINUTES[w as MinuteWindow])

function zero(): MetricSums {
  return [0, 0, 0, 0, 0]
}
