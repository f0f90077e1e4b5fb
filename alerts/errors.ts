import { AdwatchError, type ErrorCode } from '../core/errors.ts'

/** One problem in a routing config: where (JSON path from `$`) and what is wrong. */
export interface ConfigProblem {
  readonly path: string
  readonly message: string
}

/** A routing config failed validation; `problems` names each JSON path. */
export class RoutingConfigError extends AdwatchError {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super('ADW_ALERT_ROUTING_INVALID', `routing config invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`)
  }
}

/** A silence or acknowledgement request is invalid; `field` names what to fix. */
export class SilenceInvalidError extends AdwatchError {
  constructor(readonly field: string, reason: string) {
    super('ADW_ALERT_SILENCE_INVALID', `${field}: ${reason}`)
  }
}

/** No such alert, silence or dead letter in the tenant. */
export class AlertNotFoundError extends AdwatchError {
  constructor(what: string) {
    super('ADW_ALERT_NOT_FOUND', `${what} not found`)
  }
}

/** A Redis or ClickHouse call of the alerts process failed; retried on the next tick. */
export class AlertStoreError extends AdwatchError {
  constructor(detail: string, options?: ErrorOptions) {
    super('ADW_ALERT_STORE', detail, { ...options, retryable: true })
  }
}

/** A tenant's commit was refused because this process no longer holds its lease. */
export class AlertLeaseLostError extends AdwatchError {
  constructor(readonly tenant: string) {
    super('ADW_ALERT_LEASE_LOST', `lease of tenant "${tenant}" lost; another alerts process handles it now`)
  }
}

/**
 * A notifier failed. `retryable` says whether sending the same notification later can
 * succeed (the retry stage retries only those); `retryAfterMs` is the receiver's own hint
 * (HTTP Retry-After); `status` is the HTTP status when there was one.
 */
export class NotifyError extends AdwatchError {
  constructor(
    code: Extract<ErrorCode, `ADW_NOTIFY_${string}`>,
    message: string,
    options: ErrorOptions & { retryable: boolean; retryAfterMs?: number; status?: number },
  ) {
    super(code, message, options)
    this.retryAfterMs = options.retryAfterMs
    this.status = options.status
  }

  readonly retryAfterMs: number | undefined
  readonly status: number | undefined
}
