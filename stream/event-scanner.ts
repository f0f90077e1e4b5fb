import { CURRENCY_PATTERN, ID_MAX_LENGTH, ISO_8601_PATTERN, MAX_METRIC_PER_EVENT, TENANT_PATTERN, type AdEvent, type EventType } from './event.ts'

/**
 * The fast path of decodeEvent: reads the usual shape of an event record straight from its
 * bytes, without JSON.parse's intermediate object, and takes the repeated strings (tenant,
 * platform, account, campaign, adset, ad, type, currency) from a table of strings already
 * seen instead of making new ones for every event. Fewer and shared objects per event are
 * less work for the young-generation collector too: every event lives through its batch's two
 * writes.
 *
 * It returns undefined whenever it is not sure, and decodeEvent then takes the reference path
 * (JSON.parse and the schema): any JSON it does not read (whitespace, escapes, bytes outside
 * printable ASCII, signs, fractions, exponents, leading zeros, more than 15 digits, literals,
 * arrays, nested objects, unknown or repeated keys, anything after the object) and any value
 * the schema might refuse or the reference would read otherwise. So its events are exactly the
 * reference's (decode-fast-path.test.ts holds decodeEvent to the reference on generated records).
 * The time and tenant checks come after it, as after the reference path.
 */
export function scanEvent(data: Uint8Array): AdEvent | undefined {
  const n = data.length
  if (n < 2 || data[0] !== LBRACE) return undefined
  kind.fill(ABSENT)
  let i = 1
  let prev: number = RECORD_START
  for (;;) {
    // A key: known, ASCII without escapes, not seen before in this record. A producer writes its
    // keys in one order, so the key that followed the previous one last time is tried first.
    let f = next[prev]!
    if (!startsWith(data, i, KEY_TOKENS[f]!)) {
      if (data[i] !== QUOTE) return undefined
      let e = i + 1
      while (e < n && data[e] !== QUOTE) e++
      f = fieldOf(data, i + 1, e)
      if (f < 0 || data[e + 1] !== COLON) return undefined
      next[prev] = f
    }
    if (kind[f] !== ABSENT) return undefined
    i += KEY_TOKENS[f]!.length
    prev = f
    const c = data[i]
    if (c === QUOTE) {
      // A string of printable ASCII without escapes, hashed as it is read.
      const s = ++i
      let h = FNV_OFFSET
      let b = data[i]!
      while (b !== QUOTE) {
        if (b < 0x20 || b > 0x7e || b === BACKSLASH || i >= n) return undefined
        h = Math.imul(h ^ b, FNV_PRIME)
        b = data[++i]!
      }
      kind[f] = STRING
      start[f] = s
      end[f] = i
      hash[f] = h
      i++
    } else if (c !== undefined && c >= DIGIT_0 && c <= DIGIT_9) {
      // A non-negative integer of at most 15 digits (below 2^53), without a leading zero.
      const s = i
      let v = 0
      let b = c
      while (b >= DIGIT_0 && b <= DIGIT_9) {
        v = v * 10 + (b - DIGIT_0)
        b = data[++i] ?? 0
      }
      if (i - s > 15 || (c === DIGIT_0 && i - s > 1)) return undefined
      kind[f] = NUMBER
      num[f] = v
    } else {
      return undefined
    }
    const sep = data[i]
    if (sep === COMMA) {
      i++
      continue
    }
    if (sep === RBRACE && i === n - 1) break
    return undefined
  }
  return eventOfFields(data)
}

