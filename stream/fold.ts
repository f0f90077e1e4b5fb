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
 */
export function foldEvents(events: readonly AdEvent[], dayOf: DayOf): FoldedBatch {
  const minutes = new Map<string, MinuteCell>()
  const days = new Map<string, DayCell>()
  const entities = new Map<string, EntityMeta>()
  for (const e of events) {
    const minuteMs = e.tsMs - (e.tsMs % 60_000)
    const day = dayOf(e)
    addLevel(e, 'account', e.account, minuteMs, day, minutes, days, entities)
    addLevel(e, 'campaign', e.campaign, minuteMs, day, minutes, days, entities)
    if (e.adset !== '') addLevel(e, 'adset', e.adset, minuteMs, day, minutes, days, entities)
    if (e.ad !== '') addLevel(e, 'ad', e.ad, minuteMs, day, minutes, days, entities)
  }
  return { minutes: [...minutes.values()], days: [...days.values()], entities: [...entities.values()], events: events.length }
}

function addLevel(
  e: AdEvent,
  level: Level,
  entity: string,
  minuteMs: number,
  day: string,
  minutes: Map<string, MinuteCell>,
  days: Map<string, DayCell>,
  entities: Map<string, EntityMeta>,
): void {
  const entityKey = `${e.tenant}\u0000${level}\u0000${entity}`
  const mKey = `${entityKey}\u0000${minuteMs}`
  let m = minutes.get(mKey)
  if (m === undefined) {
    m = { tenant: e.tenant, level, entity, minuteMs, sums: [0, 0, 0, 0, 0] }
    minutes.set(mKey, m)
  }
  addSums(m.sums, e)
  const dKey = `${entityKey}\u0000${day}`
  let d = days.get(dKey)
  if (d === undefined) {
    d = { tenant: e.tenant, level, entity, day, sums: [0, 0, 0, 0, 0] }
    days.set(dKey, d)
  }
  addSums(d.sums, e)
  if (!entities.has(entityKey)) {
    entities.set(entityKey, {
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
}

function addSums(s: MetricSums, e: AdEvent): void {
  s[0] += e.impressions
  s[1] += e.clicks
  s[2] += e.spendMicros
  s[3] += e.conversions
  s[4] += e.revenueMicros
}
