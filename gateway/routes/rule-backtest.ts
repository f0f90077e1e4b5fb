import type { FastifyPluginAsync } from 'fastify'
import { BacktestInvalidError } from '../../rules/backtest-errors.ts'
import { MAX_BACKTEST_DAYS } from '../../rules/backtest.ts'
import { RuleInvalidError, RuleNotFoundError } from '../../rules/errors.ts'
import type { BacktestRequest, BacktestResultDto } from '../api-types.ts'
import type { Backtester } from '../deps.ts'
import { InvalidRequestError, NotFoundError, RuleRejectedError } from '../errors.ts'
import { principalOf } from '../plugins/auth.ts'
import { backtestReportSchema, ruleBodySchema, ruleIdSchema } from './rule-schemas.ts'
import { errorResponses } from './schemas.ts'

export interface RuleBacktestRoutesOptions {
  readonly backtests: Backtester
}

/** Days a backtest replays when the request does not say. */
export const DEFAULT_BACKTEST_DAYS = 7

/**
 * `POST /rules/backtest`: replays a draft rule (or a saved version) over the last `days` days
 * of the tenant's minute rollups with the live semantics (rules/backtest-service.ts) and answers
 * the intervals it would have fired. Days are 1–31; the backtester bounds time and concurrency.
 * Read-only, so viewers may run it (the dashboard's editor does, before saving).
 */
export const ruleBacktestRoutes: FastifyPluginAsync<RuleBacktestRoutesOptions> = async (app, opts) => {
  app.post<{ Body: BacktestRequest }>('/rules/backtest', {
    config: { access: { role: 'viewer' } },
    schema: {
      tags: ['rules'],
      summary: 'Backtest a draft rule (or a saved version) over the last days of minute rollups',
      body: {
        type: 'object',
        properties: {
          rule: ruleBodySchema,
          ruleId: ruleIdSchema,
          version: { type: 'integer', minimum: 1 },
          days: { type: 'integer', minimum: 1, maximum: MAX_BACKTEST_DAYS, default: DEFAULT_BACKTEST_DAYS },
        },
        oneOf: [{ required: ['rule'] }, { required: ['ruleId'] }],
        additionalProperties: false,
      },
      response: { 200: backtestReportSchema, ...errorResponses(404) },
    },
    handler: async (req): Promise<BacktestResultDto> => {
      const tenant = principalOf(req).tenant
      const b = req.body
      if ('rule' in b && 'version' in b) throw new InvalidRequestError('body/version', 'goes with ruleId, not with a draft rule')
      try {
        return await opts.backtests.run('rule' in b ? { tenant, days: b.days, rule: b.rule } : { tenant, days: b.days, ruleId: b.ruleId, ...(b.version === undefined ? {} : { version: b.version }) })
      } catch (err) {
        if (err instanceof RuleInvalidError) throw new RuleRejectedError(err.problems)
        if (err instanceof RuleNotFoundError) throw new NotFoundError(`rule ${'ruleId' in b ? b.ruleId : ''}`)
        if (err instanceof BacktestInvalidError) throw new InvalidRequestError('ruleId' in b ? 'body/version' : 'body', err.message)
        throw err
      }
    },
  })
}
