import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { decodeEvent, decodeEventText, type DecodeContext } from './decode.ts'
import { scanEvent } from './event-scanner.ts'

const NOW = Date.parse('2026-11-21T10:00:00Z')
const ctx: DecodeContext = { nowMs: NOW, maxLatenessMs: 86_400_000, maxFutureMs: 300_000, isKnownTenant: (t) => t === 'acme' || t === 'b-2' }

/** Mostly `usual`, sometimes `odd`: records near the contract, so both paths are exercised. */
const mostly = <T,>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<T>) => fc.oneof({ weight: 20, arbitrary: usual }, { weight: 1, arbitrary: odd })
const ws = fc.constantFrom('', '', '', '', ' ', '\n', '\t ', '\r\n ')
const jsonString = (s: fc.Arbitrary<string>) =>
  fc.tuple(s, fc.noBias(fc.integer({ min: 0, max: 39 }))).map(([v, escape]) => {
    const body = JSON.stringify(v)
    // Escaping a letter still denotes the same string: the scanner must hand those to JSON.parse.
    return escape === 0 && body.length > 2 ? `"\\u${body.charCodeAt(1).toString(16).padStart(4, '0')}${body.slice(2)}` : body
  })
const numberText = mostly(
  fc.integer({ min: 0, max: 1_000_000 }).map(String),
  fc.constantFrom('0', '00', '01', '-0', '-5', '1.0', '2.5', '1e3', '1E3', '9007199254740993', '123456789012345', '1234567890123456', '0.0', 'null', 'true'),
)
const idText = mostly(
  fc.stringMatching(/^[a-z0-9_-]{1,12}$/),
  fc.oneof(
    fc.string({ minLength: 0, maxLength: 12 }),
    fc.constantFrom('', 'x'.repeat(256), 'x'.repeat(257), '😀'.repeat(128), '😀'.repeat(129), 'é', 'a"b', 'a\\b', 'tab\there', 'nl\nx'),
  ),
)
const tsText = mostly(
  fc.oneof(
    fc.integer({ min: NOW - 80_000_000, max: NOW + 200_000 }).map((ms) => new Date(ms).toISOString()),
    fc.constantFrom('2026-11-21T09:00:00Z', '2026-11-21T11:00:00+02:00', '2026-11-21T09:59Z', '2026-11-21T09:59:00.123456789Z'),
  ),
  fc.constantFrom('2026-11-19T09:00:00Z', '2026-11-21T10:30:00Z', '2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', 'yesterday', '2026-11-21', '２０２６-11-21T09:00:00Z'),
)
const tsMsText = fc.integer({ min: NOW - 100_000_000, max: NOW + 1_000_000 }).map(String)
const field = (key: string, value: fc.Arbitrary<string>) => value.map((v) => [key, v] as [string, string])
const optional = <T,>(a: fc.Arbitrary<T>) => fc.option(a, { freq: 4 })
const eventFields = fc.tuple(
  field('id', mostly(jsonString(idText), numberText)),
  field('ts', mostly(fc.oneof(jsonString(tsText), tsMsText), numberText)),
  field('tenant', jsonString(mostly(fc.constantFrom('acme', 'b-2'), fc.constantFrom('globex', 'Acme', '-x', 'a'.repeat(64), 'a'.repeat(65))))),
  field('platform', jsonString(idText)),
  field('account', jsonString(idText)),
  field('campaign', jsonString(idText)),
  optional(field('adset', jsonString(idText))),
  optional(field('ad', jsonString(idText))),
  field('type', jsonString(mostly(fc.constantFrom('click', 'impression', 'spend', 'conversion'), fc.constantFrom('view', 'Click')))),
  optional(field('impressions', numberText)),
  optional(field('clicks', mostly(numberText, jsonString(fc.constantFrom('3'))))),
  optional(field('spend_micros', numberText)),
  optional(field('conversions', numberText)),
  optional(field('revenue_micros', numberText)),
  optional(field('currency', jsonString(mostly(fc.constantFrom('USD', 'EUR'), fc.constantFrom('usd', 'US'))))),
  fc.array(field('extra', mostly(fc.constantFrom('true', 'false', 'null', '"x"', '7'), fc.constantFrom('[1,2]', '{"a":1}', '-1', '1.5'))), { maxLength: 1 }),
  mostly(fc.constant(null), fc.constantFrom('id', 'ts', 'clicks', 'tenant')),
)
const record: fc.Arbitrary<string> = fc
  .tuple(eventFields, fc.oneof(fc.constant(Array<string>(40).fill('')), fc.array(ws, { minLength: 40, maxLength: 40 })), fc.noBias(fc.integer({ min: 0, max: 1000 })), fc.noBias(fc.integer({ min: 0, max: 19 })), fc.noBias(fc.integer({ min: 0, max: 19 })))
  .map(([[...parts], spaces, seed, truncate, drop]) => {
    const dup = parts.pop() as string | null
    const extras = parts.pop() as Array<[string, string]>
    const pairs = (parts as Array<[string, string] | null>).filter((p): p is [string, string] => p !== null)
    pairs.push(...extras)
    // A repeated key with another value: JSON.parse keeps the last one.
    if (dup !== null) pairs.push([dup, { id: '"other-id"', ts: String(NOW - 5_000), clicks: '7', tenant: '"b-2"' }[dup]!])
    if (drop === 0 && pairs.length > 0) pairs.splice(seed % pairs.length, 1)
    // Rotate the key order.
    const rotated = [...pairs.slice(seed % (pairs.length || 1)), ...pairs.slice(0, seed % (pairs.length || 1))]
    let s = spaces[0]! + '{'
    rotated.forEach(([k, v], i) => {
      s += `${spaces[(i * 3 + 1) % 40]}"${k}"${spaces[(i * 3 + 2) % 40]}:${spaces[(i * 3 + 3) % 40]}${v}`
      if (i < rotated.length - 1) s += ','
    })
    s += spaces[39] + '}' + spaces[38]
    return truncate === 0 ? s.slice(0, seed % (s.length + 1)) : s
  })


