import type { ClickHouseClient } from '@clickhouse/client'
import type { Redis } from 'ioredis'
import { createClickHouse } from '../core/clickhouse.ts'
import type { AdwatchConfig } from '../core/config.ts'
import { migrate } from '../core/migrate.ts'
import { ident, sql } from '../core/sql.ts'
import { buildCatalogue, tenantNames } from '../stream/producer/catalogue.ts'
import { generateTestRecords, type TestRecord } from '../stream/producer/test-events.ts'
import { createTrafficGenerator } from '../stream/producer/traffic.ts'
import { EntitySettingsStore } from '../stream/entity-settings.ts'
import { registerTenants } from '../stream/tenant-directory.ts'

/**
 * What every benchmark shares: fresh names per repetition (key prefix, stream, database), the
 * synthetic events, and setting up and clearing a repetition's Redis keys and database.
 */

let freshCount = 0

/** A copy of `base` with its own Redis key prefix, stream, ClickHouse database and worker id. */
export function freshConfig(base: AdwatchConfig, tag: string): AdwatchConfig {
  const suffix = `${tag}${(freshCount++).toString(36)}${Date.now().toString(36)}`
  return {
    ...base,
    redis: { ...base.redis, keyPrefix: `b${suffix}`.slice(0, 32) },
    clickhouse: { ...base.clickhouse, database: `bench_${suffix}`.replace(/[^A-Za-z0-9_]/g, '_') },
    kinesis: { ...base.kinesis, streamName: `bench-${suffix}` },
    consumer: { ...base.consumer, workerId: `bench-${suffix}` },
  }
}

/** The synthetic traffic of a benchmark: tenants and campaigns, as the producer makes them. */
export interface EventSet {
  readonly records: readonly TestRecord[]
  readonly tenants: readonly string[]
  /** Every account with its IANA time zone, so "today" totals use several zones. */
  readonly accountZones: ReadonlyArray<{ tenant: string; account: string; timeZone: string }>
}

/** Generation options of an event set. */
export interface EventSetOptions {
  readonly count: number
  readonly tenants: number
  readonly campaigns: number
  readonly seed: number
  readonly nowMs: number
  readonly maxLatenessSec: number
  readonly maxFutureSec: number
}

/** `count` valid, unique events (timestamps in the half hour before `nowMs`) over the campaigns. */
export function generateEventSet(o: EventSetOptions): EventSet {
  const names = tenantNames(o.tenants)
  const { records, truth } = generateTestRecords({
    count: o.count,
    invalidRate: 0,
    duplicateRate: 0,
    seed: o.seed,
    startMs: o.nowMs,
    tenants: names,
    campaigns: o.campaigns,
    maxLatenessSec: o.maxLatenessSec,
    maxFutureSec: o.maxFutureSec,
    idPrefix: `b${o.seed}-${o.nowMs.toString(36)}`,
  })
  if (truth.validUniqueCount !== o.count) throw new Error(`generator made ${truth.validUniqueCount} valid events, not ${o.count}`)
  // The same options give generateTestRecords' catalogue: its accounts and their time zones.
  const catalogue = buildCatalogue({ seed: o.seed, tenants: names.length, names, campaigns: o.campaigns })
  const accountZones = catalogue.accounts.map((a) => ({ tenant: a.tenant, account: a.id, timeZone: a.timeZone }))
  return { records, tenants: names, accountZones }
}

/** Generation options of time-ordered traffic: `count` events arriving at `eventsPerSec`. */
export interface TrafficSetOptions {
  readonly count: number
  readonly tenants: number
  readonly campaigns: number
  readonly seed: number
  readonly nowMs: number
  /** Rate of event time: the events span count / eventsPerSec seconds, ending a second before `nowMs`. */
  readonly eventsPerSec: number
}

