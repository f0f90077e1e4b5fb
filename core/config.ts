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

/** Comma-separated names from `allowed` (at least one, no repeats); `allowed` empty: any [a-z0-9_] names. */
const nameList = (allowed: readonly string[]) => makeValidator<readonly string[]>((raw) => {
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '')
  if (items.length === 0) throw new Error('expected a comma-separated list of at least one name')
  for (const item of items) {
    if (allowed.length > 0 ? !allowed.includes(item) : !/^[a-z0-9_]+$/.test(item)) throw new Error(`"${item}" is not one of ${allowed.length > 0 ? allowed.join(', ') : '[a-z0-9_] names'}`)
  }
  if (new Set(items).size !== items.length) throw new Error(`names repeat in "${raw}"`)
  return items
})

/** A number in (0, 1]. */
const fraction = makeValidator<number>((raw) => {
  const n = Number(raw)
  if (!(n > 0 && n <= 1)) throw new Error(`expected a number in (0, 1], got "${raw}"`)
  return n
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
  ADW_SINK_BATCH_MAX_RECORDS: positiveInt({ default: 50_000, desc: 'most records one worker batch takes across its shards (one Redis script call)' }),
  ADW_CLICKHOUSE_MAX_PENDING_RECORDS: positiveInt({ default: 100_000, desc: 'most records of batches written to Redis that wait for the next ClickHouse insert, which takes them all as one block (at least ADW_SINK_BATCH_MAX_RECORDS); Redis runs ahead of ClickHouse by at most about twice this plus one worker batch' }),
  ADW_CLICKHOUSE_INSERT_INTERVAL_MS: nonNegativeInt({ default: 1_000, desc: 'least time between the starts of two event inserts into ClickHouse; batches written to Redis meanwhile join the next insert (0: insert as soon as the last one is done)' }),
  ADW_SINK_BATCH_MAX_WAIT_MS: positiveInt({ default: 200, desc: 'longest a fetched record waits for more to join its batch' }),
  ADW_SHARD_READ_AHEAD_RECORDS: positiveInt({ default: 20_000, desc: 'records a shard may have fetched and not yet in a batch; its reader pauses there' }),
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
  ADW_GATEWAY_LIST_CACHE_MS: nonNegativeInt({ default: 250, desc: 'a tenant\'s campaign and account lists are rebuilt at most this often (0: every request)' }),
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
  ADW_ALERTS_WORKER_ID: str({ default: '', desc: 'alerts process id (tenant leases, consumer names); default hostname-pid. A fixed id lets a restarted process take its tenants back at once' }),
  ADW_ALERTS_TICK_MS: positiveInt({ default: 100, desc: 'how often the alerts process reads alert events and runs the pipeline' }),
  ADW_ALERTS_LEASE_TTL_MS: positiveInt({ default: 10_000, desc: 'tenant lease expiry; a dead alerts process\'s tenants move after this' }),
  ADW_ALERTS_LEASE_RENEW_MS: positiveInt({ default: 2_000, desc: 'how often tenant leases are renewed and rebalanced' }),
  ADW_ALERTS_GROUP_WAIT_MS: nonNegativeInt({ default: 250, desc: 'default group_wait: how long a new alert group gathers alerts before its first notification' }),
  ADW_ALERTS_GROUP_INTERVAL_MS: positiveInt({ default: 30_000, desc: 'default group_interval: least time between two notifications of one group' }),
  ADW_ALERTS_REPEAT_INTERVAL_MS: positiveInt({ default: 14_400_000, desc: 'default repeat_interval: a firing, unacknowledged alert is notified again after this' }),
  ADW_ALERTS_DEFAULT_RECEIVER: str({ default: 'log', choices: ['log', 'none'], desc: 'receiver of tenants without a routing config: log (the alerts log) or none' }),
  ADW_ALERTS_RETRY_BASE_MS: positiveInt({ default: 1_000, desc: 'first retry delay of a failed notification (doubles per try, with jitter)' }),
  ADW_ALERTS_RETRY_MAX_MS: positiveInt({ default: 300_000, desc: 'longest retry delay of a failed notification' }),
  ADW_ALERTS_MAX_ATTEMPTS: positiveInt({ default: 20, desc: 'tries of one notification before it goes to the dead-letter list' }),
  ADW_ALERTS_BREAKER_FAILURES: positiveInt({ default: 5, desc: 'consecutive failures that open a receiver\'s circuit breaker' }),
  ADW_ALERTS_BREAKER_OPEN_MS: positiveInt({ default: 30_000, desc: 'how long an open circuit breaker waits before a half-open probe' }),
  ADW_ALERTS_HTTP_TIMEOUT_MS: positiveInt({ default: 10_000, desc: 'timeout of one request to a receiver' }),
  ADW_ALERTS_DEAD_LETTER_MAX: positiveInt({ default: 10_000, desc: 'dead-lettered notifications kept per tenant (oldest dropped)' }),
  ADW_ALERTS_SECRETS_FILE: str({ default: '', desc: 'JSON file {"<tenant>": {"<name>": "<value>"}} of receiver secrets; empty: none' }),
  ADW_ALERTS_ALLOW_INSECURE_RECEIVERS: bool({ default: false, desc: 'allow http:// and loopback receiver URLs (tests, local receivers); off: https only' }),
  ADW_ALERTS_DASHBOARD_URL: optionalUrl({ default: '', desc: 'dashboard base URL for links in notifications; empty: no links' }),
  ADW_DETECT_TICK_MS: positiveInt({ default: 10_000, desc: 'how often the detector runner judges the minutes that closed' }),
  ADW_DETECT_LEVELS: nameList(['account', 'campaign', 'adset', 'ad'])({ default: ['account', 'campaign'], desc: 'entity levels the detectors judge (comma-separated: account, campaign, adset, ad)' }),
  ADW_DETECT_DETECTORS: nameList([])({ default: ['iforest', 'seasonal_z', 'ewma', 'flatline'], desc: 'detectors to run (comma-separated; see detectors/entity-detectors.ts)' }),
  ADW_DETECT_THRESHOLD: fraction({ default: 0.8, desc: 'default score (0–1) above which a detector fires; tenants override it in Redis (0.8 is 6σ)' }),
  ADW_DETECT_CLOSE_LAG_MS: positiveInt({ default: 15_000, desc: 'a minute is judged this long after it ends, so late events are in' }),
  ADW_DETECT_ACTIVE_WINDOW_MIN: positiveInt({ default: 180, desc: 'entities whose counters changed within this many minutes are judged (a stopped one too, until then)' }),
  ADW_DETECT_WARMUP_MIN: positiveInt({ default: 30, desc: 'minutes read before an entity\'s first judged minute to fill its windows' }),
  ADW_DETECT_MAX_CATCH_UP_MIN: positiveInt({ default: 60, desc: 'after a pause, at most this many missed minutes are judged' }),
  ADW_DETECT_TRAIN_DAYS: positiveInt({ default: 7, desc: 'days of ClickHouse minute rollups a training reads' }),
  ADW_DETECT_RETRAIN_HOURS: positiveInt({ default: 24, desc: 'models older than this are retrained (also on request: detectors/cli.ts retrain)' }),
  ADW_DETECT_NEW_ENTITY_RETRAIN_MIN: positiveInt({ default: 60, desc: 'when active entities have no baseline yet, models at least this old are retrained for them' }),
  ADW_DETECT_SCORE_HISTORY_DAYS: positiveInt({ default: 14, desc: 'days of per-minute detector scores kept in ClickHouse for the charts\' score band (older days are dropped hourly)' }),
  ADW_DETECT_SCORE_TTL_SEC: positiveInt({ default: 900, desc: 'TTL of an entity\'s latest scores in Redis (renewed at every tick that judges it)' }),
  ADW_DETECT_TREES: positiveInt({ default: 50, desc: 'isolation forest trees of a level model (scoring time grows with them)' }),
  ADW_DETECT_SCORING_THREADS: nonNegativeInt({ default: Math.min(3, Math.max(0, os.availableParallelism() - 1)), desc: 'extra threads scoring large isolation forest batches (default CPUs − 1, at most 3; 0: the runner thread only)' }),
  ADW_DETECT_SAMPLE_SIZE: positiveInt({ default: 256, desc: 'isolation forest subsample size ψ of a level model' }),
  ADW_DETECT_CAMPAIGN_MIN_DAYS: positiveInt({ default: 3, desc: 'days of history a campaign needs for a forest of its own' }),
  ADW_DETECT_CAMPAIGN_MODELS_MAX: nonNegativeInt({ default: 1_000, desc: 'campaign forests per tenant at most (0: level forests only)' }),
  ADW_DETECT_SEED: nonNegativeInt({ default: 1, desc: 'seed of model training (the same data and seed give the same models)' }),
  ADW_DETECT_RUNNER_ID: str({ default: '', desc: 'detector runner id for its leader lease; default hostname-pid' }),
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
  readonly alerts: AlertsConfig
  readonly gateway: GatewayConfig
  readonly detectors: DetectorsConfig
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
  readonly sinkBatchMaxRecords: number
  readonly sinkBatchMaxWaitMs: number
  readonly shardReadAheadRecords: number
  readonly clickhouseInsertIntervalMs: number
  readonly clickhouseMaxPendingRecords: number
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
  readonly listCacheMs: number
  readonly authCacheMs: number
  readonly webDir: string
  readonly corsOrigins: readonly string[]
  readonly jwt: JwtConfig
}
/** The alerts process: tenant leases, pipeline defaults, outbox delivery, receiver secrets. */
export interface AlertsConfig {
  readonly workerId: string
  readonly tickMs: number
  readonly leaseTtlMs: number
  readonly leaseRenewMs: number
  readonly groupWaitMs: number
  readonly groupIntervalMs: number
  readonly repeatIntervalMs: number
  readonly defaultReceiver: 'log' | 'none'
  readonly retryBaseMs: number
  readonly retryMaxMs: number
  readonly maxAttempts: number
  readonly breakerFailures: number
  readonly breakerOpenMs: number
  readonly httpTimeoutMs: number
  readonly deadLetterMax: number
  readonly secretsFile: string
  /** `ADW_ALERTS_SECRET_<TENANT>_<NAME>` variables, by variable name. */
  readonly secretEnv: ReadonlyMap<string, Secret>
  readonly allowInsecureReceivers: boolean
  readonly dashboardUrl: string | undefined
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

/** The detector runner (detectors/runner.ts). */
export interface DetectorsConfig {
  readonly tickMs: number
  readonly levels: ReadonlyArray<'account' | 'campaign' | 'adset' | 'ad'>
  readonly detectors: readonly string[]
  readonly threshold: number
  readonly closeLagMs: number
  readonly activeWindowMin: number
  readonly warmupMin: number
  readonly maxCatchUpMin: number
  readonly trainDays: number
  readonly retrainHours: number
  readonly newEntityRetrainMin: number
  readonly scoreTtlSec: number
  /** Days of score history kept in ClickHouse. */
  readonly scoreHistoryDays: number
  readonly trees: number
  /** Worker threads sharing large isolation forest batches (0: none). */
  readonly scoringThreads: number
  readonly sampleSize: number
  readonly campaignMinDays: number
  readonly campaignModelsMax: number
  readonly seed: number
  readonly runnerId: string
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
  if (e.ADW_CLICKHOUSE_MAX_PENDING_RECORDS < e.ADW_SINK_BATCH_MAX_RECORDS) {
    // An insert takes at least one whole batch anyway; a smaller bound would only misstate how far Redis may run ahead.
    throw new AdwatchError('ADW_CONFIG_INVALID', `ADW_CLICKHOUSE_MAX_PENDING_RECORDS (${e.ADW_CLICKHOUSE_MAX_PENDING_RECORDS}) must be at least ADW_SINK_BATCH_MAX_RECORDS (${e.ADW_SINK_BATCH_MAX_RECORDS})`)
  }
  if (e.ADW_ALERTS_LEASE_RENEW_MS * 2 >= e.ADW_ALERTS_LEASE_TTL_MS) {
    throw new AdwatchError('ADW_CONFIG_INVALID', `ADW_ALERTS_LEASE_RENEW_MS (${e.ADW_ALERTS_LEASE_RENEW_MS}) must be less than half of ADW_ALERTS_LEASE_TTL_MS (${e.ADW_ALERTS_LEASE_TTL_MS})`)
  }
  if (e.ADW_ALERTS_RETRY_BASE_MS > e.ADW_ALERTS_RETRY_MAX_MS) {
    throw new AdwatchError('ADW_CONFIG_INVALID', `ADW_ALERTS_RETRY_BASE_MS (${e.ADW_ALERTS_RETRY_BASE_MS}) must not exceed ADW_ALERTS_RETRY_MAX_MS (${e.ADW_ALERTS_RETRY_MAX_MS})`)
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
      sinkBatchMaxRecords: e.ADW_SINK_BATCH_MAX_RECORDS,
      sinkBatchMaxWaitMs: e.ADW_SINK_BATCH_MAX_WAIT_MS,
      shardReadAheadRecords: e.ADW_SHARD_READ_AHEAD_RECORDS,
      clickhouseInsertIntervalMs: e.ADW_CLICKHOUSE_INSERT_INTERVAL_MS,
      clickhouseMaxPendingRecords: e.ADW_CLICKHOUSE_MAX_PENDING_RECORDS,
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
    alerts: {
      workerId: e.ADW_ALERTS_WORKER_ID === '' ? `${os.hostname()}-${process.pid}` : e.ADW_ALERTS_WORKER_ID,
      tickMs: e.ADW_ALERTS_TICK_MS,
      leaseTtlMs: e.ADW_ALERTS_LEASE_TTL_MS,
      leaseRenewMs: e.ADW_ALERTS_LEASE_RENEW_MS,
      groupWaitMs: e.ADW_ALERTS_GROUP_WAIT_MS,
      groupIntervalMs: e.ADW_ALERTS_GROUP_INTERVAL_MS,
      repeatIntervalMs: e.ADW_ALERTS_REPEAT_INTERVAL_MS,
      defaultReceiver: e.ADW_ALERTS_DEFAULT_RECEIVER as 'log' | 'none',
      retryBaseMs: e.ADW_ALERTS_RETRY_BASE_MS,
      retryMaxMs: e.ADW_ALERTS_RETRY_MAX_MS,
      maxAttempts: e.ADW_ALERTS_MAX_ATTEMPTS,
      breakerFailures: e.ADW_ALERTS_BREAKER_FAILURES,
      breakerOpenMs: e.ADW_ALERTS_BREAKER_OPEN_MS,
      httpTimeoutMs: e.ADW_ALERTS_HTTP_TIMEOUT_MS,
      deadLetterMax: e.ADW_ALERTS_DEAD_LETTER_MAX,
      secretsFile: e.ADW_ALERTS_SECRETS_FILE,
      secretEnv: new Map(Object.entries(env).filter(([k, v]) => k.startsWith(SECRET_VARIABLE_PREFIX) && v !== undefined && v !== '').map(([k, v]) => [k, new Secret(v as string)])),
      allowInsecureReceivers: e.ADW_ALERTS_ALLOW_INSECURE_RECEIVERS,
      dashboardUrl: e.ADW_ALERTS_DASHBOARD_URL === '' ? undefined : e.ADW_ALERTS_DASHBOARD_URL,
    },
    gateway: {
      host: e.ADW_GATEWAY_HOST,
      port: e.ADW_GATEWAY_PORT,
      trustProxy: e.ADW_GATEWAY_TRUST_PROXY,
      bodyLimitBytes: e.ADW_GATEWAY_BODY_LIMIT_BYTES,
      rateLimit: { windowMs: e.ADW_GATEWAY_RATE_LIMIT_WINDOW_MS, perKey: e.ADW_GATEWAY_RATE_LIMIT_KEY_MAX, perIp: e.ADW_GATEWAY_RATE_LIMIT_IP_MAX },
      pushIntervalMs: e.ADW_GATEWAY_PUSH_INTERVAL_MS,
      maxSubscriptionsPerSocket: e.ADW_GATEWAY_MAX_SUBSCRIPTIONS,
      listCacheMs: e.ADW_GATEWAY_LIST_CACHE_MS,
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
    detectors: {
      tickMs: e.ADW_DETECT_TICK_MS,
      levels: [...e.ADW_DETECT_LEVELS] as DetectorsConfig['levels'],
      detectors: [...e.ADW_DETECT_DETECTORS],
      threshold: e.ADW_DETECT_THRESHOLD,
      closeLagMs: e.ADW_DETECT_CLOSE_LAG_MS,
      activeWindowMin: e.ADW_DETECT_ACTIVE_WINDOW_MIN,
      warmupMin: e.ADW_DETECT_WARMUP_MIN,
      maxCatchUpMin: e.ADW_DETECT_MAX_CATCH_UP_MIN,
      trainDays: e.ADW_DETECT_TRAIN_DAYS,
      retrainHours: e.ADW_DETECT_RETRAIN_HOURS,
      newEntityRetrainMin: e.ADW_DETECT_NEW_ENTITY_RETRAIN_MIN,
      scoreTtlSec: e.ADW_DETECT_SCORE_TTL_SEC,
      scoreHistoryDays: e.ADW_DETECT_SCORE_HISTORY_DAYS,
      trees: e.ADW_DETECT_TREES,
      scoringThreads: e.ADW_DETECT_SCORING_THREADS,
      sampleSize: e.ADW_DETECT_SAMPLE_SIZE,
      campaignMinDays: e.ADW_DETECT_CAMPAIGN_MIN_DAYS,
      campaignModelsMax: e.ADW_DETECT_CAMPAIGN_MODELS_MAX,
      seed: e.ADW_DETECT_SEED,
      runnerId: e.ADW_DETECT_RUNNER_ID === '' ? `${os.hostname()}-${process.pid}` : e.ADW_DETECT_RUNNER_ID,
    },
    logLevel: e.ADW_LOG_LEVEL as AdwatchConfig['logLevel'],
  })
}

/** Prefix of the receiver-secret variables, `ADW_ALERTS_SECRET_<TENANT>_<NAME>` (see alerts/secrets.ts). */
export const SECRET_VARIABLE_PREFIX = 'ADW_ALERTS_SECRET_'

/**
 * A secret value (a webhook URL with its token, a routing key). It prints, logs and
 * serialises as "[redacted]"; only `reveal()` gives the value, at the moment it is used.
 */
export class Secret {
  readonly #value: string

  constructor(value: string) {
    this.#value = value
  }

  reveal(): string {
    return this.#value
  }

  toString(): string {
    return '[redacted]'
  }

  toJSON(): string {
    return '[redacted]'
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'Secret([redacted])'
  }
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
