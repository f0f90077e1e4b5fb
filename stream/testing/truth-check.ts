import assert from 'node:assert/strict'
import type { ClickHouseClient } from '@clickhouse/client'
import type { Redis } from 'ioredis'
import type { AdwatchConfig } from '../../core/config.ts'
import { ident, sql } from '../../core/sql.ts'
import { METRIC_FIELDS, RedisKeys } from '../redis-keys.ts'
import { truthCampaignKey, truthMinuteKey, type TestRecord, type TestTruth, type Totals } from '../producer/test-events.ts'

/** The dead-letter code the consumer must give each invalid category of the test records. */
export const EXPECTED_CODE: Record<string, string> = {
  bad_json: 'bad_json',
  missing_field: 'invalid_field',
  wrong_type: 'invalid_field',
  negative_amount: 'invalid_field',
  unknown_type: 'invalid_field',
  unknown_tenant: 'unknown_tenant',
  future_ts: 'ts_in_future',
  too_late: 'ts_too_old',
}

const toArray = (t: Totals) => [t.impressions, t.clicks, t.spendMicros, t.conversions, t.revenueMicros]

/** Records of the stream the Redis sink has accounted for (events + duplicates + dead letters). */
export async function redisAccountedRecords(redis: Redis, cfg: AdwatchConfig): Promise<number> {
  const s = await redis.hgetall(new RedisKeys(cfg.redis.keyPrefix).ingestStats(cfg.kinesis.streamName))
  return Number(s.events ?? 0) + Number(s.duplicates ?? 0) + Number(s.dead_letters ?? 0)
}

/** ClickHouse counts: events rows, distinct ids, distinct dead-letter positions. */
export async function clickHouseCounts(ch: ClickHouseClient, cfg: AdwatchConfig): Promise<{ events: number; ids: number; deadLetters: number }> {
  const db = ident(cfg.clickhouse.database)
  const rs = await ch.query({
    query: sql`SELECT (SELECT count() FROM ${db}.events) AS events, (SELECT uniqExact(id) FROM ${db}.events) AS ids, (SELECT uniqExact(shard, pos) FROM ${db}.dead_letters) AS deadLetters`.text,
    format: 'JSONEachRow',
  })
  const [row] = await rs.json<{ events: number; ids: number; deadLetters: number }>()
  return { events: Number(row?.events), ids: Number(row?.ids), deadLetters: Number(row?.deadLetters) }
}

/**
 * Asserts the Redis campaign minute buckets equal the truth exactly, cell by cell, and that
 * no campaign bucket exists beyond the truth (nothing counted twice, nothing invented).
 */
