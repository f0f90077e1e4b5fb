import { test } from 'node:test'
import assert from 'node:assert/strict'
import { dateTime, formatValue, ident, join, quoteString, raw, sql } from './sql.ts'

test('quoteString escapes what ClickHouse string literals need', () => {
  const cases: Array<[string, string]> = [
    ['plain', "'plain'"],
    ["it's", "'it\\'s'"], // a quote must not end the literal
    ['back\\slash', "'back\\\\slash'"], // a backslash must not escape the closing quote
    ["\\'; DROP TABLE x; --", "'\\\\\\'; DROP TABLE x; --'"], // injection stays inside the literal
    ['line\nbreak\ttab\r', "'line\\nbreak\\ttab\\r'"],
    ['nul\0', "'nul\\0'"],
    ['\x01\x1f\x7f', "'\\x01\\x1f\\x7f'"], // other control characters as \xHH
    ['emoji 🚀 ü', "'emoji 🚀 ü'"], // UTF-8 passes unchanged
    ['', "''"],
  ]
  for (const [input, expected] of cases) assert.equal(quoteString(input), expected, JSON.stringify(input))
})

test('formatValue writes numbers, booleans, null, dates and arrays', () => {
  assert.equal(formatValue(42), '42')
  assert.equal(formatValue(-1.5), '-1.5')
  assert.equal(formatValue(-0), '0')
  assert.equal(formatValue(12345678901234567890n), '12345678901234567890')
  assert.equal(formatValue(true), '1')
  assert.equal(formatValue(null), 'NULL')
  assert.equal(formatValue(new Date(1_700_000_000_999)), 'toDateTime(1700000000)')
  assert.equal(formatValue(['a', 1, ["b'"]]), "['a', 1, ['b\\'']]")
})

test('formatValue refuses values that are not finite', () => {
  // NaN and Infinity have no meaning in counters; writing them would corrupt a query.
  for (const bad of [NaN, Infinity, -Infinity]) {
    assert.throws(() => formatValue(bad), { code: 'ADW_SQL_VALUE' })
  }
  assert.throws(() => dateTime(-1), { code: 'ADW_SQL_VALUE' })
  assert.throws(() => formatValue({} as never), { code: 'ADW_SQL_VALUE' })
})

test('ident backquotes and escapes identifiers', () => {
  assert.equal(ident('events').text, '`events`')
  assert.equal(ident('we`ird\\').text, '`we\\`ird\\\\`')
  assert.throws(() => ident(''), { code: 'ADW_SQL_VALUE' })
})

test('sql template formats every interpolation and embeds fragments', () => {
  const q = sql`SELECT ${raw('count()')} FROM ${ident('db')}.${ident('t')} WHERE tenant = ${"a'b"} AND n IN (${join([1, 2])}) AND ts >= ${dateTime(60_000)}`
  assert.equal(q.text, "SELECT count() FROM `db`.`t` WHERE tenant = 'a\\'b' AND n IN (1, 2) AND ts >= toDateTime(60)")
})
