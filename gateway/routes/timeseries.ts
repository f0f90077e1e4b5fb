import type { FastifyPluginAsync } from 'fastify'
import { parseTimestamp } from '../../stream/decode.ts'
import type { Level } from '../../stream/event.ts'
import type { EntityCatalog, TimeSeriesReader } from '../deps.ts'
import { InvalidRequestError, NotFoundError } from '../errors.ts'
import { principalOf } from '../plugins/auth.ts'
import { entityParamsSchema, errorResponses, levelSchema, timeRangeQueryProperties } from './schemas.ts'

export interface TimeSeriesRoutesOptions {
  readonly series: TimeSeriesReader
  readonly entities: EntityCatalog
  readonly now: () => number
}

/** Most buckets one request may ask for (a day of minutes). */
export const MAX_POINTS = 1_440
const MAX_RANGE_MS = 93 * 86_400_000

const numbers = { type: 'array', items: { type: 'number' } } as const

/**
 * `GET /timeseries/:level/:id?from&to&step`: per-bucket sums of one entity of the caller's
 * tenant from the ClickHouse minute rollups, columnar (uPlot's layout). `from`/`to` are
 * ISO-8601 or epoch ms (default: the last hour), `step` seconds, a multiple of 60 (default 60).
 */
export const timeSeriesRoutes: FastifyPluginAsync<TimeSeriesRoutesOptions> = async (app, opts) => {
  app.get<{ Params: { level: Level; id: string }; Querystring: { from?: string; to?: string; step: number } }>('/timeseries/:level/:id', {
    config: { access: { role: 'viewer' } },
    schema: {
      tags: ['history'],
      summary: 'Per-bucket sums of an entity from the minute rollups',
      params: entityParamsSchema,
      querystring: {
        type: 'object',
        properties: {
          ...timeRangeQueryProperties,
          step: { type: 'integer', minimum: 60, maximum: 86_400, multipleOf: 60, default: 60, description: 'bucket size, seconds' },
        },
        additionalProperties: false,
      },
      response: {
        200: {
          type: 'object',
          properties: { level: levelSchema, entity: { type: 'string' }, stepSec: { type: 'integer' }, timesSec: numbers, impressions: numbers, clicks: numbers, spendMicros: numbers, conversions: numbers, revenueMicros: numbers },
          required: ['level', 'entity', 'stepSec', 'timesSec', 'impressions', 'clicks', 'spendMicros', 'conversions', 'revenueMicros'],
        },
        ...errorResponses(404),
      },
    },
    handler: async (req) => {
      const tenant = principalOf(req).tenant
      const { level, id } = req.params
      const stepMs = req.query.step * 1000
      const toRaw = req.query.to === undefined ? opts.now() : parseInstant(req.query.to, 'querystring/to')
      const fromRaw = req.query.from === undefined ? toRaw - 3_600_000 : parseInstant(req.query.from, 'querystring/from')
      const fromMs = Math.floor(fromRaw / stepMs) * stepMs
      const toMs = Math.ceil(toRaw / stepMs) * stepMs
      if (fromMs >= toMs) throw new InvalidRequestError('querystring/from', 'must be before to')
      if (toMs - fromMs > MAX_RANGE_MS) throw new InvalidRequestError('querystring/from', 'must be at most 93 days before to')
      if ((toMs - fromMs) / stepMs > MAX_POINTS) throw new InvalidRequestError('querystring/step', `gives more than ${MAX_POINTS} buckets for the range; use a larger step`)
      const known = (await opts.entities.views(tenant, level, [id], opts.now())).has(id) || (await opts.series.exists(tenant, level, id))
      if (!known) throw new NotFoundError(`${level} ${id}`)
      return opts.series.read({ tenant, level, entity: id, fromMs, toMs, stepSec: req.query.step })
    },
  })
}

/** Epoch ms from ISO-8601 with a zone or an epoch-ms integer string, as the event contract reads `ts`. */
export function parseInstant(raw: string, field: string): number {
  const ms = parseTimestamp(/^\d{1,15}$/.test(raw) ? Number(raw) : raw)
  if (ms === undefined) throw new InvalidRequestError(field, 'must be ISO-8601 with a zone (2026-11-21T10:00:00Z) or epoch milliseconds')
  return ms
}
