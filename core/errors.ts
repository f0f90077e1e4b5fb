/**
 * Base error of adwatch: every error a user can see carries a stable `code` from the
 * catalogue below, a message that says what was wrong and what to do, and the original
 * error as `cause` when it wraps one.
 */
export class AdwatchError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: ErrorOptions & { retryable?: boolean },
  ) {
    super(message, options)
    this.name = new.target.name
    this.retryable = options?.retryable ?? false
  }

  /** Whether doing the same thing again later can succeed (a server down, a throttle). */
  readonly retryable: boolean
}

/**
 * The catalogue of error codes, with the sentence documented for each. A unit test checks
 * that every code is listed in docs/errors.md.
 */
export const ERROR_CODES = {
  ADW_CONFIG_INVALID: 'An environment variable is missing or malformed; the message names it and its expected form.',
  ADW_STREAM_EVENT_INVALID: 'A record failed the event contract; it went to the dead-letter table with the reason.',
  ADW_STREAM_LEASE_LOST: 'The worker lost a shard lease (expired or taken over); it stops reading that shard without writing.',
  ADW_STREAM_FENCED: 'A sink write was refused because the lease token is no longer current; another worker owns the shard.',
  ADW_STREAM_KINESIS: 'A Kinesis call failed; retryable errors (throttling, timeouts) are retried with backoff.',
  ADW_STREAM_REDIS: 'A Redis call failed; the batch is retried from the last checkpoint.',
  ADW_STREAM_CLICKHOUSE: 'A ClickHouse call failed; the batch is retried from the last checkpoint after backoff.',
  ADW_STREAM_NOT_FOUND: 'The Kinesis stream does not exist; create it or set ADW_KINESIS_STREAM.',
  ADW_SETTINGS_INVALID: 'A campaign or account setting is invalid (a negative budget, an unknown time zone).',
  ADW_RULE_INVALID: 'A rule failed validation; each problem names its JSON path and what would be valid.',
  ADW_RULE_EXISTS: 'A rule was created with an id the tenant already uses.',
  ADW_RULE_NOT_FOUND: 'No rule (or rule version) with that id exists for the tenant.',
  ADW_BACKTEST_INVALID: 'A backtest request is out of bounds (days, time range) or names no rule; the message says what fits.',
  ADW_BACKTEST_READ: 'Reading the minute rollups for a backtest failed or ClickHouse answered unexpectedly; retrying can help.',
  ADW_CH_MIGRATION: 'A ClickHouse migration failed; the message names the file and statement.',
  ADW_SQL_VALUE: 'A value cannot be written into SQL (NaN, Infinity, an unsupported type).',
  ADW_GATEWAY_INVALID_REQUEST: 'A request failed its JSON Schema or a check of the route; the message names the field.',
  ADW_GATEWAY_NOT_FOUND: 'No such route, or no such resource in the caller\'s tenant.',
  ADW_GATEWAY_CONFLICT: 'The request conflicts with the resource\'s state (a dead letter already replayed, or not replayable).',
  ADW_GATEWAY_PAYLOAD_TOO_LARGE: 'The request body is over the route\'s limit (5 MiB for event batches, ADW_GATEWAY_BODY_LIMIT_BYTES otherwise).',
  ADW_GATEWAY_UNSUPPORTED_MEDIA_TYPE: 'The request body is not application/json.',
  ADW_GATEWAY_RATE_LIMITED: 'Too many requests for this API key, JWT subject or IP in the window; retry after the Retry-After header.',
  ADW_GATEWAY_UNAVAILABLE: 'A store the route needs (Redis, ClickHouse, Kinesis) failed or timed out; retrying later can succeed.',
  ADW_GATEWAY_INTERNAL: 'An unexpected gateway error; details are in the gateway log under the request id.',
  ADW_AUTH_MISSING: 'The request or socket handshake carries no credentials (Authorization: Bearer, or X-API-Key).',
  ADW_AUTH_INVALID: 'The credentials are not valid: a forged, expired or malformed JWT, a JWT without tenant or role claims, or an unknown or revoked API key.',
  ADW_AUTH_FORBIDDEN: 'The credentials are valid but their role is too low, their tenant is not registered, or the request names another tenant.',
  ADW_DETECT_MODEL: 'A detector model cannot be trained or loaded (bad options, malformed or truncated stored model).',
  ADW_DETECT_UNKNOWN: 'A detector name is not one of the registered detectors; the message names where it came from and lists them.',
  ADW_DETECT_INPUT: 'A row of a series to score is malformed (missing column, unparseable timestamp or value); the message names the row.',
  ADW_DETECT_STORE: 'A detector read or write against Redis or ClickHouse failed; the runner retries on its next tick.',
  ADW_NOTIFY_FAILED: 'A receiver could not be reached or answered 408/5xx; the outbox retries it with backoff.',
  ADW_NOTIFY_RATE_LIMITED: 'A receiver answered 429; the outbox waits for its Retry-After (or backoff) and retries.',
  ADW_NOTIFY_REJECTED: 'A receiver refused the notification (4xx other than 408/429); it goes to the dead-letter list without retries.',
  ADW_NOTIFY_CIRCUIT_OPEN: 'The receiver\'s circuit breaker is open after repeated failures; notifications wait for its half-open probe.',
  ADW_NOTIFY_SECRET_MISSING: 'A receiver names a secret that is neither in the secrets file nor in an ADW_ALERTS_SECRET_* variable.',
  ADW_NOTIFY_RECEIVER_UNKNOWN: 'A queued notification names a receiver that the tenant\'s routing config no longer has.',
  ADW_ALERT_ROUTING_INVALID: 'A routing config failed validation; each problem names its JSON path and what would be valid.',
  ADW_ALERT_SILENCE_INVALID: 'A silence or acknowledgement is invalid (bad matcher or regex, end before start, no author).',
  ADW_ALERT_NOT_FOUND: 'No such alert, silence or dead-lettered notification in the tenant.',
  ADW_ALERT_STORE: 'An alerts read or write against Redis or ClickHouse failed; the alerts process retries on its next tick.',
  ADW_ALERT_LEASE_LOST: 'The alerts process lost a tenant\'s lease (expired or taken over); it stops handling that tenant without writing.',
} as const

export type ErrorCode = keyof typeof ERROR_CODES

/** True when retrying the failed operation later can succeed. */
export function isRetryable(err: unknown): boolean {
  return err instanceof AdwatchError && err.retryable
}
