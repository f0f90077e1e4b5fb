import type { FastifyPluginAsync } from 'fastify'
import type { Level } from '../../stream/event.ts'
import type { DetectorDto, DetectorScoreDto, DetectorStatus, PageDto, ScoreSeriesDto } from '../api-types.ts'
import type { DetectorCatalog, DetectorModelInfo, EntityScores } from '../deps.ts'
import { InvalidRequestError, NotFoundError } from '../errors.ts'
import { principalOf } from '../plugins/auth.ts'
import { entityParamsSchema, errorResponses, levelSchema, pageSchema, timeRangeQueryProperties } from './schemas.ts'
import { parseInstant } from './timeseries.ts'

export interface DetectorRoutesOptions {
  readonly detectors: DetectorCatalog
  readonly now: () => number
}

/** A retrain requested longer ago than this without a newer model is shown as not training (it failed or no runner took it). */
export const RETRAIN_PENDING_MS = 3_600_000

const nullableString = { type: ['string', 'null'] } as const
const detectorSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    level: { type: 'string' },
    modelVersion: { type: ['integer', 'null'] },
    trainedAt: nullableString,
    entities: { type: 'integer' },
    threshold: { type: 'number' },
    status: { type: 'string', enum: ['ready', 'training', 'untrained'] },
    retrainRequestedAt: nullableString,
  },
  required: ['name', 'level', 'modelVersion', 'trainedAt', 'entities', 'threshold', 'status', 'retrainRequestedAt'],
} as const
const scoreSchema = {
  type: 'object',
  properties: { level: { type: 'string' }, entity: { type: 'string' }, scores: { type: 'object', additionalProperties: { type: ['number', 'null'] } }, at: { type: 'string' } },
  required: ['level', 'entity', 'scores', 'at'],
} as const
const scoreSeriesSchema = {
  type: 'object',
  properties: { timesSec: { type: 'array', items: { type: 'number' } }, maxScore: { type: 'array', items: { type: 'number' } } },
  required: ['timesSec', 'maxScore'],
} as const
/** Longest score history one request reads (31 days: 44,640 minutes). */
const MAX_SCORE_RANGE_MS = 31 * 86_400_000
const nameParams = { type: 'object', properties: { name: { type: 'string', pattern: '^[a-z_]{1,40}$' } }, required: ['name'] } as const
const listSchema = { type: 'object', properties: { items: { type: 'array', items: detectorSchema }, total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' } }, required: ['items', 'total', 'limit', 'offset'] } as const

/**
 * The tenant's anomaly detectors (detectors/): each detector at each level with the tenant's
 * model version and threshold, the latest scores per entity, retrain requests and thresholds.
 * A retrain is queued in Redis and done by the detector runner (detectors/main.ts) on its next
 * tick, in the background; the detector shows `training` until a newer model is stored.
 */
export const detectorRoutes: FastifyPluginAsync<DetectorRoutesOptions> = async (app, opts) => {
  const catalog = opts.detectors
  const listOf = async (tenant: string): Promise<DetectorDto[]> => {
    const [models, thresholds, requestedAtMs] = await Promise.all([catalog.models(tenant), catalog.thresholds(tenant), catalog.retrainRequestedAtMs(tenant)])
    const byLevel = new Map(models.map((m) => [m.level, m]))
    const nowMs = opts.now()
    return catalog.levels.flatMap((level) => catalog.names.map((name) => detectorDto(name, level, byLevel.get(level), thresholds.get(name) ?? 1, requestedAtMs, nowMs)))
  }
  const known = (name: string) => {
    if (!catalog.names.includes(name)) throw new NotFoundError(`detector ${name} (detectors: ${catalog.names.join(', ')})`)
  }

  app.get('/detectors', {
    config: { access: { role: 'viewer' } },
    schema: { tags: ['detectors'], summary: 'Every detector at every level, with the tenant\'s model version, threshold and status', response: { 200: listSchema, ...errorResponses() } },
    handler: async (req): Promise<PageDto<DetectorDto>> => {
      const items = await listOf(principalOf(req).tenant)
      return { items, total: items.length, limit: items.length, offset: 0 }
    },
  })

  app.get<{ Querystring: { level: Level; limit: number; offset: number } }>('/detectors/scores', {
    config: { access: { role: 'viewer' } },
    schema: {
      tags: ['detectors'],
      summary: 'Latest scores (0–1) of the tenant\'s active entities of a level, the most anomalous first',
      querystring: {
        type: 'object',
        properties: { level: { ...levelSchema, default: 'campaign' }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 200 }, offset: { type: 'integer', minimum: 0, maximum: 100_000, default: 0 } },
        additionalProperties: false,
      },
      response: { 200: pageSchema(scoreSchema), ...errorResponses() },
    },
    handler: async (req): Promise<PageDto<DetectorScoreDto>> => {
      const q = req.query
      const all = await catalog.latestScores(principalOf(req).tenant, q.level, opts.now())
      return { items: all.slice(q.offset, q.offset + q.limit).map((s) => scoreDto(q.level, s, catalog.names)), total: all.length, limit: q.limit, offset: q.offset }
    },
  })

  app.get<{ Params: { level: Level; id: string }; Querystring: { from?: string; to?: string } }>('/detectors/scores/:level/:id', {
    config: { access: { role: 'viewer' } },
    schema: {
      tags: ['detectors'],
      summary: 'Score history of one entity: the highest score (0–1) of any detector per judged minute, columnar (the charts\' score band)',
      params: entityParamsSchema,
      querystring: { type: 'object', properties: timeRangeQueryProperties, additionalProperties: false },
      response: { 200: scoreSeriesSchema, ...errorResponses() },
    },
    handler: async (req): Promise<ScoreSeriesDto> => {
      const toMs = req.query.to === undefined ? opts.now() : parseInstant(req.query.to, 'querystring/to')
      const fromMs = req.query.from === undefined ? toMs - 3_600_000 : parseInstant(req.query.from, 'querystring/from')
      if (fromMs >= toMs) throw new InvalidRequestError('querystring/from', 'must be before to')
      if (toMs - fromMs > MAX_SCORE_RANGE_MS) throw new InvalidRequestError('querystring/from', 'must be at most 31 days before to')
      // An entity never scored (or of another tenant: the tenant is the caller's) has an empty history, not a 404.
      return catalog.scoreSeries(principalOf(req).tenant, req.params.level, req.params.id, fromMs, toMs)
    },
  })

  app.post<{ Params: { name: string }; Querystring: { level?: Level } }>('/detectors/:name/retrain', {
    config: { access: { role: 'editor' } },
    schema: {
      tags: ['detectors'],
      summary: 'Queue a retrain of the tenant\'s models (all levels: the detectors of a level share them); the detector runner trains on its next tick',
      params: nameParams,
      querystring: { type: 'object', properties: { level: levelSchema }, additionalProperties: false },
      response: { 202: detectorSchema, ...errorResponses(404) },
    },
    handler: async (req, reply) => {
      known(req.params.name)
      const tenant = principalOf(req).tenant
      await catalog.requestRetrain(tenant, opts.now())
      const level = req.query.level ?? catalog.levels[0]
      const dto = (await listOf(tenant)).find((d) => d.name === req.params.name && d.level === level)
      if (dto === undefined) throw new NotFoundError(`detector ${req.params.name} at level ${String(level)} (levels: ${catalog.levels.join(', ')})`)
      return reply.code(202).send(dto)
    },
  })

  app.put<{ Params: { name: string }; Body: { threshold: number } }>('/detectors/:name/threshold', {
    config: { access: { role: 'editor' } },
    schema: {
      tags: ['detectors'],
      summary: 'Set the tenant\'s alert threshold (score 0–1, 0.8 is 6σ) of a detector',
      params: nameParams,
      body: { type: 'object', properties: { threshold: { type: 'number', exclusiveMinimum: 0, maximum: 1 } }, required: ['threshold'], additionalProperties: false },
      response: { 200: listSchema, ...errorResponses(404) },
    },
    handler: async (req): Promise<PageDto<DetectorDto>> => {
      known(req.params.name)
      const tenant = principalOf(req).tenant
      await catalog.setThreshold(tenant, req.params.name, req.body.threshold)
      const items = (await listOf(tenant)).filter((d) => d.name === req.params.name)
      return { items, total: items.length, limit: items.length, offset: 0 }
    },
  })
}

/**
 * A detector's row. Status: `training` while a retrain requested in the last hour has no model
 * newer than the request yet; otherwise `ready` with a model, `untrained` without.
 */
export function detectorDto(name: string, level: Level, model: DetectorModelInfo | undefined, threshold: number, requestedAtMs: number | undefined, nowMs: number): DetectorDto {
  const pending = requestedAtMs !== undefined && (model === undefined || requestedAtMs > model.trainedAtMs) && nowMs - requestedAtMs < RETRAIN_PENDING_MS
  const status: DetectorStatus = pending ? 'training' : model === undefined ? 'untrained' : 'ready'
  return {
    name,
    level,
    modelVersion: model?.version ?? null,
    trainedAt: model === undefined ? null : new Date(model.trainedAtMs).toISOString(),
    entities: model?.entities ?? 0,
    threshold,
    status,
    retrainRequestedAt: pending ? new Date(requestedAtMs).toISOString() : null,
  }
}

function scoreDto(level: Level, s: EntityScores, names: readonly string[]): DetectorScoreDto {
  return { level, entity: s.entity, scores: Object.fromEntries(names.map((n) => [n, s.scores[n] ?? null])), at: new Date(s.atMs).toISOString() }
}
