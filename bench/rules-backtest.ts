import type { Redis } from 'ioredis'
import { createClickHouse } from '../core/clickhouse.ts'
import type { AdwatchConfig } from '../core/config.ts'
import { ident, sql } from '../core/sql.ts'
import { EntitySettingsStore } from '../stream/entity-settings.ts'
import { registerTenants, TenantDirectory } from '../stream/tenant-directory.ts'
import { ClickHouseRollupReader } from '../rules/backtest-reader.ts'
import { BacktestService, type BacktestReport } from '../rules/backtest-service.ts'
import type { Rule } from '../rules/rule-model.ts'
import { migrateDatabase } from './bench-env.ts'

/**
 * The backtest at its target size: `campaigns` campaigns with a rollup row every minute for
 * `days` days (plus the warm-up the rules need), generated inside ClickHouse, then each rule of
 * BACKTEST_RULES replayed over the last `days` days through the real service (ClickHouse
 * reader, time zones and budgets from Redis).
 */

const TENANT = 'bench'
const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'America/Los_Angeles'] as const

/** Rules of three shapes: one metric, two metrics with a ratio, and the local day with budgets. */
export const BACKTEST_RULES: Record<string, Rule> = {
  'spend spike (spend_5m)': { id: 'spend-spike', name: 'spend spike', level: 'campaign', severity: 'warning', for: '2m', conditions: { all: [{ fact: 'spend_5m', operator: 'greaterThan', value: 12 }] } },
  'high CPC (cpc_15m, clicks_15m)': { id: 'cpc-high', name: 'high CPC', level: 'campaign', severity: 'warning', for: '5m', conditions: { all: [{ fact: 'cpc_15m', operator: 'greaterThan', value: 1.2 }, { fact: 'clicks_15m', operator: 'greaterThanInclusive', value: 20 }] } },
  'overpacing (pacing, today)': { id: 'overpacing', name: 'overpacing', level: 'campaign', severity: 'warning', for: '10m', conditions: { all: [{ fact: 'pacing', operator: 'greaterThan', value: 1.5 }, { fact: 'day_elapsed', operator: 'greaterThan', value: 0.05 }] } },
}

/** One backtest run: its report and the CPU it took in this process and in ClickHouse. */
export interface BacktestRun {
  readonly report: BacktestReport
  readonly nodeCpuMs: number
  readonly clickHouseCpuMs: number
}

/** What the repetitions of one rule cost and found. */
export interface BacktestMeasurement {
  readonly rule: string
  readonly runs: readonly BacktestRun[]
}

/**
 * Writes the synthetic history (untimed): every campaign every minute, $0.05–$0.45 a minute,
 * 0–4 clicks, and an hour at 20× spend for about one campaign-hour in 500.
 */
