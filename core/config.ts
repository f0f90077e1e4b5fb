import os from 'node:os'
import { bool, cleanEnv, makeValidator, num, str, url } from 'envalid'
import { AdwatchError } from './errors.ts'

/**
 * The only place that reads `process.env`. Every variable, its default and its form is in
 * the table below (and in docs/configuration.md); the result is validated, frozen and passed
 * down in slices, so no other module reads the environment.
 */

const positiveInt = makeValidator<number>((raw) => {
  const n = Number(raw)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`expected a positive integer, got "${raw}"`)
  return n
})

const timeZone = makeValidator<string>((raw) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: raw })
  } catch {
    throw new Error(`expected an IANA time zone such as "UTC" or "America/New_York", got "${raw}"`)
  }
  return raw
})

const prefix = makeValidator<string>((raw) => {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(raw)) throw new Error(`expected 1–32 of [A-Za-z0-9_-], got "${raw}"`)
  return raw
})

const identifier = makeValidator<string>((raw) => {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(raw)) throw new Error(`expected a SQL identifier ([A-Za-z_][A-Za-z0-9_]*), got "${raw}"`)
  return raw
})

/** The table of variables: name → validator with default and description. */
const SPEC = {
  ADW_REDIS_URL: url({ default: 'redis://127.0.0.1:16379', desc: 'Redis server URL' }),
  ADW_REDIS_PREFIX: prefix({ default: 'adw', desc: 'prefix of every Redis key' }),
  ADW_CLICKHOUSE_URL: url({ default: 'http://127.0.0.1:18123', desc: 'ClickHouse HTTP interface URL' }),
  ADW_CLICKHOUSE_DB: identifier({ default: 'adwatch', desc: 'ClickHouse database (created if missing)' }),
  ADW_CLICKHOUSE_USER: str({ default: 'default', desc: 'ClickHouse user' }),
  ADW_CLICKHOUSE_PASSWORD: str({ default: '', desc: 'ClickHouse password' }),
  ADW_CLICKHOUSE_TIMEOUT_MS: positiveInt({ default: 10_000, desc: 'ClickHouse request timeout' }),
  ADW_KINESIS_ENDPOINT: str({ default: 'http://127.0.0.1:14567', desc: 'Kinesis API endpoint; empty for AWS itself' }),
  ADW_AWS_REGION: str({ default: 'us-east-1', desc: 'AWS region of the stream' }),
  ADW_KINESIS_STREAM: str({ default: 'adwatch-events', desc: 'Kinesis stream name' }),
  ADW_KINESIS_SHARDS: positiveInt({ default: 4, desc: 'shards when adwatch creates the stream (local runs)' }),
  ADW_WORKER_ID: str({ default: '', desc: 'consumer worker id; default hostname-pid' }),
  ADW_LEASE_TTL_MS: positiveInt({ default: 10_000, desc: 'shard lease expiry; a dead worker\'s shards move after this' }),
  ADW_LEASE_RENEW_MS: positiveInt({ default: 2_000, desc: 'how often leases are renewed and rebalanced' }),
  ADW_BATCH_MAX_RECORDS: positiveInt({ default: 5_000, desc: 'GetRecords limit per call (Kinesis max 10000)' }),
  ADW_POLL_IDLE_MS: positiveInt({ default: 250, desc: 'wait before polling a shard that returned nothing' }),
  ADW_DEDUPE_WINDOW_SEC: positiveInt({ default: 900, desc: 'events with the same id within this window count once' }),
  ADW_MAX_LATENESS_SEC: positiveInt({ default: 86_400, desc: 'events older than this are dead-lettered' }),
  ADW_MAX_FUTURE_SEC: positiveInt({ default: 300, desc: 'events further in the future than this are dead-lettered' }),
  ADW_START_POSITION: str({ default: 'TRIM_HORIZON', choices: ['TRIM_HORIZON', 'LATEST'], desc: 'where a shard without checkpoint starts' }),
  ADW_DEFAULT_TZ: timeZone({ default: 'UTC', desc: 'time zone of accounts without settings' }),
  ADW_ALERTMANAGER_URL: url({ default: 'http://127.0.0.1:19093', desc: 'Prometheus Alertmanager that alerts are pushed to' }),
  ADW_PRODUCER_RATE: positiveInt({ default: 2_000, desc: 'synthetic producer events per second' }),
  ADW_PRODUCER_TENANTS: positiveInt({ default: 3, desc: 'synthetic producer tenants' }),
  ADW_PRODUCER_CAMPAIGNS: positiveInt({ default: 300, desc: 'synthetic producer campaigns in all' }),
  ADW_PRODUCER_AGGREGATE: bool({ default: false, desc: 'KPL-aggregate the synthetic records' }),
  ADW_PRODUCER_SEED: num({ default: 42, desc: 'seed of the synthetic producer' }),
  ADW_LOG_LEVEL: str({ default: 'info', choices: ['debug', 'info', 'warn', 'error'], desc: 'log level' }),
} as const