/** The event from the fields read, or undefined unless every field surely passes the schema. */
function eventOfFields(data: Uint8Array): AdEvent | undefined {
  if (kind[F_ID] !== STRING || kind[F_TENANT] !== STRING || kind[F_PLATFORM] !== STRING) return undefined
  if (kind[F_ACCOUNT] !== STRING || kind[F_CAMPAIGN] !== STRING || kind[F_TYPE] !== STRING) return undefined
  const id = idOf(data, F_ID, false)
  const platform = idOf(data, F_PLATFORM, true)
  const account = idOf(data, F_ACCOUNT, true)
  const campaign = idOf(data, F_CAMPAIGN, true)
  const adset = kind[F_ADSET] === ABSENT ? '' : idOf(data, F_ADSET, true)
  const ad = kind[F_AD] === ABSENT ? '' : idOf(data, F_AD, true)
  if (id === undefined || platform === undefined || account === undefined || campaign === undefined || adset === undefined || ad === undefined) return undefined
  // Lengths first: a string is only made (and kept in the table of strings seen) once it can pass.
  if (lengthOf(F_TENANT) > 64 || lengthOf(F_TYPE) > 10) return undefined
  const tenant = interned(data, F_TENANT)
  if (!passes(TENANT_PATTERN, passedTenants, tenant)) return undefined
  const type = typeOf(interned(data, F_TYPE))
  if (type === undefined) return undefined
  let currency = ''
  if (kind[F_CURRENCY] === STRING) {
    if (lengthOf(F_CURRENCY) !== 3) return undefined
    currency = interned(data, F_CURRENCY)
    if (!passes(CURRENCY_PATTERN, passedCurrencies, currency)) return undefined
  } else if (kind[F_CURRENCY] !== ABSENT) {
    return undefined
  }
  let tsMs: number
  if (kind[F_TS] === NUMBER) {
    tsMs = num[F_TS]!
  } else if (kind[F_TS] === STRING) {
    if (lengthOf(F_TS) < 10 || lengthOf(F_TS) > 40) return undefined
    const ts = latin1Slice.call(data, start[F_TS]!, end[F_TS]!)
    if (!ISO_8601_PATTERN.test(ts)) return undefined
    tsMs = Date.parse(ts)
    if (tsMs !== tsMs) return undefined // NaN: the reference path names the problem
  } else {
    return undefined
  }
  const impressions = metricOf(F_IMPRESSIONS)
  const clicks = metricOf(F_CLICKS)
  const spendMicros = metricOf(F_SPEND)
  const conversions = metricOf(F_CONVERSIONS)
  const revenueMicros = metricOf(F_REVENUE)
  if (impressions < 0 || clicks < 0 || spendMicros < 0 || conversions < 0 || revenueMicros < 0) return undefined
  // The same properties in the same order as the reference path's events, so both share one shape.
  return { id, tsMs, tenant, platform, account, campaign, adset, ad, type, impressions, clicks, spendMicros, conversions, revenueMicros, currency }
}

/** `pattern.test(s)`, with the strings that passed remembered in `passed` (tenants and currencies repeat). */
function passes(pattern: RegExp, passed: Set<string>, s: string): boolean {
  if (passed.has(s)) return true
  if (!pattern.test(s)) return false
  if (passed.size >= PASSED_MAX) passed.clear()
  passed.add(s)
  return true
}
const passedTenants = new Set<string>()
const passedCurrencies = new Set<string>()
const PASSED_MAX = 10_000

/** A metric field: 0 when absent, -1 when it is not a number or past the bound (left to the reference path). */
function metricOf(f: number): number {
  const k = kind[f]
  return k === NUMBER ? (num[f]! <= MAX_METRIC_PER_EVENT ? num[f]! : -1) : k === ABSENT ? 0 : -1
}

/** The byte length of a string field read (ASCII, so bytes and characters agree). */
function lengthOf(f: number): number {
  return end[f]! - start[f]!
}

/** An id field of 1–256 characters, or undefined. */
function idOf(data: Uint8Array, f: number, shared: boolean): string | undefined {
  if (kind[f] !== STRING) return undefined
  const len = lengthOf(f)
  if (len < 1 || len > ID_MAX_LENGTH) return undefined
  return shared ? interned(data, f) : latin1Slice.call(data, start[f]!, end[f]!)
}

function typeOf(s: string): EventType | undefined {
  switch (s) {
    case 'impression': return 'impression'
    case 'click': return 'click'
    case 'spend': return 'spend'
    case 'conversion': return 'conversion'
    default: return undefined
  }
}

