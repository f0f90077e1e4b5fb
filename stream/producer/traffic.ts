import type { AdEventInput, EventType } from '../event.ts'
import { indexAnomalies, maxRateFactor, rateFactorAt, spendFactorAt, anomalyKey, type Anomaly } from './anomalies.ts'
import type { Campaign, Catalogue } from './catalogue.ts'
import { createRng, type Rng } from './random.ts'

/**
 * Synthetic traffic: events following the event contract, drawn from the catalogue with a
 * day curve in each account's time zone and the injected anomalies. Pure: time comes in as
 * arguments; the generator's only state is its random sequence and id counter.
 */

/** Options of a traffic generator. */
export interface TrafficOptions {
  readonly catalogue: Catalogue
  readonly seed: number
  readonly anomalies?: readonly Anomaly[]
  /** Ids are `${idPrefix}-${counter in base 36}`; default `e-${seed}`. Give each run its own. */
  readonly idPrefix?: string
  /** Scale traffic by hour of day in the account's time zone (default true). */
  readonly dayCurve?: boolean
  /** Share of events whose `ts` is an ISO string rather than epoch ms (default 0.7). */
  readonly isoTsShare?: number
}

/** A stateful source of events; calls for consecutive windows continue one id sequence. */
export interface TrafficGenerator {
  /**
   * Events with `ts` in [startMs, startMs + durationMs), sorted by time. `ratePerSec` is the
   * day-average rate of the whole catalogue: the day curve makes it lower at night and
   * higher at peak; anomalies add (click bursts) or remove (stops) events on top.
   */
  events(startMs: number, durationMs: number, ratePerSec: number): AdEventInput[]
  /** Events produced so far. */
  readonly emitted: number
}

/** Mean impressions carried by one impression event (uniform 1–50). */
const IMPRESSIONS_PER_EVENT = 25.5
/** Platform spend adjustments (type "spend") per impression event. */
const SPEND_EVENT_SHARE = 0.01
/** Rates and the day curve are evaluated per slice of at most this length. */
const SLICE_MS = 60_000

const TYPES: readonly EventType[] = ['impression', 'click', 'conversion', 'spend']

/** Creates a generator; deterministic for the same options and the same sequence of calls. */
export function createTrafficGenerator(opts: TrafficOptions): TrafficGenerator {
  const rng = createRng(`traffic:${opts.seed}`)
  const idPrefix = opts.idPrefix ?? `e-${opts.seed}`
  const useDayCurve = opts.dayCurve ?? true
  const isoShare = opts.isoTsShare ?? 0.7
  const campaigns = opts.catalogue.campaigns
  const anomalyIndex = indexAnomalies(opts.anomalies ?? [])
  const anomaliesOf = campaigns.map((c) => anomalyIndex.get(anomalyKey(c.tenant, c.id)))
  const totalWeight = campaigns.reduce((sum, c) => sum + c.weight, 0)
  const mixes = campaigns.map(typeMix)
  const zones = [...new Set(campaigns.map((c) => c.timeZone))]
  const cumulative = new Float64Array(campaigns.length * TYPES.length)
  let counter = 0

  const slice = (out: AdEventInput[], startMs: number, durationMs: number, ratePerSec: number): void => {
    const curve = new Map(zones.map((z) => [z, useDayCurve ? dayCurve(localHour(startMs + durationMs / 2, z)) : 1]))
    const scale = (ratePerSec * durationMs) / 1000 / totalWeight
    let total = 0
    for (let c = 0; c < campaigns.length; c++) {
      const campaign = campaigns[c] as Campaign
      const mix = mixes[c] as readonly number[]
      const base = scale * campaign.weight * (curve.get(campaign.timeZone) ?? 1)
      for (let t = 0; t < TYPES.length; t++) {
        const type = TYPES[t] as EventType
        total += base * (mix[t] ?? 0) * maxRateFactor(anomaliesOf[c], type, startMs, startMs + durationMs)
        cumulative[c * TYPES.length + t] = total
      }
    }
    const n = rng.poisson(total)
    const slots = new Uint32Array(n)
    const times = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      slots[i] = upperBound(cumulative, rng.next() * total)
      times[i] = startMs + Math.floor(rng.next() * durationMs)
    }
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (times[a] ?? 0) - (times[b] ?? 0) || a - b)
    for (const i of order) {
      const slot = slots[i] ?? 0
      const tsMs = times[i] ?? startMs
      const c = Math.floor(slot / TYPES.length)
      const type = TYPES[slot % TYPES.length] as EventType
      const campaign = campaigns[c] as Campaign
      const anomalies = anomaliesOf[c]
      if (anomalies !== undefined) {
        // Thinning: candidates were drawn at the window's highest rate; keep each with the
        // ratio of the rate at its own time, so anomaly windows apply to the millisecond.
        const keep = rateFactorAt(anomalies, type, tsMs) / maxRateFactor(anomalies, type, startMs, startMs + durationMs)
        if (rng.next() >= keep) continue
      }
      const id = `${idPrefix}-${(counter++).toString(36)}`
      out.push(makeEvent(campaign, type, tsMs, id, rng, { spendFactor: spendFactorAt(anomalies, type, tsMs), isoTs: rng.next() < isoShare }))
    }
  }

  return {
    events(startMs, durationMs, ratePerSec) {
      if (!Number.isFinite(startMs) || !(durationMs >= 0) || !(ratePerSec >= 0)) {
        throw new RangeError(`events(${startMs}, ${durationMs}, ${ratePerSec}): need a finite start and non-negative duration and rate`)
      }
      const out: AdEventInput[] = []
      for (let from = startMs; from < startMs + durationMs; from += SLICE_MS) {
        slice(out, from, Math.min(SLICE_MS, startMs + durationMs - from), ratePerSec)
      }
      return out
    },
    get emitted() {
      return counter
    },
  }
}

