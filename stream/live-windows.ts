import type { Level } from './event.ts'
import type { MetricSums } from './fold.ts'

/** The sliding windows rules and dashboards read; minutes counted include the current one. */
export const WINDOW_MINUTES = { '1m': 1, '5m': 5, '15m': 15, '1h': 60 } as const
export type MinuteWindow = keyof typeof WINDOW_MINUTES
export type WindowName = MinuteWindow | 'today'

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
  private readonly entities = new Map<string, EntityState>()

  /** Number of entities held. */
  get size(): number {
    return this.entities.size
  }

  /** True when the entity has state (loaded or seen in the feed). */
  has(tenant: string, level: Level, entity: string): boolean {
    return this.entities.has(keyOf(tenant, level, entity))
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
    const s = this.entities.get(keyOf(tenant, level, entity))
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

  /** Time (ms) of the last change applied to an entity, or undefined if unknown. */
  lastChangeMs(tenant: string, level: Level, entity: string): number | undefined {
    return this.entities.get(keyOf(tenant, level, entity))?.lastChangeMs
  }

  /** Entities of a tenant and level, optionally only those changed at or after `sinceMs`. */
  list(tenant: string, level: Level, sinceMs = -Infinity): string[] {
    const prefix = `${tenant}\u0000${level}\u0000`
    const out: string[] = []
    for (const [k, s] of this.entities) if (k.startsWith(prefix) && s.lastChangeMs >= sinceMs) out.push(k.slice(prefix.length))
    return out
  }

  /** Forgets entities without a change since `beforeMs` (keeps memory flat). Returns how many. */
  evictIdle(beforeMs: number): number {
    let n = 0
    for (const [k, s] of this.entities) {
      if (s.lastChangeMs < beforeMs) {
        this.entities.delete(k)
        n++
      }
    }
    return n
  }

  private stateOf(tenant: string, level: Level, entity: string): EntityState {
    const key = keyOf(tenant, level, entity)
    let s = this.entities.get(key)
    if (s === undefined) {
      s = { sums: new Float64Array(SLOTS * M), minuteOfSlot: new Float64Array(SLOTS).fill(-1), days: new Map(), lastChangeMs: -Infinity }
      this.entities.set(key, s)
    }
    return s
  }
}

const WINDOW_ENTRIES = Object.entries(WINDOW_MINUTES) as Array<[MinuteWindow, number]>

function keyOf(tenant: string, level: Level, entity: string): string {
  return `${tenant}\u0000${level}\u0000${entity}`
}

function zero(): MetricSums {
  return [0, 0, 0, 0, 0]
}
