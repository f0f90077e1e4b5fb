import { Ajv } from 'ajv'
import { EVENT_TYPES, type AdEvent, type EventType } from './event.ts'

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

const ID = { type: 'string', minLength: 1, maxLength: 256 } as const
const COUNT = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const

/** JSON Schema of the event contract (docs/event-contract.md). Extra fields are allowed. */
export const EVENT_SCHEMA = {
  type: 'object',
  required: ['id', 'ts', 'tenant', 'platform', 'account', 'campaign', 'type'],
  properties: {
    id: ID,
    ts: { anyOf: [{ type: 'string', minLength: 10, maxLength: 40 }, { type: 'integer', minimum: 0 }] },
    tenant: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' },
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
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
  },
} as const

const ajv = new Ajv({ allErrors: false, strict: true })
const validateShape = ajv.compile(EVENT_SCHEMA)
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/

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

/** Decodes and validates one record's bytes against the event contract. Pure. */
export function decodeEvent(data: Uint8Array, ctx: DecodeContext): DecodeResult {
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'))
  } catch (err) {
    return { kind: 'invalid', code: 'bad_json', reason: `not JSON: ${(err as Error).message}` }
  }
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
  if (tsMs > ctx.nowMs + ctx.maxFutureMs) {
    return { kind: 'invalid', code: 'ts_in_future', reason: `ts ${new Date(tsMs).toISOString()} is more than ${ctx.maxFutureMs / 1000}s in the future` }
  }
  if (tsMs < ctx.nowMs - ctx.maxLatenessMs) {
    return { kind: 'invalid', code: 'ts_too_old', reason: `ts ${new Date(tsMs).toISOString()} is older than the allowed lateness of ${ctx.maxLatenessMs / 1000}s` }
  }
  if (!ctx.isKnownTenant(raw.tenant)) {
    return { kind: 'invalid', code: 'unknown_tenant', reason: `tenant "${raw.tenant}" is not registered` }
  }
  return {
    kind: 'event',
    event: {
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
    },
  }
}

/** Epoch milliseconds from an ISO-8601 string or an epoch-milliseconds integer. */
export function parseTimestamp(ts: string | number): number | undefined {
  if (typeof ts === 'number') return Number.isSafeInteger(ts) ? ts : undefined
  if (!ISO_8601.test(ts)) return undefined
  const ms = Date.parse(ts)
  return Number.isFinite(ms) ? ms : undefined
}