/** Expected events of each type (in TYPES order) per event of the campaign, summing to 1. */
function typeMix(c: Campaign): number[] {
  const clicks = IMPRESSIONS_PER_EVENT * c.ctr
  const raw = [1, clicks, clicks * c.conversionRate, SPEND_EVENT_SHARE]
  const sum = raw.reduce((a, b) => a + b, 0)
  return raw.map((x) => x / sum)
}

/** First index whose cumulative value exceeds x (binary search). */
function upperBound(cumulative: Float64Array, x: number): number {
  let lo = 0
  let hi = cumulative.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((cumulative[mid] ?? 0) > x) hi = mid
    else lo = mid + 1
  }
  return lo
}

/** How an event's metrics are drawn beyond campaign and type. */
export interface MakeEventOptions {
  /** Multiplier of spend (anomalies); default 1. */
  readonly spendFactor?: number
  /** Write `ts` as an ISO string (true) or epoch milliseconds (false). */
  readonly isoTs: boolean
}

/**
 * One contract-conforming event of the campaign. Impression events carry 1–50 impressions
 * and their CPM spend, click events one click and its CPC spend, conversion events one
 * conversion and its revenue, spend events a platform spend adjustment. All metrics are
 * non-negative integers; every field of the contract is present.
 */
export function makeEvent(campaign: Campaign, type: EventType, tsMs: number, id: string, rng: Rng, opts: MakeEventOptions): AdEventInput {
  const spendFactor = opts.spendFactor ?? 1
  const adset = rng.pick(campaign.adsets)
  const ad = rng.pick(adset.ads)
  let impressions = 0
  let clicks = 0
  let spend = 0
  let conversions = 0
  let revenue = 0
  if (type === 'impression') {
    impressions = rng.int(1, 50)
    spend = ((impressions * campaign.cpmMicros) / 1000) * rng.float(0.85, 1.15)
  } else if (type === 'click') {
    clicks = 1
    spend = campaign.cpcMicros * rng.logNormal(0, 0.2)
  } else if (type === 'conversion') {
    conversions = 1
    revenue = campaign.avgOrderValueMicros * rng.logNormal(0, 0.5)
  } else {
    spend = campaign.cpmMicros * rng.float(0.05, 0.5)
  }
  return {
    id,
    ts: opts.isoTs ? new Date(tsMs).toISOString() : tsMs,
    tenant: campaign.tenant,
    platform: campaign.platform,
    account: campaign.account,
    campaign: campaign.id,
    adset: adset.id,
    ad,
    type,
    impressions,
    clicks,
    spend_micros: Math.max(0, Math.round(spend * spendFactor)),
    conversions,
    revenue_micros: Math.max(0, Math.round(revenue)),
    currency: campaign.currency,
  }
}

/** Epoch milliseconds of an event's `ts` (ISO string or number). */
export function tsOf(e: AdEventInput): number {
  return typeof e.ts === 'number' ? e.ts : Date.parse(e.ts)
}

const CURVE_PEAKS = [
  { hour: 12.5, width: 3.2, height: 0.9 },
  { hour: 20.5, width: 2.4, height: 1.1 },
] as const
const CURVE_FLOOR = 0.12

function rawCurve(hour: number): number {
  let v = CURVE_FLOOR
  for (const p of CURVE_PEAKS) {
    // Circular distance, so 23:00 and 01:00 are two hours apart.
    const d = Math.min(Math.abs(hour - p.hour), 24 - Math.abs(hour - p.hour))
    v += p.height * Math.exp(-(d * d) / (2 * p.width * p.width))
  }
  return v
}

const CURVE_MEAN = (() => {
  let sum = 0
  const steps = 24 * 60
  for (let i = 0; i < steps; i++) sum += rawCurve((i * 24) / steps)
  return sum / steps
})()

/**
 * Relative traffic at a local hour of day (0–24, fractional): lowest around 3–5 am, a
 * midday peak and a higher evening peak; its mean over the day is 1.
 */
export function dayCurve(localHourOfDay: number): number {
  const h = ((localHourOfDay % 24) + 24) % 24
  return rawCurve(h) / CURVE_MEAN
}

const hourFormats = new Map<string, Intl.DateTimeFormat>()

/** Hour of day (fractional, 0–24) at `tsMs` in an IANA time zone. */
export function localHour(tsMs: number, timeZone: string): number {
  let fmt = hourFormats.get(timeZone)
  if (fmt === undefined) {
    fmt = new Intl.DateTimeFormat('en-GB', { timeZone, hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23' })
    hourFormats.set(timeZone, fmt)
  }
  let h = 0
  let m = 0
  let s = 0
  for (const part of fmt.formatToParts(tsMs)) {
    if (part.type === 'hour') h = Number(part.value)
    else if (part.type === 'minute') m = Number(part.value)
    else if (part.type === 'second') s = Number(part.value)
  }
  return h + m / 60 + s / 3600
}