export async function writeBacktestHistory(cfg: AdwatchConfig, redis: Redis, o: { campaigns: number; days: number; adsPerCampaign: number; endMs: number; progress: (m: string) => void }): Promise<number> {
  await migrateDatabase(cfg)
  // Generating millions of rows is untimed setup: allow it far longer than a query may take.
  const ch = createClickHouse({ ...cfg.clickhouse, requestTimeoutMs: 30 * 60_000 })
  try {
    // History from two days before the range: the 25 h warm-up of "today" and some slack.
    const startSec = Math.floor((o.endMs - (o.days + 2) * 86_400_000) / 1000)
    const minutesPerDay = 1_440
    const perDay = o.campaigns * o.adsPerCampaign * minutesPerDay
    const table = sql`${ident(cfg.clickhouse.database)}.rollup_minute`
    const insertDay = async (d: number) => {
      const first = d * minutesPerDay
      // number → campaign (fastest), ad, minute; values from integer hashes, so reruns agree.
      await ch.command({
        query: sql`INSERT INTO ${table} (tenant, platform, account, campaign, adset, ad, minute, impressions, clicks, spend_micros, conversions, revenue_micros, events)
          SELECT ${TENANT}, arrayElement(['meta', 'google', 'tiktok'], c % 3 + 1), concat('act_', toString(c % 20)), concat('cmp_', toString(c)),
            if(${o.adsPerCampaign} > 1, 's1', ''), if(${o.adsPerCampaign} > 1, concat('ad_', toString(c), '_', toString(a)), ''),
            toDateTime(${startSec} + m * 60),
            20 + intHash32(number) % 200, intHash32(number + 1) % 5,
            intDiv((50000 + intHash32(number + 2) % 400000) * if(intHash32(c * 1000003 + intDiv(m, 60)) % 500 = 0, 20, 1), ${o.adsPerCampaign}),
            intHash32(number + 3) % 50 = 0, if(intHash32(number + 3) % 50 = 0, 30000000, 0), 1
          FROM (SELECT number, number % ${o.campaigns} AS c, intDiv(number, ${o.campaigns}) % ${o.adsPerCampaign} AS a,
                       ${first} + intDiv(number, ${o.campaigns * o.adsPerCampaign}) AS m
                FROM system.numbers LIMIT ${perDay})`.text,
      })
    }
    const days = o.days + 2
    o.progress(`writing ${(perDay * days).toLocaleString('en-US')} rollup rows inside ClickHouse (untimed)`)
    for (let d = 0; d < days; d += 2) await Promise.all([insertDay(d), ...(d + 1 < days ? [insertDay(d + 1)] : [])])
    await registerTenants(redis, cfg.redis.keyPrefix, [TENANT])
    const settings = new EntitySettingsStore(redis, cfg.redis.keyPrefix)
    for (let a = 0; a < 20; a++) await settings.setAccount(TENANT, `act_${a}`, { timeZone: ZONES[a % ZONES.length]! })
    await Promise.all(Array.from({ length: o.campaigns }, (_, c) => settings.setCampaign(TENANT, `cmp_${c}`, { dailyBudgetMicros: 250_000_000 + (c % 5) * 50_000_000 })))
    return perDay * days
  } finally {
    await ch.close()
  }
}

/** Runs every rule `repetitions` times over the last `days` days ending at `endMs`. */
export async function measureBacktests(cfg: AdwatchConfig, redis: Redis, o: { days: number; endMs: number; repetitions: number; progress: (m: string) => void }): Promise<BacktestMeasurement[]> {
  const ch = createClickHouse(cfg.clickhouse)
  try {
    const now = () => o.endMs
    const out: BacktestMeasurement[] = []
    for (const [name, rule] of Object.entries(BACKTEST_RULES)) {
      const runs: BacktestRun[] = []
      for (let rep = 1; rep <= o.repetitions; rep++) {
        o.progress(`backtest "${name}", repetition ${rep}/${o.repetitions}`)
        const queryIdPrefix = `bench-backtest-${cfg.clickhouse.database}-${rule.id}-${rep}`
        const service = new BacktestService({
          rollups: new ClickHouseRollupReader(ch, cfg.clickhouse.database, { queryIdPrefix }),
          timeZones: new TenantDirectory(redis, cfg.redis.keyPrefix, 'UTC', now),
          budgets: new EntitySettingsStore(redis, cfg.redis.keyPrefix),
          now,
        })
        const cpu0 = process.cpuUsage()
        const report = await service.run({ tenant: TENANT, days: o.days, rule })
        const cpu = process.cpuUsage(cpu0)
        runs.push({ report, nodeCpuMs: (cpu.user + cpu.system) / 1000, clickHouseCpuMs: await clickHouseCpuMs(ch, queryIdPrefix) })
      }
      out.push({ rule: name, runs })
    }
    return out
  } finally {
    await ch.close()
  }
}

/** CPU (user + system) ClickHouse spent on the queries whose id starts with `prefix`, from its query log. */
async function clickHouseCpuMs(ch: ReturnType<typeof createClickHouse>, prefix: string): Promise<number> {
  await ch.command({ query: 'SYSTEM FLUSH LOGS' })
  const cpu = (name: string) => sql`arrayElement(ProfileEvents.Values, indexOf(ProfileEvents.Names, ${name}))`
  const rs = await ch.query({
    query: sql`SELECT sum(${cpu('UserTimeMicroseconds')} + ${cpu('SystemTimeMicroseconds')}) AS us FROM system.query_log WHERE type = 2 AND query_id LIKE ${`${prefix}-%`}`.text,
    format: 'JSONEachRow',
  })
  return Number((await rs.json<{ us: number | string }>())[0]?.us ?? 0) / 1000
}
