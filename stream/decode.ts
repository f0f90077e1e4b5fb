import { Ajv } from 'ajv'
import { CURRENCY_PATTERN, EVENT_TYPES, ID_MAX_LENGTH, ISO_8601_PATTERN, MAX_METRIC_PER_EVENT, TENANT_PATTERN, type AdEvent, type EventType } from './event.ts'
import { scanEvent } from './event-scanner.ts'

/** Why a record was dead-lettered; stored in the `code` column of `dead_letters`. */
export type DeadLetterCode =
  | 'bad_json'
  | 'invalid_field'
  | 'unknown_tenant'
  | 'ts_in_future'
  | 'ts_too_old'
  | 'bad_kpl'

/** Result of decoding one user record: an event, or the reason it is invalid. */
export type DecodeResult =
  | { readonly kind: 'event'; readonly event: AdEvent }
  | { readonly kind: 'invalid'; readonly code: DeadLetterCode; readonly reason: string }

/** What decoding needs to know besides the bytes; `nowMs` comes from the caller's clock. */
export interface DecodeContext {
  readonly nowMs: number
  readonly maxLatenessMs: number
  readonly maxFutureMs: number
  readonly isKnownTenant: (tenant: string) => boolean
}

const ID = { type: 'string', minLength: 1, maxLength: ID_MAX_LENGTH } as const
const COUNT = { type: 'integer', minimum: 0, maximum: MAX_METRIC_PER_EVENT } as const

/** JSON Schema of the event contract (docs/event-contract.md). Extra fields are allowed. */
export const EVENT_SCHEMA = {
  type: 'object',
  required: ['id', 'ts', 'tenant', 'platform', 'account', 'campaign', 'type'],
  properties: {
    id: ID,
    ts: { anyOf: [{ type: 'string', minLength: 10, maxLength: 40 }, { type: 'integer', minimum: 0 }] },
    tenant: { type: 'string', pattern: TENANT_PATTERN.source },
    platform: ID,
    account: ID,
    campaign: ID,
    adset: ID,
    ad: ID,
    type: { enum: EVENT_TYPES },
    impressions: COUNT,
    clicks: COUNT,
    spend_micros: COUNT,
    conversions: COUNT,
    revenue_micros: COUNT,
    currency: { type: 'string', pattern: CURRENCY_PATTERN.source },
  },
} as const

const ajv = new Ajv({ allErrors: false, strict: true })
const validateShape = ajv.compile(EVENT_SCHEMA)

interface RawEvent {
  id: string
  ts: string | number
  tenant: string
  platform: string
  account: string
  campaign: string
  adset?: string
  ad?: string
  type: EventType
  impressions?: number
  clicks?: number
  spend_micros?: number
  conversions?: number
  revenue_micros?: number
  currency?: string
}

/**
 * Decodes and validates one record's bytes against the event contract. Pure. The usual record
 * is read by scanEvent straight from its bytes; one it is not sure of is parsed, and if it passes
 * isSurelyValid (a few typeof checks) skips ajv; any other record gets ajv's verdict and reason,
 * so the outcome is exactly ajv's (decode-fast-path.test.ts holds it to that).
 */
export function decodeEvent(data: Uint8Array, ctx: DecodeContext): DecodeResult {
  const scanned = scanEvent(data)
  if (scanned !== undefined) return checkEvent(scanned, ctx)
  let parsed: unknown
  try {
    parsed = JSON.parse(utf8Slice.call(data, 0, data.length))
  } catch (err) {
    return { kind: 'invalid', code: 'bad_json', reason: `not JSON: ${(err as Error).message}` }
  }
  if (isSurelyValid(parsed)) {
    const ts = parsed.ts
    const tsMs = typeof ts === 'number' ? ts : Date.parse(ts)
    if (tsMs === tsMs) return checkEvent(eventOf(parsed, tsMs), ctx) // not NaN
  }
  return decodeParsed(parsed, ctx)
}

/** The reference decoder of one record's text: JSON.parse, ajv, then the time and tenant checks. */
export function decodeEventText(text: string, ctx: DecodeContext): DecodeResult {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    return { kind: 'invalid', code: 'bad_json', reason: `not JSON: ${(err as Error).message}` }
  }
  return decodeParsed(parsed, ctx)
}

function decodeParsed(parsed: unknown, ctx: DecodeContext): DecodeResult {
  if (!validateShape(parsed)) {
    const e = validateShape.errors?.[0]
    const where = e?.instancePath === '' || e === undefined ? 'event' : e.instancePath.slice(1)
    return { kind: 'invalid', code: 'invalid_field', reason: `${where} ${e?.message ?? 'is invalid'}` }
  }
  const raw = parsed as unknown as RawEvent
  const tsMs = parseTimestamp(raw.ts)
  if (tsMs === undefined) {
    return { kind: 'invalid', code: 'invalid_field', reason: `ts ${JSON.stringify(raw.ts)} is not ISO-8601 or epoch milliseconds` }
  }
  return checkEvent(eventOf(raw, tsMs), ctx)
}

