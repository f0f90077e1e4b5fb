import { Redis } from 'ioredis'
import { SignJWT } from 'jose'
import type { AdwatchConfig } from '../core/config.ts'
import { decodeEvent } from '../stream/decode.ts'
import type { AdEvent } from '../stream/event.ts'
import { EntitySettingsStore } from '../stream/entity-settings.ts'
import { foldEvents } from '../stream/fold.ts'
import { LocalDayCalendar } from '../stream/local-day.ts'
import { RedisLeaseManager } from '../stream/lease-manager.ts'
import { encodePosition } from '../stream/positions.ts'
import { buildCatalogue } from '../stream/producer/catalogue.ts'
import { RedisCounterStore } from '../stream/redis-counter-store.ts'
import { generateEventSet, registerEventSet, type EventSet } from './bench-env.ts'

/** The HS256 secret the benchmark's gateways accept. */
export const BENCH_JWT_SECRET = 'bench-secret-bench-secret-bench-secret-0123456789'

/** Environment of a gateway process on the benchmark's config (its prefix, database, stream). */
export function gatewayEnv(cfg: AdwatchConfig, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    ADW_REDIS_PREFIX: cfg.redis.keyPrefix,
    ADW_CLICKHOUSE_DB: cfg.clickhouse.database,
    ADW_KINESIS_STREAM: cfg.kinesis.streamName,
    ADW_JWT_SECRET: BENCH_JWT_SECRET,
    ADW_GATEWAY_PORT: '0',
    ADW_GATEWAY_WEB_DIR: '/nonexistent',
    ...extra,
  }
}

/** A viewer JWT of a bench user (subject `bench-<n>`), valid for an hour. */
export function benchJwt(tenant: string, n: number): Promise<string> {
  return new SignJWT({ app_metadata: { tenant, role: 'viewer' } })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(`bench-${n}`)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(BENCH_JWT_SECRET))
}

/** The campaigns of each tenant of an event set's catalogue. */
export function campaignsByTenant(set: EventSet, o: { seed: number; campaigns: number }): Map<string, string[]> {
  const catalogue = buildCatalogue({ seed: o.seed, tenants: set.tenants.length, names: [...set.tenants], campaigns: o.campaigns })
  const out = new Map<string, string[]>(set.tenants.map((t) => [t, []]))
  for (const c of catalogue.campaigns) out.get(c.tenant)?.push(c.id)
  return out
}

/**
 * Fills Redis as the consumers would for a set of events (minute buckets, day totals, active
 * sets, metadata, change feed), registers tenants and zones and sets every campaign's daily
 * budget, without Kinesis: the read benchmark measures the gateway, not the ingest.
 */
export async function foldIntoRedis(cfg: AdwatchConfig, set: EventSet, o: { seed: number; campaigns: number }): Promise<void> {
  const redis = new Redis(cfg.redis.url)
  try {
    await registerEventSet(redis, cfg, set)
    const settings = new EntitySettingsStore(redis, cfg.redis.keyPrefix)
    const catalogue = buildCatalogue({ seed: o.seed, tenants: set.tenants.length, names: [...set.tenants], campaigns: o.campaigns })
    await Promise.all(catalogue.campaigns.map((c) => settings.setCampaign(c.tenant, c.id, { dailyBudgetMicros: c.dailyBudgetMicros, name: `Campaign ${c.id}` })))
    const zones = new Map(set.accountZones.map((a) => [`${a.tenant}\u0000${a.account}`, a.timeZone]))
    const calendar = new LocalDayCalendar()
    const ctx = { nowMs: Date.now(), maxLatenessMs: Number.MAX_SAFE_INTEGER, maxFutureMs: Number.MAX_SAFE_INTEGER, isKnownTenant: () => true }
    const events: AdEvent[] = set.records.map((r) => {
      const d = decodeEvent(r.data, ctx)
      if (d.kind !== 'event') throw new Error(`generated record is invalid: ${d.reason}`)
      return d.event
    })
    const store = new RedisCounterStore(redis, cfg.redis.keyPrefix, cfg.consumer.dedupeWindowSec)
    const lease = await new RedisLeaseManager(redis, cfg.redis.keyPrefix, cfg.kinesis.streamName, 'bench', 3_600_000).tryAcquire('shard-bench')
    if (lease === undefined) throw new Error('could not take the bench lease')
    for (let i = 0, seq = 1; i < events.length; i += 5_000, seq++) {
      const chunk = events.slice(i, i + 5_000)
      const pos = encodePosition(String(seq))
      const folded = foldEvents(chunk, (e) => calendar.dayOf(e.tsMs, zones.get(`${e.tenant}\u0000${e.account}`) ?? 'UTC'))
      await store.applyBatch({ stream: cfg.kinesis.streamName, shard: 'shard-bench', leaseValue: lease.value, firstPos: pos, lastPos: pos, folded, duplicates: 0, deadLetters: 0, nowMs: Date.now() })
    }
  } finally {
    redis.disconnect()
  }
}

export { generateEventSet }
