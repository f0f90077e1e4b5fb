import { levelSchema } from './schemas.ts'

/**
 * JSON Schemas of the alert, silence and routing-config routes: the shapes of api-types.ts
 * (AlertDto, AlertTransitionDto, SilenceDto, RoutingConfigDto) for validation, serialisation
 * and the OpenAPI document.
 */

const nullableString = { type: ['string', 'null'] } as const
const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const
const valueMap = { type: 'object', additionalProperties: { type: ['number', 'string', 'null'] } } as const

export const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const
export const MATCHER_OPERATORS = ['=', '!=', '=~', '!~'] as const
/** Prometheus label names, as alerts/matchers.ts checks them (the silence store checks again). */
const LABEL_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$'

/** A fingerprint (alerts/alert-event.ts `fingerprintOf`: 16 hex digits). */
export const fingerprintParams = {
  type: 'object',
  properties: { fingerprint: { type: 'string', pattern: '^[0-9a-f]{16}$', description: 'the alert identity' } },
  required: ['fingerprint'],
} as const

export const alertSchema = {
  type: 'object',
  properties: {
    fingerprint: { type: 'string' },
    source: { type: 'string', enum: ['rule', 'detector'] },
    sourceId: { type: 'string' },
    level: levelSchema,
    entity: { type: 'string' },
    account: nullableString,
    campaign: nullableString,
    severity: { type: 'string', enum: SEVERITIES },
    state: { type: 'string', enum: ['pending', 'firing', 'resolved'] },
    explanation: { type: 'string' },
    labels: stringMap,
    annotations: stringMap,
    values: valueMap,
    startsAt: { type: 'string' },
    endsAt: nullableString,
    updatedAt: { type: 'string' },
    acknowledgedBy: nullableString,
    acknowledgedAt: nullableString,
    silencedBy: { type: 'array', items: { type: 'string' } },
  },
  required: ['fingerprint', 'source', 'sourceId', 'level', 'entity', 'account', 'campaign', 'severity', 'state', 'explanation', 'labels', 'annotations', 'values', 'startsAt', 'endsAt', 'updatedAt', 'acknowledgedBy', 'acknowledgedAt', 'silencedBy'],
} as const

export const transitionSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    fingerprint: { type: 'string' },
    kind: { type: 'string', enum: ['pending', 'firing', 'resolved', 'cancelled'] },
    source: { type: 'string' },
    sourceId: { type: 'string' },
    sourceVersion: { type: 'integer' },
    level: { type: 'string' },
    entity: { type: 'string' },
    account: nullableString,
    campaign: nullableString,
    severity: { type: 'string' },
    labels: stringMap,
    values: valueMap,
    explanation: { type: 'string' },
    at: { type: 'string' },
    startsAt: { type: 'string' },
    endsAt: nullableString,
  },
  required: ['id', 'fingerprint', 'kind', 'source', 'sourceId', 'sourceVersion', 'level', 'entity', 'account', 'campaign', 'severity', 'labels', 'values', 'explanation', 'at', 'startsAt', 'endsAt'],
} as const

/** A page without a total: `hasMore` says whether the next page has rows. */
export function cursorPageSchema<T extends object>(item: T) {
  return {
    type: 'object',
    properties: { items: { type: 'array', items: item }, limit: { type: 'integer' }, offset: { type: 'integer' }, hasMore: { type: 'boolean' } },
    required: ['items', 'limit', 'offset', 'hasMore'],
  } as const
}

export const matcherSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', pattern: LABEL_NAME_PATTERN, maxLength: 100 },
    op: { type: 'string', enum: MATCHER_OPERATORS },
    value: { type: 'string', maxLength: 1024 },
  },
  required: ['name', 'op', 'value'],
  additionalProperties: false,
} as const

export const silenceSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    matchers: { type: 'array', items: matcherSchema },
    startsAt: { type: 'string' },
    endsAt: { type: 'string' },
    comment: { type: 'string' },
    createdBy: { type: 'string' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    state: { type: 'string', enum: ['pending', 'active', 'expired'] },
  },
  required: ['id', 'matchers', 'startsAt', 'endsAt', 'comment', 'createdBy', 'createdAt', 'updatedAt', 'state'],
} as const

export const routingConfigSchema = {
  type: 'object',
  properties: {
    config: { type: ['object', 'null'], additionalProperties: true, description: 'receivers, route, group, inhibit_rules (docs/alerts.md); null: the default receiver applies' },
    version: { type: 'integer' },
    author: nullableString,
    savedAt: nullableString,
  },
  required: ['config', 'version', 'author', 'savedAt'],
} as const

export const configValidationSchema = {
  type: 'object',
  properties: {
    ok: { type: 'boolean' },
    problems: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, field: { type: 'string' }, message: { type: 'string' } }, required: ['path', 'field', 'message'] } },
  },
  required: ['ok', 'problems'],
} as const
