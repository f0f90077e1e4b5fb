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
  // Each event's most specific entity also remembers its chain of entities up to the account,
  // so most events need one lookup, not four (the chain is checked against the event's parents).
  const tenants = new Map<string, TenantCells>()
  for (const e of events) {
    const minuteMs = e.tsMs - (e.tsMs % 60_000)
    const day = dayOf(e)
    let t = tenants.get(e.tenant)
    if (t === undefined) {
      t = { account: new Map(), campaign: new Map(), adset: new Map(), ad: new Map(), chains: [new Map(), new Map(), new Map()] }
      tenants.set(e.tenant, t)
    }
    const leaf = e.ad !== '' ? 2 : e.adset !== '' ? 1 : 0
    const chains = t.chains[leaf]!
    const leafId = leaf === 2 ? e.ad : leaf === 1 ? e.adset : e.campaign
    let chain = chains.get(leafId)
    if (chain === undefined || chain.account !== e.account || chain.campaign !== e.campaign || chain.adset !== e.adset) {
      const cells = [entityCells(e, 'account', e.account, t.account, out), entityCells(e, 'campaign', e.campaign, t.campaign, out)]
      if (e.adset !== '') cells.push(entityCells(e, 'adset', e.adset, t.adset, out))
      if (e.ad !== '') cells.push(entityCells(e, 'ad', e.ad, t.ad, out))
      chain = { account: e.account, campaign: e.campaign, adset: e.adset, cells }
      chains.set(leafId, chain)
    }
    for (const cells of chain.cells) addToCells(cells, e, minuteMs, day, out)
  }
  return out
}

/** An entity's cells and those of its parents, in level order, with the parents' ids they stand for. */
interface Chain {
  readonly account: string
  readonly campaign: string
  readonly adset: string
  readonly cells: readonly EntityCells[]
}

/** One entity's cells in the batch being folded; the last ones used are kept at hand (events come in time order). */
interface EntityCells {
  readonly tenant: string
  readonly level: Level
  readonly entity: string
  readonly minutes: Map<number, MinuteCell>
  readonly days: Map<string, DayCell>
  lastMinuteMs: number
  lastMinute: MinuteCell | undefined
  lastDay: string
  lastDayCell: DayCell | undefined
}

/** A tenant's entities by level, then by entity id; and chains by the id of an event's most specific entity (campaign, adset, ad). */
interface TenantCells extends Record<Level, Map<string, EntityCells>> {
  readonly chains: [Map<string, Chain>, Map<string, Chain>, Map<string, Chain>]
}

/** The cells of an entity, created (and its metadata listed) on first sight. */
function entityCells(e: AdEvent, level: Level, entity: string, entities: Map<string, EntityCells>, out: FoldedBatch): EntityCells {
  let cells = entities.get(entity)
  if (cells === undefined) {
    cells = { tenant: e.tenant, level, entity, minutes: new Map(), days: new Map(), lastMinuteMs: Number.NaN, lastMinute: undefined, lastDay: '', lastDayCell: undefined }
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
  return cells
}

function addToCells(cells: EntityCells, e: AdEvent, minuteMs: number, day: string, out: FoldedBatch): void {
  let m = cells.lastMinuteMs === minuteMs ? cells.lastMinute : cells.minutes.get(minuteMs)
  if (m === undefined) {
    m = { tenant: cells.tenant, level: cells.level, entity: cells.entity, minuteMs, sums: [0, 0, 0, 0, 0] }
    cells.minutes.set(minuteMs, m)
    out.minutes.push(m)
  }
  cells.lastMinuteMs = minuteMs
  cells.lastMinute = m
  addSums(m.sums, e)
  let d = cells.lastDay === day ? cells.lastDayCell : cells.days.get(day)
  if (d === undefined) {
    d = { tenant: cells.tenant, level: cells.level, entity: cells.entity, day, sums: [0, 0, 0, 0, 0] }
    cells.days.set(day, d)
    out.days.push(d)
  }
  cells.lastDay = day
  cells.lastDayCell = d
  addSums(d.sums, e)
}

function addSums(s: MetricSums, e: AdEvent): void {
  s[0] += e.impressions
  s[1] += e.clicks
  s[2] += e.spendMicros
  s[3] += e.conversions
  s[4] += e.revenueMicros
}