/** The checks after the schema: time within bounds, tenant registered. */
function checkEvent(event: AdEvent, ctx: DecodeContext): DecodeResult {
  const tsMs = event.tsMs
  if (tsMs > ctx.nowMs + ctx.maxFutureMs) {
    return { kind: 'invalid', code: 'ts_in_future', reason: `ts ${describeTs(tsMs)} is more than ${ctx.maxFutureMs / 1000}s in the future` }
  }
  if (tsMs < ctx.nowMs - ctx.maxLatenessMs) {
    return { kind: 'invalid', code: 'ts_too_old', reason: `ts ${describeTs(tsMs)} is older than the allowed lateness of ${ctx.maxLatenessMs / 1000}s` }
  }
  if (!ctx.isKnownTenant(event.tenant)) {
    return { kind: 'invalid', code: 'unknown_tenant', reason: `tenant "${event.tenant}" is not registered` }
  }
  return { kind: 'event', event }
}

/**
 * A timestamp for a dead letter's reason: ISO-8601, or the raw milliseconds beyond the range a
 * Date holds (±8.64e15 ms), where toISOString would throw — and with it the whole batch, again
 * on every retry, stalling the shard.
 */
function describeTs(tsMs: number): string {
  return Math.abs(tsMs) <= MAX_DATE_MS ? new Date(tsMs).toISOString() : `${tsMs} ms since the epoch`
}
const MAX_DATE_MS = 8.64e15

function eventOf(raw: RawEvent, tsMs: number): AdEvent {
  return {
    id: raw.id,
    tsMs,
    tenant: raw.tenant,
    platform: raw.platform,
    account: raw.account,
    campaign: raw.campaign,
    adset: raw.adset ?? '',
    ad: raw.ad ?? '',
    type: raw.type,
    impressions: raw.impressions ?? 0,
    clicks: raw.clicks ?? 0,
    spendMicros: raw.spend_micros ?? 0,
    conversions: raw.conversions ?? 0,
    revenueMicros: raw.revenue_micros ?? 0,
    currency: raw.currency ?? '',
  }
}

/**
 * True only for values ajv would accept with a timestamp parseTimestamp reads: a sufficient,
 * cheaper check, never a different one. Lengths are in UTF-16 units, which bound the schema's
 * code points from above (and a non-empty string has at least one); the ISO pattern admits
 * ASCII only, where units and code points agree.
 */
function isSurelyValid(o: unknown): o is RawEvent {
  if (typeof o !== 'object' || o === null) return false
  const e = o as Record<string, unknown>
  const ts = e.ts
  if (typeof ts === 'string') {
    if (ts.length < 10 || ts.length > 40 || !ISO_8601_PATTERN.test(ts)) return false
  } else if (!(typeof ts === 'number' && Number.isSafeInteger(ts) && ts >= 0)) {
    return false
  }
  const tenant = e.tenant
  const type = e.type
  const currency = e.currency
  return (
    isId(e.id) && isId(e.platform) && isId(e.account) && isId(e.campaign) &&
    typeof tenant === 'string' && TENANT_PATTERN.test(tenant) &&
    (type === 'impression' || type === 'click' || type === 'spend' || type === 'conversion') &&
    (e.adset === undefined || isId(e.adset)) && (e.ad === undefined || isId(e.ad)) &&
    isCount(e.impressions) && isCount(e.clicks) && isCount(e.spend_micros) && isCount(e.conversions) && isCount(e.revenue_micros) &&
    (currency === undefined || (typeof currency === 'string' && CURRENCY_PATTERN.test(currency)))
  )
}

function isId(v: unknown): boolean {
  return typeof v === 'string' && v.length >= 1 && v.length <= ID_MAX_LENGTH
}

function isCount(v: unknown): boolean {
  return v === undefined || (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_METRIC_PER_EVENT)
}


// Buffer's own UTF-8 decoder, applied to any Uint8Array without wrapping it in a Buffer first.
const utf8Slice = (Buffer.prototype as unknown as { utf8Slice: (this: Uint8Array, start: number, end: number) => string }).utf8Slice

/** Epoch milliseconds from an ISO-8601 string or an epoch-milliseconds integer. */
export function parseTimestamp(ts: string | number): number | undefined {
  if (typeof ts === 'number') return Number.isSafeInteger(ts) ? ts : undefined
  if (!ISO_8601_PATTERN.test(ts)) return undefined
  const ms = Date.parse(ts)
  return Number.isFinite(ms) ? ms : undefined
}