/**
 * Strings already seen, by hash; a hit is checked byte by byte, so a collision only costs a
 * new string. Bounded: emptied when full (a worker with more distinct entities than this just
 * makes more strings), and holding only strings the contract allows (at most 256 characters:
 * callers check lengths before asking), so at most ~70 MB.
 */
const seen = new Map<number, string>()
const SEEN_MAX = 1 << 18

function interned(data: Uint8Array, f: number): string {
  const s = start[f]!
  const e = end[f]!
  const key = hash[f]! & 0x3fffffff // a small integer key
  const hit = seen.get(key)
  if (hit !== undefined && hit.length === e - s) {
    let j = 0
    while (j < e - s && hit.charCodeAt(j) === data[s + j]) j++
    if (j === e - s) return hit
  }
  const str = latin1Slice.call(data, s, e)
  if (hit === undefined) {
    if (seen.size >= SEEN_MAX) seen.clear()
    seen.set(key, str)
  }
  return str
}

/** True when `token`'s bytes are at `at` in `data`. */
function startsWith(data: Uint8Array, at: number, token: Uint8Array): boolean {
  const n = token.length
  if (at + n > data.length) return false
  for (let j = 0; j < n; j++) if (data[at + j] !== token[j]) return false
  return true
}

/** The field a key names (its index in FIELDS), or -1. */
function fieldOf(data: Uint8Array, s: number, e: number): number {
  const candidates = FIELDS_BY_LENGTH[e - s]
  if (candidates === undefined) return -1
  for (const f of candidates) {
    const key = FIELD_BYTES[f]!
    let j = 0
    while (j < key.length && data[s + j] === key[j]) j++
    if (j === key.length) return f
  }
  return -1
}

const FIELDS = [
  'id', 'ts', 'tenant', 'platform', 'account', 'campaign', 'adset', 'ad', 'type',
  'impressions', 'clicks', 'spend_micros', 'conversions', 'revenue_micros', 'currency',
] as const
const [F_ID, F_TS, F_TENANT, F_PLATFORM, F_ACCOUNT, F_CAMPAIGN, F_ADSET, F_AD, F_TYPE, F_IMPRESSIONS, F_CLICKS, F_SPEND, F_CONVERSIONS, F_REVENUE, F_CURRENCY] =
  FIELDS.map((_, f) => f) as [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number]
const FIELD_BYTES = FIELDS.map((k) => Buffer.from(k, 'latin1'))
/** Each key as it comes before its value: `"key":`. */
const KEY_TOKENS = FIELDS.map((k) => Buffer.from(`"${k}":`, 'latin1'))
/** By field, and at RECORD_START for a record's first key: the field whose key came next last time. */
const RECORD_START = FIELDS.length
const next = new Uint8Array(FIELDS.length + 1)
const FIELDS_BY_LENGTH: Array<number[] | undefined> = []
FIELDS.forEach((k, f) => (FIELDS_BY_LENGTH[k.length] ??= []).push(f))

// What was read of each field in the current record (one record at a time: scanEvent is synchronous).
const ABSENT = 0
const STRING = 1
const NUMBER = 2
const kind = new Uint8Array(FIELDS.length)
const start = new Int32Array(FIELDS.length)
const end = new Int32Array(FIELDS.length)
const hash = new Int32Array(FIELDS.length)
const num = new Float64Array(FIELDS.length)

const LBRACE = 0x7b
const RBRACE = 0x7d
const QUOTE = 0x22
const COLON = 0x3a
const COMMA = 0x2c
const BACKSLASH = 0x5c
const DIGIT_0 = 0x30
const DIGIT_9 = 0x39
const FNV_OFFSET = 0x811c9dc5 | 0
const FNV_PRIME = 0x01000193


// Buffer's Latin-1 decoder, applied to any Uint8Array: the scanned strings are ASCII, where it equals UTF-8's.
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: (this: Uint8Array, start: number, end: number) => string }).latin1Slice