export async function assertRedisMatchesTruth(redis: Redis, cfg: AdwatchConfig, truth: TestTruth): Promise<void> {
  const keys = new RedisKeys(cfg.redis.keyPrefix)
  const cells = [...truth.perMinute.entries()].map(([k, totals]) => {
    const [tenant, campaign, minute] = k.split('/') as [string, string, string]
    const minuteMs = Number(minute)
    const hourMs = minuteMs - (minuteMs % 3_600_000)
    const m = Math.floor((minuteMs % 3_600_000) / 60_000)
    return { k, key: keys.minuteBuckets(tenant, 'campaign', campaign, hourMs), fields: METRIC_FIELDS.map((f) => `${m}:${f}`), totals }
  })
  const p = redis.pipeline()
  for (const c of cells) p.hmget(c.key, ...c.fields)
  const res = (await p.exec()) ?? []
  let mismatches = 0
  const examples: string[] = []
  cells.forEach((c, i) => {
    const got = ((res[i]?.[1] as (string | null)[]) ?? []).map((v) => Number(v ?? 0))
    const want = toArray(c.totals)
    if (got.join() !== want.join()) {
      mismatches++
      if (examples.length < 5) examples.push(`${c.k}: redis ${got.join(',')} truth ${want.join(',')}`)
    }
  })
  assert.equal(mismatches, 0, `Redis minute buckets differ from the truth in ${mismatches} cells, e.g.\n${examples.join('\n')}`)
  // Per campaign: sum of every day-total key of the campaign (the account zones here are UTC).
  const dayKeys = new Map<string, string[]>()
  for (const tenantCampaign of truth.perCampaign.keys()) {
    const [tenant, campaign] = tenantCampaign.split('/') as [string, string]
    const found: string[] = []
    let cursor = '0'
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', keys.dayTotals(tenant, 'campaign', campaign, '*'), 'COUNT', 1000)
      cursor = next
      found.push(...batch)
    } while (cursor !== '0')
    dayKeys.set(tenantCampaign, found)
  }
  for (const [tc, totals] of truth.perCampaign) {
    const sums = [0, 0, 0, 0, 0]
    for (const key of dayKeys.get(tc) ?? []) {
      const vals = await redis.hmget(key, ...METRIC_FIELDS)
      vals.forEach((v, i) => (sums[i]! += Number(v ?? 0)))
    }
    assert.deepEqual(sums, toArray(totals), `Redis day totals of ${tc}`)
  }
  // No campaign minute key beyond the truth.
  const expectedKeys = new Set(cells.map((c) => c.key))
  for (const tenant of new Set([...truth.perCampaign.keys()].map((k) => k.split('/')[0]!))) {
    let cursor = '0'
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${cfg.redis.keyPrefix}:{${tenant}}:mb:campaign:*`, 'COUNT', 1000)
      cursor = next
      for (const k of batch) assert.ok(expectedKeys.has(k), `unexpected Redis bucket ${k}`)
    } while (cursor !== '0')
  }
}

/** Asserts the ClickHouse rollups equal the truth per campaign and minute, and events once each. */
export async function assertClickHouseMatchesTruth(ch: ClickHouseClient, cfg: AdwatchConfig, truth: TestTruth): Promise<void> {
  const db = ident(cfg.clickhouse.database)
  const rs = await ch.query({
    query: sql`SELECT tenant, campaign, toUInt64(minute) * 1000 AS minute_ms, sum(impressions) AS i, sum(clicks) AS c, sum(spend_micros) AS s, sum(conversions) AS v, sum(revenue_micros) AS r FROM ${db}.rollup_minute GROUP BY tenant, campaign, minute_ms`.text,
    format: 'JSONEachRow',
  })
  const rows = await rs.json<{ tenant: string; campaign: string; minute_ms: number; i: number; c: number; s: number; v: number; r: number }>()
  const got = new Map(rows.map((r) => [truthMinuteKey(r.tenant, r.campaign, Number(r.minute_ms)), [r.i, r.c, r.s, r.v, r.r].map(Number)]))
  assert.equal(got.size, truth.perMinute.size, 'ClickHouse rollup cells (campaign × minute)')
  for (const [k, totals] of truth.perMinute) assert.deepEqual(got.get(k), toArray(totals), `ClickHouse rollup ${k}`)
  const perCampaign = new Map<string, number[]>()
  for (const r of rows) {
    const k = truthCampaignKey(r.tenant, r.campaign)
    const acc = perCampaign.get(k) ?? [0, 0, 0, 0, 0]
    ;[r.i, r.c, r.s, r.v, r.r].forEach((v, i) => (acc[i]! += Number(v)))
    perCampaign.set(k, acc)
  }
  for (const [k, totals] of truth.perCampaign) assert.deepEqual(perCampaign.get(k), toArray(totals), `ClickHouse campaign ${k}`)
  const counts = await clickHouseCounts(ch, cfg)
  assert.equal(counts.events, truth.validUniqueCount, 'ClickHouse events rows = valid unique events')
  assert.equal(counts.ids, counts.events, 'no event id stored twice in ClickHouse')
}

/** Asserts every invalid record is in dead_letters once, with the code its category calls for. */
export async function assertDeadLettersMatch(ch: ClickHouseClient, cfg: AdwatchConfig, records: readonly TestRecord[], truth: TestTruth): Promise<void> {
  const db = ident(cfg.clickhouse.database)
  const rs = await ch.query({ query: sql`SELECT raw_base64, code, reason FROM ${db}.dead_letters FINAL`.text, format: 'JSONEachRow' })
  const rows = await rs.json<{ raw_base64: string; code: string; reason: string }>()
  assert.equal(rows.length, truth.invalid.length, 'dead letters = invalid records')
  const byRaw = new Map<string, Array<{ code: string; reason: string }>>()
  for (const r of rows) {
    const list = byRaw.get(r.raw_base64) ?? []
    list.push(r)
    byRaw.set(r.raw_base64, list)
  }
  for (const inv of truth.invalid) {
    const raw = records[inv.index]!.data.toString('base64')
    const list = byRaw.get(raw)
    assert.ok(list && list.length > 0, `invalid record #${inv.index} (${inv.category}) missing from dead_letters`)
    const hit = list.pop()!
    assert.equal(hit.code, EXPECTED_CODE[inv.category], `dead letter code of #${inv.index} (${inv.category}): ${hit.reason}`)
    assert.ok(hit.reason.length > 0, 'a dead letter has a reason')
  }
}
