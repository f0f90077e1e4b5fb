import type { AdEventInput, EventType } from '../event.ts'
import { evenShardIndex } from '../kpl.ts'
import { buildCatalogue, tenantNames, type Campaign } from './catalogue.ts'
import { createRng } from './random.ts'
import { makeEvent } from './traffic.ts'

/**
 * Records for integration tests and benchmarks, with their ground truth: valid events, invalid
 * records of every kind the event contract rejects (each tagged with its category), and exact
 * re-sends of valid records (producer retries). The truth is counted here with plain Maps,
 * sharing no code with the consumer's fold, so it can judge it. Pure.
 */

/** Why a record is invalid, one category per rule of the event contract. */
export const INVALID_CATEGORIES = [
  'bad_json',
  'missing_field',
  'wrong_type',
  'negative_amount',
  'unknown_tenant',
  'unknown_type',
  'future_ts',
  'too_late',
] as const
/** One of INVALID_CATEGORIES. */
export type InvalidCategory = (typeof INVALID_CATEGORIES)[number]

/** What to generate; rates are fractions of `count`. */
export interface TestRecordOptions {
  /** Records in all: valid, invalid and duplicates. */
  readonly count: number
  /** When given, truth.recordsPerShard counts records per shard of an evenly split stream. */
  readonly shards?: number
  readonly invalidRate: number
  readonly duplicateRate: number
  readonly seed: number
  /** "Now" of the test: valid timestamps lie in the ~30 minutes before it. */
  readonly startMs: number
  /** Tenant count (synthetic names) or the names themselves. */
  readonly tenants: number | readonly string[]
  /** Campaigns in all (default 8 per shard, at least 24), so keys reach every shard. */
  readonly campaigns?: number
  /** Tenants the consumer knows (default: the tenants above); unknown_tenant uses others. */
  readonly knownTenants?: readonly string[]
  /** Consumer's ADW_MAX_FUTURE_SEC (default 300). */
  readonly maxFutureSec?: number
  /** Consumer's ADW_MAX_LATENESS_SEC (default 86400). */
  readonly maxLatenessSec?: number
  /** Event ids are `${idPrefix}-${n in base 36}`; default `t-${seed}-${startMs in base 36}`. */
  readonly idPrefix?: string
}

/** A record to put: its bytes and partition key (`tenant/campaign`). */
export interface TestRecord {
  readonly data: Buffer
  readonly partitionKey: string
}

/** Additive metrics, named as in stream/event.ts METRICS. */
export interface Totals {
  impressions: number
  clicks: number
  spendMicros: number
  conversions: number
  revenueMicros: number
}

/** What a correct consumer must end up with. */
export interface TestTruth {
  /** Valid events counted once each. */
  readonly validUniqueCount: number
  /** Totals of valid unique events keyed by truthCampaignKey(tenant, campaign). */
  readonly perCampaign: ReadonlyMap<string, Totals>
  /** Totals keyed by truthMinuteKey(tenant, campaign, minute start in epoch ms). */
  readonly perMinute: ReadonlyMap<string, Totals>
  /** Every invalid record, by its index in `records`. */
  readonly invalid: ReadonlyArray<{ index: number; partitionKey: string; category: InvalidCategory }>
  /** Every re-sent record and the index of the record it repeats. */
  readonly duplicates: ReadonlyArray<{ index: number; originalIndex: number; id: string }>
  /** Records (all kinds) per shard index, when `shards` was given. */
  readonly recordsPerShard?: readonly number[]
}

/** Key of TestTruth.perCampaign. */
export function truthCampaignKey(tenant: string, campaign: string): string {
  return `${tenant}/${campaign}`
}

/** Key of TestTruth.perMinute; `minuteMs` is the minute's start in epoch milliseconds. */
export function truthMinuteKey(tenant: string, campaign: string, minuteMs: number): string {
  return `${tenant}/${campaign}/${minuteMs}`
}

const REQUIRED_FIELDS = ['id', 'ts', 'tenant', 'platform', 'account', 'campaign', 'type'] as const
const SPREAD_MS = 30 * 60_000
const DAY_MS = 86_400_000

type Slot = 'valid' | 'invalid' | 'duplicate'

/**
 * Generates `count` records: round(count × invalidRate) invalid (categories in turn),
 * round(count × duplicateRate) exact re-sends of earlier valid records, the rest valid with
 * unique ids. Deterministic by seed.
 */
