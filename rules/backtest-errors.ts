import { AdwatchError } from '../core/errors.ts'

/** A backtest request is out of bounds (days, range) or names no rule; the message says what fits. */
export class BacktestInvalidError extends AdwatchError {
  constructor(message: string) {
    super('ADW_BACKTEST_INVALID', message)
  }
}

/** Reading the rollups for a backtest failed (ClickHouse down, timed out, or an unexpected answer). */
export class BacktestReadError extends AdwatchError {
  constructor(message: string, options?: ErrorOptions & { retryable?: boolean }) {
    super('ADW_BACKTEST_READ', message, options)
  }
}