test('decodeEvent (ajv skipped for surely valid records) agrees with the ajv-only reference on every record (property)', () => {
  const sample = fc.sample(record, 2_000)
  const valid = sample.filter((t) => decodeEventText(t, ctx).kind === 'event').length / sample.length
  const scanned = sample.filter((t) => scanEvent(Buffer.from(t)) !== undefined).length / sample.length
  // Both verdicts, and records the scanner reads and leaves to JSON.parse, must be well
  // represented, or the property says little.
  assert.ok(valid > 0.2 && valid < 0.8, `valid share ${valid}`)
  assert.ok(scanned > 0.05 && scanned < 0.6, `scanned share ${scanned}`)
  fc.assert(
    fc.property(record, (text) => {
      // The reference reads the same bytes: a lone surrogate has no UTF-8 form and comes back as U+FFFD.
      const bytes = Buffer.from(text)
      assert.deepEqual(decodeEvent(bytes, ctx), decodeEventText(bytes.toString('utf8'), ctx))
    }),
    { numRuns: 20_000 },
  )
})

test('scanEvent reads the usual record exactly as JSON.parse does, and leaves every unusual one to it', () => {
  const usual = '{"id":"b1-mwrttt50-0","ts":1795351328268,"tenant":"globex","platform":"meta","account":"act_10072","campaign":"cmp_81","adset":"as_220","ad":"ad_454","type":"click","impressions":0,"clicks":1,"spend_micros":714254,"conversions":0,"revenue_micros":0,"currency":"USD"}'
  const expected = decodeEventText(usual, { ...ctx, nowMs: 1795351328268, isKnownTenant: () => true })
  assert.equal(expected.kind, 'event')
  assert.deepEqual(scanEvent(Buffer.from(usual)), expected.kind === 'event' ? expected.event : undefined)
  // Twice: the second read takes its strings from the table of strings seen.
  assert.deepEqual(scanEvent(Buffer.from(usual)), expected.kind === 'event' ? expected.event : undefined)
  const unusual = [
    usual.replace('"ts":1795351328268', '"ts":1795351328268.0'),
    usual.replace('"clicks":1', '"clicks":1e0'),
    usual.replace('"clicks":1', '"clicks":01'),
    usual.replace('"clicks":1', '"clicks":-1'),
    usual.replace('"clicks":1', '"clicks":1234567890123456'),
    usual.replace('"id":"b1', '"id":"\\u0062'),
    usual.replace('"account":"act_10072"', '"account":"act_é"'),
    usual.replace('"account":"act_10072"', '"account":""'),
    usual.replace('"ad":"ad_454"', '"ad":null'),
    usual.replace('"account":"act_10072"', '"account":"act_\t10072"'),
    usual.replace('"account":"act_10072"', '"account":"act_\u007f"'),
    usual.replace('"currency":"USD"', '"currency":7'),
    usual.replace('"tenant":"globex"', `"tenant":"${'g'.repeat(100_000)}"`),
    usual.replace('"currency":"USD"', '"currency":"USD","note":"x"'),
    usual.replace('"currency":"USD"', '"currency":"USD","clicks":2'),
    usual.replace('{"id"', '{ "id"'),
    usual + ' ',
    usual.slice(0, -1),
    usual.slice(0, 100),
  ]
  for (const text of unusual) assert.equal(scanEvent(Buffer.from(text)), undefined, text)
})