/** The validated configuration, grouped by the part that uses it. */
export interface AdwatchConfig {
  readonly redis: RedisConfig
  readonly clickhouse: ClickHouseConfig
  readonly kinesis: KinesisConfig
  readonly consumer: ConsumerConfig
  readonly producer: ProducerConfig
  readonly alertmanagerUrl: string
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error'
}

export interface RedisConfig { readonly url: string; readonly keyPrefix: string }
export interface ClickHouseConfig {
  readonly url: string
  readonly database: string
  readonly username: string
  readonly password: string
  readonly requestTimeoutMs: number
}
export interface KinesisConfig {
  /** Undefined means the AWS endpoint of `region`. */
  readonly endpoint: string | undefined
  readonly region: string
  readonly streamName: string
  readonly shardCount: number
}
export interface ConsumerConfig {
  readonly workerId: string
  readonly leaseTtlMs: number
  readonly leaseRenewMs: number
  readonly batchMaxRecords: number
  readonly pollIdleMs: number
  readonly dedupeWindowSec: number
  readonly maxLatenessSec: number
  readonly maxFutureSec: number
  readonly startPosition: 'TRIM_HORIZON' | 'LATEST'
  readonly defaultTimeZone: string
}
export interface ProducerConfig {
  readonly ratePerSec: number
  readonly tenants: number
  readonly campaigns: number
  readonly aggregate: boolean
  readonly seed: number
}

/** Reads and validates the environment; throws ADW_CONFIG_INVALID naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AdwatchConfig {
  const e = cleanEnv(env, SPEC, {
    reporter: ({ errors }) => {
      const bad = Object.entries(errors)
      if (bad.length === 0) return
      const lines = bad.map(([name, err]) => `${name}: ${(err as Error).message}`)
      throw new AdwatchError('ADW_CONFIG_INVALID', `invalid environment: ${lines.join('; ')}`)
    },
  })
  if (e.ADW_LEASE_RENEW_MS * 2 >= e.ADW_LEASE_TTL_MS) {
    throw new AdwatchError('ADW_CONFIG_INVALID', `ADW_LEASE_RENEW_MS (${e.ADW_LEASE_RENEW_MS}) must be less than half of ADW_LEASE_TTL_MS (${e.ADW_LEASE_TTL_MS})`)
  }
  if (e.ADW_BATCH_MAX_RECORDS > 10_000) {
    throw new AdwatchError('ADW_CONFIG_INVALID', `ADW_BATCH_MAX_RECORDS must be at most 10000 (the Kinesis GetRecords limit), got ${e.ADW_BATCH_MAX_RECORDS}`)
  }
  return deepFreeze({
    redis: { url: e.ADW_REDIS_URL, keyPrefix: e.ADW_REDIS_PREFIX },
    clickhouse: {
      url: e.ADW_CLICKHOUSE_URL,
      database: e.ADW_CLICKHOUSE_DB,
      username: e.ADW_CLICKHOUSE_USER,
      password: e.ADW_CLICKHOUSE_PASSWORD,
      requestTimeoutMs: e.ADW_CLICKHOUSE_TIMEOUT_MS,
    },
    kinesis: {
      endpoint: e.ADW_KINESIS_ENDPOINT === '' ? undefined : e.ADW_KINESIS_ENDPOINT,
      region: e.ADW_AWS_REGION,
      streamName: e.ADW_KINESIS_STREAM,
      shardCount: e.ADW_KINESIS_SHARDS,
    },
    consumer: {
      workerId: e.ADW_WORKER_ID === '' ? `${os.hostname()}-${process.pid}` : e.ADW_WORKER_ID,
      leaseTtlMs: e.ADW_LEASE_TTL_MS,
      leaseRenewMs: e.ADW_LEASE_RENEW_MS,
      batchMaxRecords: e.ADW_BATCH_MAX_RECORDS,
      pollIdleMs: e.ADW_POLL_IDLE_MS,
      dedupeWindowSec: e.ADW_DEDUPE_WINDOW_SEC,
      maxLatenessSec: e.ADW_MAX_LATENESS_SEC,
      maxFutureSec: e.ADW_MAX_FUTURE_SEC,
      startPosition: e.ADW_START_POSITION as 'TRIM_HORIZON' | 'LATEST',
      defaultTimeZone: e.ADW_DEFAULT_TZ,
    },
    producer: {
      ratePerSec: e.ADW_PRODUCER_RATE,
      tenants: e.ADW_PRODUCER_TENANTS,
      campaigns: e.ADW_PRODUCER_CAMPAIGNS,
      aggregate: e.ADW_PRODUCER_AGGREGATE,
      seed: e.ADW_PRODUCER_SEED,
    },
    alertmanagerUrl: e.ADW_ALERTMANAGER_URL,
    logLevel: e.ADW_LOG_LEVEL as AdwatchConfig['logLevel'],
  })
}

/** The variables, defaults and descriptions, for docs and `scripts/services env`. */
export const CONFIG_VARIABLES: ReadonlyArray<{ name: string; default: unknown; desc: string }> = Object.entries(SPEC).map(
  ([name, spec]) => ({ name, default: (spec as { default?: unknown }).default, desc: (spec as { desc?: string }).desc ?? '' }),
)

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}
