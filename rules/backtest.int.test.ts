import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { createClickHouse } from '../core/clickhouse.ts'
import { migrate } from '../core/migrate.ts'
import { ident, sql } from '../core/sql.ts'
import { EntitySettingsStore } from '../stream/entity-settings.ts'
import { registerTenants, TenantDirectory } from '../stream/tenant-directory.ts'
import { integrationConfig, requireServers } from '../stream/testing/integration-env.ts'
import { ClickHouseRollupReader } from './backtest-reader.ts'
import { BacktestService } from './backtest-service.ts'
import type { BacktestInterval } from './backtest.ts'
import type { Rule } from './rule-model.ts'
import { RedisRuleStore } from './rule-store.ts'

const MIN = 60_000
const END = Date.parse('2026-11-13T00:00:00Z') // "now": the backtest covers Nov 10–12 (3 days)
const HISTORY_FROM = Date.parse('2026-11-08T12:00:00Z') // before the 25 h warm-up of "today"
const TENANT = 'acme'
const at = (iso: string) => Date.parse(iso)

/**
 * Known spikes in campaign totals ($ per minute over [from, from + minutes)); every campaign
 * otherwise spends $0.10 a minute, split over its two ads. Accounts: even campaigns in New York,
 * odd ones in Tokyo (time zones set in Redis).
 */
const SPIKES: Record<string, Array<{ from: number; minutes: number; perMinute: number }>> = {
  c01: [{ from: at('2026-11-10T05:00:00Z'), minutes: 10, perMinute: 5 }],
  c02: [{ from: at('2026-11-09T23:00:00Z'), minutes: 10, perMinute: 5 }], // over before the range starts
  c04: [{ from: at('2026-11-11T13:30:00Z'), minutes: 6, perMinute: 5 }, { from: at('2026-11-11T15:00:00Z'), minutes: 4, perMinute: 5 }],
  c05: [{ from: at('2026-11-09T23:57:00Z'), minutes: 6, perMinute: 5 }], // straddles the range's start
  c09: [{ from: at('2026-11-10T20:00:00Z'), minutes: 30, perMinute: 0.5 }], // never above $3 in 5 minutes
  c10: [{ from: END - 3 * MIN, minutes: 3, perMinute: 5 }], // still firing when the range ends
}
/** One ad-minute of $5,000 on c07 at 08:00 Nov 12: beyond 32 bits of micros. */
const BIG = { campaign: 'c07', minute: at('2026-11-12T08:00:00Z'), micros: 5_000_000_000 }

const campaigns = Array.from({ length: 12 }, (_, i) => `c${String(i).padStart(2, '0')}`)
const accountOf = (c: string) => (Number(c.slice(1)) % 2 === 0 ? 'act_ny' : 'act_tokyo')

/** The campaign's spend in one minute, in micros, as written (the test's ground truth). */
function campaignMicros(c: string, minute: number): number {
  if (c === BIG.campaign && minute === BIG.minute) return BIG.micros + 50_000
  const spike = (SPIKES[c] ?? []).find((s) => minute >= s.from && minute < s.from + s.minutes * MIN)
  return spike === undefined ? 100_000 : Math.round(spike.perMinute * 1_000_000)
}

/** Spend of a campaign over [fromMs, toMs), in currency units. */
function spendOver(c: string, fromMs: number, toMs: number): number {
  let micros = 0
  for (let m = fromMs; m < toMs; m += MIN) micros += campaignMicros(c, m)
  return micros / 1_000_000
}

function rollupRows(): Array<Record<string, string | number>> {
  const rows: Array<Record<string, string | number>> = []
  for (const c of campaigns) {
    for (let m = HISTORY_FROM; m < END; m += MIN) {
      const total = campaignMicros(c, m)
      const a = c === BIG.campaign && m === BIG.minute ? BIG.micros : total / 2
      for (const [ad, micros] of [[`${c}-a`, a], [`${c}-b`, total - a]] as const) {
        rows.push({ tenant: TENANT, platform: 'meta', account: accountOf(c), campaign: c, adset: `${c}-s1`, ad, minute: m / 1000, impressions: 10, clicks: 1, spend_micros: micros, conversions: 0, revenue_micros: 0, events: 11 })
      }
    }
  }
  return rows
}

const brief = (i: BacktestInterval) => ({ entity: i.entity, start: new Date(i.startMs).toISOString(), end: i.endMs === null ? null : new Date(i.endMs).toISOString(), spend: Math.round(i.spend * 1e6) / 1e6 })
const expected = (entity: string, start: string, end: string | null) => ({
  entity, start: new Date(at(start)).toISOString(), end: end === null ? null : new Date(at(end)).toISOString(),
  spend: Math.round(spendOver(entity.slice(0, 3), at(start), end === null ? END : at(end)) * 1e6) / 1e6,
})