export function generateTestRecords(opts: TestRecordOptions): { records: TestRecord[]; truth: TestTruth } {
  const { count, invalidRate, duplicateRate } = opts
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`)
  if (!(invalidRate >= 0 && duplicateRate >= 0 && invalidRate + duplicateRate <= 1)) throw new RangeError('invalidRate and duplicateRate must be non-negative and sum to at most 1')
  const nInvalid = Math.round(count * invalidRate)
  const nDuplicate = Math.round(count * duplicateRate)
  const nValid = count - nInvalid - nDuplicate
  if (nDuplicate > 0 && nValid < 1) throw new RangeError('duplicates need at least one valid record to repeat')

  const names = typeof opts.tenants === 'number' ? tenantNames(opts.tenants) : [...opts.tenants]
  const known = new Set(opts.knownTenants ?? names)
  const maxFutureMs = (opts.maxFutureSec ?? 300) * 1000
  const maxLatenessMs = (opts.maxLatenessSec ?? 86_400) * 1000
  // Leave half the allowed lateness as headroom for a slow test.
  const spreadMs = Math.min(SPREAD_MS, maxLatenessMs / 2)
  const shards = opts.shards
  const catalogue = buildCatalogue({
    seed: opts.seed,
    tenants: names.length,
    names,
    campaigns: opts.campaigns ?? Math.max(24, 8 * (shards ?? 1)),
  })
  const rng = createRng(`test-events:${opts.seed}`)
  const idPrefix = opts.idPrefix ?? `t-${opts.seed}-${opts.startMs.toString(36)}`
  let nextId = 0

  const slots = orderSlots(rng.shuffle<Slot>([
    ...new Array<Slot>(nValid).fill('valid'),
    ...new Array<Slot>(nInvalid).fill('invalid'),
    ...new Array<Slot>(nDuplicate).fill('duplicate'),
  ]))
  const categories = rng.shuffle(INVALID_CATEGORIES)

  const records: TestRecord[] = []
  const invalid: Array<{ index: number; partitionKey: string; category: InvalidCategory }> = []
  const duplicates: Array<{ index: number; originalIndex: number; id: string }> = []
  const validIndexes: number[] = []
  const validIds: string[] = []
  // campaign key → minute → totals; flattened into the string-keyed truth at the end.
  const byCampaignMinute = new Map<string, { tenant: string; campaign: string; minutes: Map<number, Totals> }>()
  const variants = new Map<InvalidCategory, number>()

  const newEvent = (): { campaign: Campaign; event: AdEventInput; tsMs: number } => {
    const campaign = rng.pick(catalogue.campaigns)
    const type = rng.pickWeighted<EventType>(['impression', 'click', 'conversion', 'spend'], (t) => TYPE_SHARE[t])
    const tsMs = opts.startMs - 1000 - Math.floor(rng.next() * (spreadMs - 1000))
    const event = makeEvent(campaign, type, tsMs, `${idPrefix}-${(nextId++).toString(36)}`, rng, { isoTs: rng.chance(0.6) })
    return { campaign, event, tsMs }
  }

  for (const slot of slots) {
    const index = records.length
    if (slot === 'duplicate') {
      const pick = rng.int(0, validIndexes.length - 1)
      const originalIndex = validIndexes[pick] as number
      const original = records[originalIndex] as TestRecord
      records.push({ data: Buffer.from(original.data), partitionKey: original.partitionKey })
      duplicates.push({ index, originalIndex, id: validIds[pick] as string })
      continue
    }
    const { campaign, event, tsMs } = newEvent()
    const partitionKey = `${campaign.tenant}/${campaign.id}`
    if (slot === 'valid') {
      const body: Record<string, unknown> = { ...event }
      // The contract's optional parts: adset/ad may be absent, zero metrics may be left out.
      if (rng.chance(0.1)) {
        delete body.adset
        delete body.ad
        for (const k of ['impressions', 'clicks', 'spend_micros', 'conversions', 'revenue_micros']) if (body[k] === 0) delete body[k]
      }
      records.push({ data: Buffer.from(JSON.stringify(body)), partitionKey })
      validIndexes.push(index)
      validIds.push(event.id)
      const campaignKey = truthCampaignKey(event.tenant, event.campaign)
      let entry = byCampaignMinute.get(campaignKey)
      if (entry === undefined) byCampaignMinute.set(campaignKey, (entry = { tenant: event.tenant, campaign: event.campaign, minutes: new Map() }))
      addTotals(entry.minutes, Math.floor(tsMs / 60_000) * 60_000, event)
      continue
    }
    const category = categories[invalid.length % categories.length] as InvalidCategory
    const variant = variants.get(category) ?? 0
    variants.set(category, variant + 1)
    const data = makeInvalid(category, event, variant, { startMs: opts.startMs, maxFutureMs, maxLatenessMs, known })
    records.push({ data, partitionKey })
    invalid.push({ index, partitionKey, category })
  }

  const perCampaign = new Map<string, Totals>()
  const perMinute = new Map<string, Totals>()
  for (const [campaignKey, { tenant, campaign, minutes }] of byCampaignMinute) {
    const sum = emptyTotals()
    for (const [minuteMs, t] of minutes) {
      perMinute.set(truthMinuteKey(tenant, campaign, minuteMs), t)
      sum.impressions += t.impressions
      sum.clicks += t.clicks
      sum.spendMicros += t.spendMicros
      sum.conversions += t.conversions
      sum.revenueMicros += t.revenueMicros
    }
    perCampaign.set(campaignKey, sum)
  }
  const truth: TestTruth = {
    validUniqueCount: validIndexes.length,
    perCampaign,
    perMinute,
    invalid,
    duplicates,
    ...(shards === undefined ? {} : { recordsPerShard: countPerShard(records, shards) }),
  }
  return { records, truth }
}

const TYPE_SHARE: Record<EventType, number> = { impression: 0.6, click: 0.3, conversion: 0.07, spend: 0.03 }

/** Moves any duplicate that precedes every valid record behind the first valid one. */
function orderSlots(slots: Slot[]): Slot[] {
  const firstValid = slots.indexOf('valid')
  if (firstValid <= 0) return slots
  const before = slots.slice(0, firstValid)
  const moved = before.filter((s) => s === 'duplicate')
  return [...before.filter((s) => s !== 'duplicate'), 'valid', ...moved, ...slots.slice(firstValid + 1)]
}

function emptyTotals(): Totals {
  return { impressions: 0, clicks: 0, spendMicros: 0, conversions: 0, revenueMicros: 0 }
}

function addTotals<K>(map: Map<K, Totals>, key: K, e: AdEventInput): void {
  const t = map.get(key) ?? emptyTotals()
  t.impressions += e.impressions ?? 0
  t.clicks += e.clicks ?? 0
  t.spendMicros += e.spend_micros ?? 0
  t.conversions += e.conversions ?? 0
  t.revenueMicros += e.revenue_micros ?? 0
  map.set(key, t)
}

interface InvalidContext {
  readonly startMs: number
  readonly maxFutureMs: number
  readonly maxLatenessMs: number
  readonly known: ReadonlySet<string>
}

/** Bytes of an invalid record of the category; `variant` (nth of the category) rotates its flavours. */
function makeInvalid(category: InvalidCategory, event: AdEventInput, variant: number, ctx: InvalidContext): Buffer {
  const body: Record<string, unknown> = { ...event }
  const json = (): Buffer => Buffer.from(JSON.stringify(body))
  switch (category) {
    case 'bad_json': {
      const text = JSON.stringify(body)
      const flavours = [
        () => Buffer.from(text.slice(0, Math.floor(text.length / 2))), // truncated
        () => Buffer.from(`${text.slice(0, -1)},}`), // trailing comma
        () => Buffer.from([0xff, 0xfe, 0xfd, 0x00, 0x7b, 0x22, 0xc3]), // not UTF-8 (and no KPL magic)
        () => Buffer.from(`id=${event.id}&tenant=${event.tenant}`), // not JSON at all
        () => Buffer.from(text.replace(/"id":/, "'id':")), // single quotes
      ]
      return (flavours[variant % flavours.length] as () => Buffer)()
    }
    case 'missing_field':
      delete body[REQUIRED_FIELDS[variant % REQUIRED_FIELDS.length] as string]
      return json()
    case 'wrong_type': {
      const flavours: Array<[string, unknown]> = [['clicks', '3'], ['spend_micros', String(event.spend_micros ?? 0)], ['impressions', true], ['revenue_micros', { micros: 1 }], ['conversions', [1]]]
      const [key, value] = flavours[variant % flavours.length] as [string, unknown]
      body[key] = value
      return json()
    }
    case 'negative_amount': {
      const keys = ['spend_micros', 'clicks', 'revenue_micros', 'impressions', 'conversions']
      body[keys[variant % keys.length] as string] = -(variant % 7) - 1
      return json()
    }
    case 'unknown_tenant': {
      let name = `ghost${variant}`
      while (ctx.known.has(name)) name += 'x'
      body.tenant = name
      return json()
    }
    case 'unknown_type':
      body.type = ['view', 'install', 'purchase', 'bid'][variant % 4]
      return json()
    case 'future_ts': {
      const tsMs = ctx.startMs + Math.max(2 * DAY_MS, 2 * ctx.maxFutureMs)
      body.ts = variant % 2 === 0 ? new Date(tsMs).toISOString() : tsMs
      return json()
    }
    case 'too_late': {
      const tsMs = ctx.startMs - ctx.maxLatenessMs - 3_600_000
      body.ts = variant % 2 === 0 ? new Date(tsMs).toISOString() : tsMs
      return json()
    }
  }
}

function countPerShard(records: readonly TestRecord[], shards: number): number[] {
  const counts = new Array<number>(shards).fill(0)
  const shardOf = new Map<string, number>()
  for (const r of records) {
    let i = shardOf.get(r.partitionKey)
    if (i === undefined) shardOf.set(r.partitionKey, (i = evenShardIndex(r.partitionKey, shards)))
    counts[i] = (counts[i] ?? 0) + 1
  }
  return counts
}
