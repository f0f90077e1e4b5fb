import type { AdEvent, Level } from './event.ts'

/** Sums of the five metrics, in METRICS order: impressions, clicks, spend, conversions, revenue. */
export type MetricSums = [number, number, number, number, number]

/** One entity's sums for one minute. */
export interface MinuteCell {
  readonly tenant: string
  readonly level: Level
  readonly entity: string
  readonly minuteMs: number
  readonly sums: MetricSums
}

/** One entity's sums for one local day of its account. */
export interface DayCell {
  readonly tenant: string
  readonly level: Level
  readonly entity: string
  readonly day: string
  readonly sums: MetricSums
}

/** Parents and attributes of an entity seen in the batch. */
export interface EntityMeta {
  readonly tenant: string
  readonly level: Level
  readonly entity: string
  readonly platform: string
  readonly account: string
  readonly campaign: string
  readonly adset: string
  readonly currency: string
}

/** A micro-batch folded in memory: what the Redis sink applies in one script call. */
export interface FoldedBatch {
  readonly minutes: MinuteCell[]
  readonly days: DayCell[]
  readonly entities: EntityMeta[]
  readonly events: number
}

/** Maps an event to its account's local calendar day, for "today" totals. */
export type DayOf = (event: AdEvent) => string

/**
 * Folds events into per-entity minute and day sums at every level the event names
 * (account, campaign, and adset / ad when present). Pure; the order of events is irrelevant.
 * Cells and entities are listed in the order they first appear in `events`.
 */
export function foldEvents(events: readonly AdEvent[], dayOf: DayOf): FoldedBatch {
  const out: FoldedBatch = { minutes: [], days: [], entities: [], events: events.length }
  // Nested maps keyed by the event's own strings and numbers: a per-event composite string key
  // would be built, hashed and collected four times per event (the hot spot of this loop).
  const tenants = new Map<string, TenantCells>()
  for (const e of events) {
    const minuteMs = e.tsMs - (e.tsMs % 60_000)
    const day = dayOf(e)
    let t = tenants.get(e.tenant)
    if (t === undefined) {
      t = { account: new Map(), campaign: new Map(), adset: new Map(), ad: new Map() }
      tenants.set(e.tenant, t)
    }
    addLevel(e, 'account', e.account, t.account, minuteMs, day, out)
    addLevel(e, 'campaign', e.campaign, t.campaign, minuteMs, day, out)
    if (e.adset !== '') addLevel(e, 'adset', e.adset, t.adset, minuteMs, day, out)
    if (e.ad !== '') addLevel(e, 'ad', e.ad, t.ad, minuteMs, day, out)
  }
  return out
}

/** One entity's cells in the batch being folded. */
interface EntityCells {
  readonly minutes: Map<number, MinuteCell>
  readonly days: Map<string, DayCell>
}

/** A tenant's entities by level, then by entity id. */
type TenantCells = Record<Level, Map<string, EntityCells>>

function addLevel(e: AdEvent, level: Level, entity: string, entities: Map<string, EntityCells>, minuteMs: number, day: string, out: FoldedBatch): void {
  let cells = entities.get(entity)
  if (cells === undefined) {
    cells = { minutes: new Map(), days: new Map() }
    entities.set(entity, cells)
    out.entities.push({
      tenant: e.tenant,
      level,
      entity,
      platform: e.platform,
      account: e.account,
      campaign: level === 'account' ? '' : e.campaign,
      adset: level === 'ad' ? e.adset : '',
      currency: e.currency,
    })
  }
  let m = cells.minutes.get(minuteMs)
  if (m === undefined) {
    m = { tenant: e.tenant, level, entity, minuteMs, sums: [0, 0, 0, 0, 0] }
    cells.minutes.set(minuteMs, m)
    out.minutes.push(m)
  }
  addSums(m.sums, e)
  let d = cells.days.get(day)
  if (d === undefined) {
    d = { tenant: e.tenant, level, entity, day, sums: [0, 0, 0, 0, 0] }
    cells.days.set(day, d)
    out.days.push(d)
  }
  addSums(d.sums, e)
}

function addSums(s: MetricSums, e: AdEvent): void {
  s[0] += e.impressions
  s[1] += e.clicks
  s[2] += e.spendMicros
  s[3] += e.conversions
  s[4] += e.revenueMicros
}