function spikeRule(over: Partial<Rule> = {}): Rule {
  return { id: 'spend-spike', name: 'spend over $3 in 5 minutes for 2 minutes', level: 'campaign', severity: 'warning', for: '2m', conditions: { all: [{ fact: 'spend_5m', operator: 'greaterThan', value: 3 }] }, ...over }
}

test('a backtest over synthetic rollups with known spikes returns exactly those intervals and their spend', async () => {
  const { cfg } = integrationConfig('backtest')
  await requireServers(cfg)
  const admin = createClickHouse(cfg.clickhouse, 'default')
  const ch = createClickHouse(cfg.clickhouse)
  const redis = new Redis(cfg.redis.url)
  try {
    await migrate(admin, cfg.clickhouse.database)
    const rows = rollupRows()
    // Two inserts for c01's spike minutes: the same keys in two parts, summed on read.
    const split = rows.filter((r) => r.campaign === 'c01' && campaignMicros('c01', Number(r.minute) * 1000) > 100_000)
    for (const r of split) r.spend_micros = Number(r.spend_micros) - 1_000_000
    await ch.insert({ table: `${ident(cfg.clickhouse.database).text}.rollup_minute`, values: rows, format: 'JSONEachRow' })
    await ch.insert({ table: `${ident(cfg.clickhouse.database).text}.rollup_minute`, values: split.map((r) => ({ ...r, spend_micros: 1_000_000, impressions: 0, clicks: 0 })), format: 'JSONEachRow' })
    const parts = await ch.query({ query: sql`SELECT count() AS n FROM ${ident(cfg.clickhouse.database)}.rollup_minute`.text, format: 'JSONEachRow' })
    assert.equal(Number((await parts.json<{ n: number }>())[0]!.n), rows.length + split.length)

    await registerTenants(redis, cfg.redis.keyPrefix, [TENANT])
    const settings = new EntitySettingsStore(redis, cfg.redis.keyPrefix)
    await settings.setAccount(TENANT, 'act_ny', { timeZone: 'America/New_York' })
    await settings.setAccount(TENANT, 'act_tokyo', { timeZone: 'Asia/Tokyo' })
    await settings.setCampaign(TENANT, 'c01', { dailyBudgetMicros: 100_000_000 })
    const now = () => END + 30_000
    const rules = new RedisRuleStore(redis, cfg.redis.keyPrefix, now)
    const service = new BacktestService({
      rollups: new ClickHouseRollupReader(ch, cfg.clickhouse.database),
      timeZones: new TenantDirectory(redis, cfg.redis.keyPrefix, 'UTC', now),
      budgets: settings,
      rules,
      now,
    })

    // 1. "spend_5m > $3 for 2m": true from a spike's first minute until its last leaves the
    // 5-minute window, so each spike [s, e) fires at s + 2 and resolves at e + 4; the state
    // starts inactive at the range's start (c05), c02's spike is over before it, c09's is too
    // small, and c10's is still firing at the end.
    const spikes = await service.run({ tenant: TENANT, days: 3, rule: spikeRule() })
    assert.deepEqual(spikes.intervals.map(brief), [
      expected('c05', '2026-11-10T00:02:00Z', '2026-11-10T00:07:00Z'),
      expected('c01', '2026-11-10T05:02:00Z', '2026-11-10T05:14:00Z'),
      expected('c04', '2026-11-11T13:32:00Z', '2026-11-11T13:40:00Z'),
      expected('c04', '2026-11-11T15:02:00Z', '2026-11-11T15:08:00Z'),
      expected('c07', '2026-11-12T08:02:00Z', '2026-11-12T08:05:00Z'),
      expected('c10', '2026-11-12T23:59:00Z', null),
    ])
    assert.equal(spikes.intervals[1]!.spend, 40.4) // 8 spike minutes at $5 and 4 quiet ones at $0.10
    assert.equal(spikes.intervals[1]!.peaks.spend_5m, 25)
    assert.equal(spikes.intervals[4]!.peaks.spend_5m, 5_000.45) // the $5,000 ad-minute, read through the 32-bit overflow
    assert.deepEqual(spikes.intervals[1]!.labels, { level: 'campaign', platform: 'meta', account: 'act_tokyo', campaign: 'c01', adset: '', entity: 'c01' })
    assert.equal(spikes.totals.entities, 12)
    assert.equal(spikes.totals.openIntervals, 1)
    assert.equal(spikes.totals.evaluations, 12 * 3 * 1_440)
    assert.equal(Math.round(spikes.totals.spend * 100) / 100, Math.round(campaigns.reduce((s, c) => s + spendOver(c, END - 3 * 86_400_000, END), 0) * 100) / 100)
    assert.ok(spikes.stats.rowsRead > 0 && spikes.stats.slices >= 4)

    // 2. The budget comes from the campaign settings in Redis: only c01 has one.
    const budgeted = await service.run({ tenant: TENANT, days: 3, rule: spikeRule({ conditions: { all: [{ fact: 'daily_budget', operator: 'greaterThan', value: 0 }, { fact: 'spend_5m', operator: 'greaterThan', value: 3 }] } }) })
    assert.deepEqual(budgeted.intervals.map(brief), [expected('c01', '2026-11-10T05:02:00Z', '2026-11-10T05:14:00Z')])

    // 3. "today" is the account's local day, its zone read from Redis: $0.10 a minute passes
    // $140 at a local day's 1,401st minute (23:20 local) until local midnight — 05:00Z in New
    // York (c00), 15:00Z in Tokyo (c03). UTC would have given 23:20Z–00:00Z.
    const today = await service.run({ tenant: TENANT, days: 3, rule: { ...spikeRule({ conditions: { all: [{ fact: 'spend_today', operator: 'greaterThan', value: 140 }] } }), for: '0s', scope: { matchers: [{ name: 'campaign', op: '=~', value: 'c0[03]' }] } } })
    assert.deepEqual(today.intervals.map(brief), [
      expected('c00', '2026-11-10T04:20:00Z', '2026-11-10T05:00:00Z'),
      expected('c03', '2026-11-10T14:20:00Z', '2026-11-10T15:00:00Z'),
      expected('c00', '2026-11-11T04:20:00Z', '2026-11-11T05:00:00Z'),
      expected('c03', '2026-11-11T14:20:00Z', '2026-11-11T15:00:00Z'),
      expected('c00', '2026-11-12T04:20:00Z', '2026-11-12T05:00:00Z'),
      expected('c03', '2026-11-12T14:20:00Z', '2026-11-12T15:00:00Z'),
    ])

    // 4. A saved rule at ad level: each of c01's ads spends $2.50 a minute in the spike.
    await rules.save(TENANT, spikeRule({ id: 'ad-spike', level: 'ad', conditions: { all: [{ fact: 'spend_5m', operator: 'greaterThan', value: 2 }] }, scope: { matchers: [{ name: 'campaign', op: '=', value: 'c01' }] } }), 'tester')
    const ads = await service.run({ tenant: TENANT, days: 3, ruleId: 'ad-spike' })
    assert.equal(ads.ruleVersion, 1)
    assert.deepEqual(ads.intervals.map((i) => [i.entity, i.labels.campaign, i.labels.adset, new Date(i.startMs).toISOString(), new Date(i.endMs!).toISOString()]), [
      ['c01-a', 'c01', 'c01-s1', '2026-11-10T05:02:00.000Z', '2026-11-10T05:14:00.000Z'],
      ['c01-b', 'c01', 'c01-s1', '2026-11-10T05:02:00.000Z', '2026-11-10T05:14:00.000Z'],
    ])
  } finally {
    await admin.command({ query: sql`DROP DATABASE IF EXISTS ${ident(cfg.clickhouse.database)}`.text }).catch(() => undefined)
    const keys = await redis.keys(`${cfg.redis.keyPrefix}:*`)
    if (keys.length > 0) await redis.unlink(...keys)
    await Promise.allSettled([redis.quit(), ch.close(), admin.close()])
  }
})

test('an invalid draft is refused with its JSON paths, before anything is read', async () => {
  const service = new BacktestService({
    rollups: { readSlice: async () => assert.fail('nothing may be read for an invalid rule') },
    timeZones: { refresh: async () => undefined, timeZoneOf: () => 'UTC' },
    budgets: { campaigns: async () => new Map() },
    now: () => END,
  })
  await assert.rejects(service.run({ tenant: TENANT, days: 1, rule: spikeRule({ conditions: { all: [{ fact: 'spend_6m', operator: 'greaterThan', value: 3 }] } }) }), (e: unknown) => {
    const err = e as { code?: string; problems?: Array<{ path: string }> }
    return err.code === 'ADW_RULE_INVALID' && err.problems?.[0]?.path === '$.conditions.all[0].fact'
  })
})
