import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ident } from '../../core/sql.ts'
import { entityExistsSql, fillBuckets, seriesSql } from './clickhouse-series.ts'

const q = { tenant: "o'brien", level: 'adset' as const, entity: 'as\\1', fromMs: 1_773_136_800_000, toMs: 1_773_137_700_000, stepSec: 300 }

test('series SQL buckets with intDiv, filters by tenant and the level\'s column, values escaped', () => {
  const text = seriesSql(ident('adwatch'), q).text
  assert.match(text, /intDiv\(toUInt32\(minute\), 300\) \* 300 AS bucket/)
  assert.match(text, /FROM `adwatch`\.rollup_minute/)
  assert.match(text, /tenant = 'o\\'brien' AND `adset` = 'as\\\\1'/)
  assert.match(text, /minute >= toDateTime\(1773136800\) AND minute < toDateTime\(1773137700\)/)
  assert.doesNotMatch(text, /WITH FILL|toStartOfInterval|\{/, 'runs on ClickHouse 18.16')
  assert.match(entityExistsSql(ident('adwatch'), 'acme', 'ad', 'x').text, /`ad` = 'x' LIMIT 1$/)
})

test('buckets are filled with zeros and rows outside the range are ignored', () => {
  const from = q.fromMs / 1000
  const s = fillBuckets(q, [{ bucket: from + 600, impressions: 5, clicks: 1, spend_micros: 10, conversions: 0, revenue_micros: 3 }, { bucket: from + 99_900, impressions: 1, clicks: 1, spend_micros: 1, conversions: 1, revenue_micros: 1 }])
  assert.deepEqual(s.timesSec, [from, from + 300, from + 600])
  assert.deepEqual(s.impressions, [0, 0, 5])
  assert.deepEqual(s.revenueMicros, [0, 0, 3])
})
