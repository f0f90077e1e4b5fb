import { LEVELS } from '../stream/event.ts'
import { NO_DATA_POLICIES, SEVERITIES } from './rule-model.ts'

const DURATION = { type: 'string', pattern: '^(?:\\d+d)?(?:\\d+h)?(?:\\d+m)?(?:\\d+s)?$', minLength: 2 } as const
const ID_LIST = { type: 'array', items: { type: 'string', minLength: 1, maxLength: 256 }, maxItems: 1000 } as const
const STRING_MAP = { type: 'object', additionalProperties: { type: 'string', maxLength: 1024 }, propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' } } as const

/**
 * JSON Schema of a rule's envelope (everything but the inside of `conditions`, which
 * validate-rule.ts walks itself so each error names the exact condition and what fits there).
 * The dashboard's editor uses it for completion.
 */
export const RULE_SCHEMA = {
  $id: 'https://adwatch.dev/schemas/rule.json',
  type: 'object',
  required: ['id', 'name', 'level', 'severity', 'conditions'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: '^[a-z0-9][a-z0-9_.-]{0,127}$' },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    level: { enum: LEVELS },
    severity: { enum: SEVERITIES },
    for: DURATION,
    keep_firing_for: DURATION,
    every: DURATION,
    enabled: { type: 'boolean' },
    no_data: { enum: NO_DATA_POLICIES },
    labels: STRING_MAP,
    annotations: {
      type: 'object',
      additionalProperties: false,
      properties: { summary: { type: 'string', maxLength: 1024 }, description: { type: 'string', maxLength: 8192 } },
    },
    scope: {
      type: 'object',
      additionalProperties: false,
      properties: {
        accounts: ID_LIST,
        platforms: ID_LIST,
        matchers: {
          type: 'array',
          maxItems: 50,
          items: {
            type: 'object',
            required: ['name', 'op', 'value'],
            additionalProperties: false,
            properties: {
              name: { enum: ['level', 'platform', 'account', 'campaign', 'adset', 'entity'] },
              op: { enum: ['=', '!=', '=~', '!~'] },
              value: { type: 'string', maxLength: 1024 },
            },
          },
        },
      },
    },
    conditions: { type: 'object' },
    shared_conditions: { type: 'object', additionalProperties: { type: 'object' }, propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_-]{0,63}$' } },
  },
} as const
