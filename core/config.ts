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

const port = makeValidator<number>((raw) => {
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new Error(`expected a TCP port 0–65535 (0 = any free port), got "${raw}"`)
  return n
})

const nonNegativeInt = makeValidator<number>((raw) => {
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0) throw new Error(`expected an integer ≥ 0, got "${raw}"`)
  return n
})

/** Comma-separated browser origins (`https://app.example.com`), or empty for none. */
const originList = makeValidator<readonly string[]>((raw) => {
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '')
  for (const item of items) {
    let origin: string | undefined
    try {
      origin = new URL(item).origin
    } catch {
      origin = undefined
    }
    if (origin !== item) throw new Error(`expected comma-separated origins such as "https://app.example.com" (scheme, host and port only), got "${item}"`)
  }
  return items
})

/** Empty, or an http(s) URL. */
const optionalUrl = makeValidator<string>((raw) => {
  if (raw === '') return raw
  try {
    if (['http:', 'https:'].includes(new URL(raw).protocol)) return raw
  } catch {
    // reported below
  }
  throw new Error(`expected an http(s) URL or nothing, got "${raw}"`)
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
  ADW_GATEWAY_HOST: str({ default: '127.0.0.1', desc: 'address the gateway listens on (0.0.0.0 in containers)' }),
  ADW_GATEWAY_PORT: port({ default: 18_080, desc: 'gateway HTTP and Socket.IO port (0 = any free port)' }),
  ADW_GATEWAY_TRUST_PROXY: bool({ default: false, desc: 'take the client IP from X-Forwarded-For (set behind a load balancer)' }),
  ADW_GATEWAY_BODY_LIMIT_BYTES: positiveInt({ default: 1_048_576, desc: 'largest request body except POST /api/v1/events (5 MiB)' }),
  ADW_GATEWAY_RATE_LIMIT_WINDOW_MS: positiveInt({ default: 60_000, desc: 'rate-limit window' }),
  ADW_GATEWAY_RATE_LIMIT_KEY_MAX: positiveInt({ default: 1_200, desc: 'requests per window per API key or JWT subject' }),
  ADW_GATEWAY_RATE_LIMIT_IP_MAX: positiveInt({ default: 600, desc: 'requests per window per client IP without valid credentials' }),
  ADW_GATEWAY_PUSH_INTERVAL_MS: positiveInt({ default: 25, desc: 'Socket.IO window updates are coalesced per room over this interval (10–50)' }),
  ADW_GATEWAY_MAX_SUBSCRIPTIONS: positiveInt({ default: 1_000, desc: 'entities one socket may watch at once' }),
  ADW_GATEWAY_AUTH_CACHE_MS: positiveInt({ default: 5_000, desc: 'how long a checked API key is trusted before Redis is asked again' }),
  ADW_GATEWAY_WEB_DIR: str({ default: 'web/dist', desc: 'built dashboard served at / when the folder exists' }),
  ADW_CORS_ORIGINS: originList({ default: [], desc: 'comma-separated browser origins allowed to call the API cross-origin; empty: none' }),
  ADW_JWT_SECRET: str({ default: '', desc: 'HS256 secret of bearer JWTs (Supabase\'s JWT secret), at least 32 characters; empty: HS256 off' }),
  ADW_JWT_JWKS_URL: optionalUrl({ default: '', desc: 'JWKS URL for RS256/ES256 bearer JWTs; empty: off' }),
  ADW_JWT_ISSUER: str({ default: '', desc: 'required `iss` of JWTs; empty: not checked' }),
  ADW_JWT_AUDIENCE: str({ default: '', desc: 'required `aud` of JWTs (Supabase: authenticated); empty: not checked' }),
  ADW_JWT_TENANT_CLAIM: str({ default: 'app_metadata.tenant', desc: 'claim (dot path) holding the tenant' }),
  ADW_JWT_ROLE_CLAIM: str({ default: 'app_metadata.role', desc: 'claim (dot path) holding the role: viewer, editor or admin' }),
  ADW_JWT_CLOCK_TOLERANCE_SEC: nonNegativeInt({ default: 5, desc: 'allowed clock skew for exp and nbf' }),
  ADW_RULES_TICK_MS: positiveInt({ default: 1_000, desc: 'how often the rules engine evaluates every rule' }),
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
  readonly rules: { readonly tickMs: number }
  readonly gateway: GatewayConfig
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
/** The gateway's HTTP, Socket.IO and auth settings. */
export interface GatewayConfig {
  readonly host: string
  readonly port: number
  readonly trustProxy: boolean
  readonly bodyLimitBytes: number
  readonly rateLimit: { readonly windowMs: number; readonly perKey: number; readonly perIp: number }
  readonly pushIntervalMs: number
  readonly maxSubscriptionsPerSocket: number
  readonly authCacheMs: number
  readonly webDir: string
  readonly corsOrigins: readonly string[]
  readonly jwt: JwtConfig
}
/** Bearer JWT verification; undefined fields are not checked (secret / JWKS: that kind is off). */
export interface JwtConfig {
  readonly secret: string | undefined
  readonly jwksUrl: string | undefined
  readonly issuer: string | undefined
  readonly audience: string | undefined
  readonly tenantClaim: string
  readonly roleClaim: string
  readonly clockToleranceSec: number
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
  if (e.ADW_GATEWAY_PUSH_INTERVAL_MS < 10 || e.ADW_GATEWAY_PUSH_INTERVAL_MS > 50) {
    throw new AdwatchError('ADW_CONFIG_INVALID', `ADW_GATEWAY_PUSH_INTERVAL_MS must be 10–50 (updates coalesced per room), got ${e.ADW_GATEWAY_PUSH_INTERVAL_MS}`)
  }
  if (e.ADW_JWT_SECRET !== '' && e.ADW_JWT_SECRET.length < 32) {
    throw new AdwatchError('ADW_CONFIG_INVALID', `ADW_JWT_SECRET must be at least 32 characters (an HS256 key), got ${e.ADW_JWT_SECRET.length}`)
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
    rules: { tickMs: e.ADW_RULES_TICK_MS },
    gateway: {
      host: e.ADW_GATEWAY_HOST,
      port: e.ADW_GATEWAY_PORT,
      trustProxy: e.ADW_GATEWAY_TRUST_PROXY,
      bodyLimitBytes: e.ADW_GATEWAY_BODY_LIMIT_BYTES,
      rateLimit: { windowMs: e.ADW_GATEWAY_RATE_LIMIT_WINDOW_MS, perKey: e.ADW_GATEWAY_RATE_LIMIT_KEY_MAX, perIp: e.ADW_GATEWAY_RATE_LIMIT_IP_MAX },
      pushIntervalMs: e.ADW_GATEWAY_PUSH_INTERVAL_MS,
      maxSubscriptionsPerSocket: e.ADW_GATEWAY_MAX_SUBSCRIPTIONS,
      authCacheMs: e.ADW_GATEWAY_AUTH_CACHE_MS,
      webDir: e.ADW_GATEWAY_WEB_DIR,
      corsOrigins: [...e.ADW_CORS_ORIGINS],
      jwt: {
        secret: e.ADW_JWT_SECRET === '' ? undefined : e.ADW_JWT_SECRET,
        jwksUrl: e.ADW_JWT_JWKS_URL === '' ? undefined : e.ADW_JWT_JWKS_URL,
        issuer: e.ADW_JWT_ISSUER === '' ? undefined : e.ADW_JWT_ISSUER,
        audience: e.ADW_JWT_AUDIENCE === '' ? undefined : e.ADW_JWT_AUDIENCE,
        tenantClaim: e.ADW_JWT_TENANT_CLAIM,
        roleClaim: e.ADW_JWT_ROLE_CLAIM,
        clockToleranceSec: e.ADW_JWT_CLOCK_TOLERANCE_SEC,
      },
    },
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
