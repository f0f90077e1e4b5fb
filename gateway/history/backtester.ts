import { BacktestReadError } from '../../rules/backtest-errors.ts'
import type { RollupSlice, RollupSliceRequest, RollupSource } from '../../rules/backtest-reader.ts'
import { BacktestService, type BacktestReport, type BacktestRequest, type BacktestServiceDeps } from '../../rules/backtest-service.ts'
import type { Backtester } from '../deps.ts'
import { BacktestBusyError, BacktestTimeoutError, UnavailableError } from '../errors.ts'

/** Bounds of the gateway's backtests. */
export interface BacktestLimits {
  /** A backtest still running after this long is stopped (at its next slice read) and answered 503. */
  readonly timeoutMs: number
  /** Backtests running at once in this gateway; more are answered 429. */
  readonly maxConcurrent: number
}

/** Default bounds: a minute, and one backtest per core of the 2-core machine. */
export const DEFAULT_BACKTEST_LIMITS: BacktestLimits = { timeoutMs: 60_000, maxConcurrent: 2 }

/**
 * Runs rules/backtest-service.ts for the gateway within bounds: at most `maxConcurrent` at
 * once, and each stopped once it runs past `timeoutMs`. The service reads a slice (a UTC day)
 * at a time, so the rollup source given to each run refuses reads after the deadline and the
 * run ends within one slice's replay of it. ClickHouse failures become 503.
 */
export class GatewayBacktester implements Backtester {
  private running = 0

  constructor(
    private readonly deps: BacktestServiceDeps,
    private readonly limits: BacktestLimits = DEFAULT_BACKTEST_LIMITS,
  ) {}

  async run(req: BacktestRequest): Promise<BacktestReport> {
    if (this.running >= this.limits.maxConcurrent) throw new BacktestBusyError(this.running)
    this.running++
    const timeout = new BacktestTimeoutError(this.limits.timeoutMs)
    const deadline = performance.now() + this.limits.timeoutMs
    let timedOut = false
    const rollups: RollupSource = {
      readSlice: (r: RollupSliceRequest): Promise<RollupSlice> => {
        if (performance.now() > deadline) {
          timedOut = true
          return Promise.reject(timeout)
        }
        return this.deps.rollups.readSlice(r)
      },
    }
    try {
      // A run whose last slice was read before the deadline is complete, even if it ends after it.
      return await new BacktestService({ ...this.deps, rollups }).run(req)
    } catch (err) {
      if (timedOut) throw timeout
      if (err instanceof BacktestReadError) throw new UnavailableError('ClickHouse (the minute rollups)', { cause: err })
      throw err
    } finally {
      this.running--
    }
  }
}
