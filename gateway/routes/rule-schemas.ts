import type { StoredRuleDto } from '../api-types.ts'
import type { StoredRule } from '../../rules/rule-model.ts'
import { RULE_SCHEMA } from '../../rules/rule-schema.ts'

/**
 * JSON Schemas of the rules routes. A rule body is only checked to be an object here:
 * rules/validate-rule.ts judges it, so every problem is answered at its JSON path in the rule
 * (`$.conditions.all[0].fact`) rather than as the first schema error of the request.
 */

/** A rule id, as rules/rule-schema.ts allows them. */
export const ruleIdSchema = RULE_SCHEMA.properties.id

export const ruleBodySchema = { type: 'object', description: 'an alert rule (docs/rules.md)' } as const

export const ruleProblemSchema = {
  type: 'object',
  properties: { path: { type: 'string' }, message: { type: 'string' } },
  required: ['path', 'message'],
} as const

export const storedRuleSchema = {
  type: 'object',
  properties: {
    rule: { type: 'object', additionalProperties: true },
    version: { type: 'integer' },
    author: { type: 'string' },
    savedAt: { type: 'string' },
  },
  required: ['rule', 'version', 'author', 'savedAt'],
} as const

export const validationSchema = {
  type: 'object',
  properties: { ok: { type: 'boolean' }, problems: { type: 'array', items: ruleProblemSchema } },
  required: ['ok', 'problems'],
} as const

const nullableNumberMap = { type: 'object', additionalProperties: { type: ['number', 'null'] } } as const

/** The backtest report (rules/backtest-service.ts BacktestReport). */
export const backtestReportSchema = {
  type: 'object',
  properties: {
    tenant: { type: 'string' },
    ruleId: { type: 'string' },
    ruleVersion: { type: 'integer' },
    level: { type: 'string' },
    fromMs: { type: 'number' },
    toMs: { type: 'number' },
    stepMs: { type: 'number' },
    intervals: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          entity: { type: 'string' },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          startMs: { type: 'number' },
          endMs: { type: ['number', 'null'] },
          firingMinutes: { type: 'integer' },
          spend: { type: 'number' },
          peaks: nullableNumberMap,
          lows: nullableNumberMap,
        },
        required: ['entity', 'labels', 'startMs', 'endMs', 'firingMinutes', 'spend', 'peaks', 'lows'],
      },
    },
    truncated: { type: 'boolean' },
    totals: {
      type: 'object',
      properties: {
        entities: { type: 'integer' },
        entitiesFired: { type: 'integer' },
        intervals: { type: 'integer' },
        openIntervals: { type: 'integer' },
        firingMinutes: { type: 'integer' },
        spendDuringIntervals: { type: 'number' },
        spend: { type: 'number' },
        evaluations: { type: 'integer' },
      },
      required: ['entities', 'entitiesFired', 'intervals', 'openIntervals', 'firingMinutes', 'spendDuringIntervals', 'spend', 'evaluations'],
    },
    unavailableFacts: { type: 'array', items: { type: 'string' } },
    stats: {
      type: 'object',
      properties: {
        slices: { type: 'integer' },
        rowsRead: { type: 'integer' },
        bytesRead: { type: 'integer' },
        waitMs: { type: 'number' },
        replayMs: { type: 'number' },
        totalMs: { type: 'number' },
      },
      required: ['slices', 'rowsRead', 'bytesRead', 'waitMs', 'replayMs', 'totalMs'],
    },
  },
  required: ['tenant', 'ruleId', 'level', 'fromMs', 'toMs', 'stepMs', 'intervals', 'truncated', 'totals', 'unavailableFacts', 'stats'],
} as const

/** A stored rule as the API shows it. */
export function storedRuleDto(s: StoredRule): StoredRuleDto {
  return { rule: s.rule, version: s.version, author: s.author, savedAt: new Date(s.savedAtMs).toISOString() }
}
