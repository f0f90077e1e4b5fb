import { LEVELS } from '../../stream/event.ts'
import { ROLES } from '../auth/principal.ts'

/**
 * JSON Schemas shared by the route groups: validation of input, fast serialisation of output,
 * and the OpenAPI document. They describe the shapes of api-types.ts.
 */

export const entityIdSchema = { type: 'string', minLength: 1, maxLength: 256 } as const
export const levelSchema = { type: 'string', enum: LEVELS } as const

/** Params of a route about one entity: `/:level/:id`. */
export const entityParamsSchema = { type: 'object', properties: { level: levelSchema, id: entityIdSchema }, required: ['level', 'id'] } as const

/** Querystring properties of a time range (parse with parseInstant; the route applies the defaults). */
export const timeRangeQueryProperties = {
  from: { type: 'string', maxLength: 40, description: 'ISO-8601 or epoch ms; default: `to` minus one hour' },
  to: { type: 'string', maxLength: 40, description: 'ISO-8601 or epoch ms; default: now' },
} as const
export const roleSchema = { type: 'string', enum: ROLES } as const

const nullableNumber = { type: ['number', 'null'] } as const
const nullableString = { type: ['string', 'null'] } as const

export const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        field: { type: 'string' },
        requestId: { type: 'string' },
        problems: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } }, required: ['path', 'message'] } },
      },
      required: ['code', 'message', 'requestId'],
    },
  },
  required: ['error'],
} as const

/** Error answers every /api route may give (the status codes listed are documented). */
export function errorResponses(...statuses: number[]): Record<string, typeof errorSchema> {
  return Object.fromEntries([400, 401, 403, 429, 500, 503, ...statuses].map((s) => [String(s), errorSchema]))
}

export const windowMetricsSchema = {
  type: 'object',
  properties: {
    impressions: { type: 'number' },
    clicks: { type: 'number' },
    spendMicros: { type: 'number' },
    conversions: { type: 'number' },
    revenueMicros: { type: 'number' },
    ctr: nullableNumber,
    cpcMicros: nullableNumber,
    cpmMicros: nullableNumber,
    cpaMicros: nullableNumber,
    roas: nullableNumber,
  },
  required: ['impressions', 'clicks', 'spendMicros', 'conversions', 'revenueMicros', 'ctr', 'cpcMicros', 'cpmMicros', 'cpaMicros', 'roas'],
} as const

export const windowsSchema = {
  type: 'object',
  properties: { '1m': windowMetricsSchema, '5m': windowMetricsSchema, '15m': windowMetricsSchema, '1h': windowMetricsSchema, today: windowMetricsSchema },
  required: ['1m', '5m', '15m', '1h', 'today'],
} as const

export const pacingSchema = {
  type: ['object', 'null'],
  properties: {
    dailyBudgetMicros: { type: 'number' },
    spendTodayMicros: { type: 'number' },
    remainingMicros: { type: 'number' },
    dayElapsedShare: { type: 'number' },
    pacing: nullableNumber,
    projectedExhaustionAt: nullableString,
    exhaustsToday: { type: 'boolean' },
  },
} as const

export const campaignSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    account: nullableString,
    name: nullableString,
    dailyBudgetMicros: nullableNumber,
    timeZone: { type: 'string' },
    today: { type: 'string' },
    windows: windowsSchema,
    pacing: pacingSchema,
  },
  required: ['id', 'account', 'name', 'dailyBudgetMicros', 'timeZone', 'today', 'windows', 'pacing'],
} as const

export const accountSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, name: nullableString, timeZone: { type: 'string' }, today: { type: 'string' }, windows: windowsSchema },
  required: ['id', 'name', 'timeZone', 'today', 'windows'],
} as const

/** A page of `item`s. */
export function pageSchema<T extends object>(item: T) {
  return {
    type: 'object',
    properties: { items: { type: 'array', items: item }, total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' } },
    required: ['items', 'total', 'limit', 'offset'],
  } as const
}

export const pagingQuerySchema = {
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
} as const
