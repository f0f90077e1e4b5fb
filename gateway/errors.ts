import { AdwatchError, type ErrorCode } from '../core/errors.ts'
import type { RuleProblem } from '../rules/validate-rule.ts'

/**
 * Errors the gateway answers with: each has a stable code and an HTTP status. `field` names the
 * bad input (`body/events/3/clicks`) when there is one. Messages go to clients as they are, so
 * they never carry stack traces or another tenant's data.
 */
export class GatewayError extends AdwatchError {
  constructor(
    code: ErrorCode,
    readonly statusCode: number,
    message: string,
    options?: ErrorOptions & { retryable?: boolean; field?: string; problems?: readonly RuleProblem[] },
  ) {
    super(code, message, options)
    this.field = options?.field
    this.problems = options?.problems
  }

  readonly field: string | undefined
  /** Every problem of an invalid rule, answered as `error.problems`. */
  readonly problems: readonly RuleProblem[] | undefined
}

/** 400: input that passed the schema but not a check of the route. */
export class InvalidRequestError extends GatewayError {
  constructor(field: string, reason: string) {
    super('ADW_GATEWAY_INVALID_REQUEST', 400, `${field} ${reason}`, { field })
  }
}

/** 404: nothing of that name in the caller's tenant (another tenant's look the same). */
export class NotFoundError extends GatewayError {
  constructor(what: string) {
    super('ADW_GATEWAY_NOT_FOUND', 404, `${what} not found`)
  }
}

/** 409: the resource's state does not allow the request. */
export class ConflictError extends GatewayError {
  constructor(message: string) {
    super('ADW_GATEWAY_CONFLICT', 409, message)
  }
}

/** 503: a store the route needs failed; retrying later can succeed. */
export class UnavailableError extends GatewayError {
  constructor(store: string, options: ErrorOptions) {
    super('ADW_GATEWAY_UNAVAILABLE', 503, `${store} is unavailable; retry later`, { ...options, retryable: true })
  }
}

/** 401: no credentials. */
export class AuthMissingError extends GatewayError {
  constructor() {
    super('ADW_AUTH_MISSING', 401, 'credentials required: send "Authorization: Bearer <JWT or API key>" or "X-API-Key: <key>"')
  }
}

/** 401: credentials that are not valid (forged, expired, revoked, without claims). */
export class AuthInvalidError extends GatewayError {
  constructor(reason: string, options?: ErrorOptions) {
    super('ADW_AUTH_INVALID', 401, `invalid credentials: ${reason}`, options)
  }
}

/** 403: valid credentials without the right to this. */
export class ForbiddenError extends GatewayError {
  constructor(reason: string) {
    super('ADW_AUTH_FORBIDDEN', 403, `forbidden: ${reason}`)
  }
}

/** 400: a rule failed validation; `field` is the first problem's JSON path (`$` is the rule). */
export class RuleRejectedError extends GatewayError {
  constructor(problems: readonly RuleProblem[]) {
    const first = problems[0] ?? { path: '$', message: 'is invalid' }
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''} in error.problems)` : ''
    super('ADW_RULE_INVALID', 400, `rule is invalid: ${first.path} ${first.message}${more}`, { field: first.path, problems })
  }
}

/** 429: this gateway runs as many backtests as it may at once. */
export class BacktestBusyError extends GatewayError {
  constructor(running: number) {
    super('ADW_GATEWAY_RATE_LIMITED', 429, `${running} backtests are running on this gateway, its limit; retry in a few seconds`, { retryable: true })
  }
}

/** 503: a backtest did not finish in time (it was stopped). */
export class BacktestTimeoutError extends GatewayError {
  constructor(timeoutMs: number) {
    super('ADW_GATEWAY_UNAVAILABLE', 503, `the backtest did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped; backtest fewer days, or retry when the server is less busy`, { retryable: true })
  }
}
