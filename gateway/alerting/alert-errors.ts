import { AlertNotFoundError, RoutingConfigError, SilenceInvalidError } from '../../alerts/index.ts'
import { AdwatchError } from '../../core/errors.ts'
import { ConflictError, InvalidRequestError, NotFoundError, UnavailableError } from '../errors.ts'
import { fieldOfJsonPath } from './alert-dto.ts'

/**
 * Runs a call into the alerts part's stores and answers its errors as the gateway's: no such
 * alert or silence in the tenant → 404; an invalid silence → 400 naming the request field
 * (`fieldOf` maps the store's field, e.g. `matchers[2]` → `body/matchers/2/value`); an invalid
 * routing config → 400 naming the first problem's path (the message lists them all); a store
 * that failed (ADW_ALERT_STORE) → 503.
 */
export async function callAlerts<T>(run: () => Promise<T>, fieldOf: (storeField: string) => string = (f) => `body/${f}`): Promise<T> {
  try {
    return await run()
  } catch (err) {
    throw translateAlertError(err, fieldOf)
  }
}

/** The gateway error for an alerts-part error (others pass through unchanged). */
export function translateAlertError(err: unknown, fieldOf: (storeField: string) => string): unknown {
  if (err instanceof AlertNotFoundError) return new NotFoundError(err.message.replace(/ not found$/, ''))
  if (err instanceof SilenceInvalidError) {
    const field = fieldOf(err.field)
    return new InvalidRequestError(field, err.message.slice(err.field.length + 2))
  }
  if (err instanceof RoutingConfigError) {
    const first = err.problems[0]
    return new InvalidRequestError(first === undefined ? 'body' : fieldOfJsonPath(first.path), `is invalid: ${err.problems.map((p) => `${fieldOfJsonPath(p.path)} ${p.message}`).join('; ')}`)
  }
  if (err instanceof AdwatchError && err.code === 'ADW_ALERT_STORE') return new UnavailableError('the alert store', { cause: err })
  return err
}

/** 409 for an acknowledgement of an alert that is not firing. */
export function notFiring(fingerprint: string, state: string): ConflictError {
  return new ConflictError(`alert ${fingerprint} is ${state}; only a firing alert can be acknowledged`)
}
