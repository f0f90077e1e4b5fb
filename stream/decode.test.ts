import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeEvent, parseTimestamp, type DecodeContext } from './decode.ts'

const NOW = Date.parse('2026-11-21T10:00:00Z')
const ctx: DecodeContext = {
  nowMs: NOW,
  maxLatenessMs: 86_400_000,
  maxFutureMs: 300_000,
  isKnownTenant: (t) => t === 'acme',
}
const good = {
  id: 'e-1', ts: '2026-11-21T09:59:00.123Z', tenant: 'acme', platform: 'meta', account: 'act_1',
  campaign: 'cmp_42', adset: 'as_7', ad: 'ad_3', type: 'click', clicks: 1, spend_micros: 412000, currency: 'USD',
}
const enc = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v))

test('a valid event decodes with defaults for missing metrics', () => {
  const r = decodeEvent(enc(good), ctx)
  assert.equal(r.kind, 'event')
  if (r.kind !== 'event') return
  assert.equal(r.event.tsMs, Date.parse(good.ts))
  assert.equal(r.event.clicks, 1)
  assert.equal(r.event.impressions, 0) // absent metric fields default to 0
  assert.equal(r.event.spendMicros, 412000)
})

test('optional adset and ad default to empty, epoch-ms timestamps are accepted', () => {
  const { adset: _a, ad: _b, ...rest } = good
  const r = decodeEvent(enc({ ...rest, ts: NOW - 1000 }), ctx)
  assert.equal(r.kind, 'event')
  if (r.kind === 'event') {
    assert.equal(r.event.adset, '')
    assert.equal(r.event.tsMs, NOW - 1000)
  }
})

test('invalid records get a code and a reason that names the field', () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['bad JSON', '{"id": ', 'bad_json', /not JSON/],
    ['missing field', { ...good, campaign: undefined }, 'invalid_field', /campaign/],
    ['wrong type', { ...good, clicks: '3' }, 'invalid_field', /clicks must be integer/],
    ['negative amount', { ...good, spend_micros: -5 }, 'invalid_field', /spend_micros must be >= 0/],
    ['amount past the per-event bound', { ...good, spend_micros: 1_000_000_000_001 }, 'invalid_field', /spend_micros must be <= 1000000000000/],
    ['fractional count', { ...good, impressions: 1.5 }, 'invalid_field', /impressions must be integer/],
    ['unknown type', { ...good, type: 'view' }, 'invalid_field', /type must be equal to one of/],
    ['unknown tenant', { ...good, tenant: 'globex' }, 'unknown_tenant', /globex/],
    ['future ts', { ...good, ts: '2026-11-21T10:06:00Z' }, 'ts_in_future', /future/],
    ['too old ts', { ...good, ts: '2026-11-19T10:00:00Z' }, 'ts_too_old', /lateness/],
    ['unparseable ts', { ...good, ts: 'yesterday at noon' }, 'invalid_field', /ISO-8601/],
    ['not an object', '[1,2]', 'invalid_field', /event must be object/],
    // Past what a Date holds: dead-lettered with the raw value (toISOString would throw and stall the shard).
    ['ts beyond Date\'s range', { ...good, ts: 9_000_000_000_000_000 }, 'ts_in_future', /9000000000000000 ms since the epoch is more than 300s in the future/],
    ['ts at the safe-integer limit', { ...good, ts: Number.MAX_SAFE_INTEGER }, 'ts_in_future', /ms since the epoch/],
  ]
  for (const [name, input, code, reason] of cases) {
    const r = decodeEvent(enc(input), ctx)
    assert.equal(r.kind, 'invalid', name)
    if (r.kind === 'invalid') {
      assert.equal(r.code, code, name)
      assert.match(r.reason, reason, name)
    }
  }
})

test('parseTimestamp accepts ISO-8601 with offsets and rejects other date forms', () => {
  assert.equal(parseTimestamp('2026-11-21T12:00:00+02:00'), Date.parse('2026-11-21T10:00:00Z'))
  assert.equal(parseTimestamp('Sat, 21 Nov 2026 10:00:00 GMT'), undefined) // Date.parse would accept it
  assert.equal(parseTimestamp(1.5), undefined)
})