/**
 * `count` valid, unique events in time order, as real-time traffic at `eventsPerSec` would
 * put them on the stream: the synthetic producer's generator (stream/producer/traffic.ts) over
 * the catalogue's campaigns, ad sets and ads, without its day curve so runs at any hour are
 * alike. A batch of real-time traffic touches few minutes per entity; timestamps spread at
 * random over half an hour would touch dozens.
 */
export function generateTrafficSet(o: TrafficSetOptions): EventSet & { readonly spanMs: number } {
  const names = tenantNames(o.tenants)
  const catalogue = buildCatalogue({ seed: o.seed, tenants: names.length, names, campaigns: o.campaigns })
  const gen = createTrafficGenerator({ catalogue, seed: o.seed, dayCurve: false, idPrefix: `b${o.seed}-${o.nowMs.toString(36)}` })
  const spanMs = Math.max(1_000, Math.ceil((1000 * o.count) / o.eventsPerSec))
  const records: TestRecord[] = []
  // Poisson counts: generate a little more than the span holds, keep the first `count`.
  for (let startMs = o.nowMs - 1_000 - spanMs; records.length < o.count; startMs += 1_000) {
    for (const e of gen.events(startMs, 1_000, o.eventsPerSec)) {
      if (records.length === o.count) break
      records.push({ data: Buffer.from(JSON.stringify(e)), partitionKey: `${e.tenant}/${e.campaign}` })
    }
  }
  const accountZones = catalogue.accounts.map((a) => ({ tenant: a.tenant, account: a.id, timeZone: a.timeZone }))
  return { records, tenants: names, accountZones, spanMs }
}

/** Registers the set's tenants and account time zones under the config's key prefix. */
export async function registerEventSet(redis: Redis, cfg: AdwatchConfig, set: EventSet): Promise<void> {
  await registerTenants(redis, cfg.redis.keyPrefix, set.tenants)
  const settings = new EntitySettingsStore(redis, cfg.redis.keyPrefix)
  for (const a of set.accountZones) await settings.setAccount(a.tenant, a.account, { timeZone: a.timeZone })
}

/** Creates the config's database with every migration applied. */
export async function migrateDatabase(cfg: AdwatchConfig): Promise<void> {
  const admin = createClickHouse(cfg.clickhouse, 'default')
  try {
    await migrate(admin, cfg.clickhouse.database)
  } finally {
    await admin.close()
  }
}

/** Reads one integer a query returns (the first column of its first row). */
export async function queryCount(ch: ClickHouseClient, query: string): Promise<number> {
  const rs = await ch.query({ query, format: 'JSONEachRow' })
  const rows = await rs.json<Record<string, number | string>>()
  const first = rows[0]
  return first === undefined ? 0 : Number(Object.values(first)[0])
}

/** Rows of `events` in the config's database. */
export async function countEventRows(cfg: AdwatchConfig): Promise<number> {
  const ch = createClickHouse(cfg.clickhouse, 'default')
  try {
    return await queryCount(ch, sql`SELECT count() AS n FROM ${ident(cfg.clickhouse.database)}.events`.text)
  } finally {
    await ch.close()
  }
}

/** Drops the repetition's database and deletes its Redis keys, so repetitions do not pile up. */
export async function clearRepetition(redis: Redis, cfg: AdwatchConfig): Promise<void> {
  await dropDatabase(cfg)
  await deleteKeys(redis, `${cfg.redis.keyPrefix}:*`)
}

/** Drops the config's ClickHouse database. */
export async function dropDatabase(cfg: AdwatchConfig): Promise<void> {
  const admin = createClickHouse(cfg.clickhouse, 'default')
  try {
    await admin.command({ query: sql`DROP DATABASE IF EXISTS ${ident(cfg.clickhouse.database)}`.text })
  } finally {
    await admin.close()
  }
}

/** Deletes the Redis keys matching a SCAN pattern. */
export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 5000)
    if (keys.length > 0) await redis.unlink(...keys)
    cursor = next
  } while (cursor !== '0')
}
