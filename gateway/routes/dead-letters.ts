import type { FastifyPluginAsync } from 'fastify'
import type { Logger } from '../../core/log.ts'
import type { DeadLetterDto, PageDto, ReplayResultDto } from '../api-types.ts'
import type { DeadLetterFilter, DeadLetterKey, DeadLetterRow, DeadLetterStore, EventWriter } from '../deps.ts'
import { InvalidRequestError } from '../errors.ts'
import { idOf, keyOfId } from '../history/clickhouse-dead-letters.ts'
import { replayDeadLetters } from '../history/replay-dead-letters.ts'
import { principalOf } from '../plugins/auth.ts'
import { errorResponses, pageSchema, pagingQuerySchema } from './schemas.ts'
import { parseInstant } from './timeseries.ts'

export interface DeadLetterRoutesOptions {
  readonly deadLetters: DeadLetterStore
  readonly events: EventWriter
  readonly now: () => number
  readonly log: Logger
}

/** At most this many dead letters per replay request (one PutRecords request). */
export const MAX_REPLAY = 500

const codeSchema = { type: 'string', pattern: '^[a-z_]{1,40}$' } as const
const rangeQuery = {
  from: { type: 'string', maxLength: 40, description: 'arrived at or after: ISO-8601 or epoch ms' },
  to: { type: 'string', maxLength: 40, description: 'arrived before: ISO-8601 or epoch ms' },
} as const

const deadLetterSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    code: { type: 'string' },
    reason: { type: 'string' },
    shard: { type: 'string' },
    sequenceNumber: { type: 'string' },
    subSequence: { type: 'integer' },
    partitionKey: { type: 'string' },
    arrivedAt: { type: 'string' },
    rawBase64: { type: 'string' },
    replayedAt: { type: ['string', 'null'] },
    replayedBy: { type: ['string', 'null'] },
  },
  required: ['id', 'code', 'reason', 'shard', 'sequenceNumber', 'subSequence', 'partitionKey', 'arrivedAt', 'rawBase64', 'replayedAt', 'replayedBy'],
} as const

/**
 * The caller's tenant's dead letters (records that failed the event contract, with reason and
 * raw bytes): list, count by reason code, and replay after a fix.
 */
export const deadLetterRoutes: FastifyPluginAsync<DeadLetterRoutesOptions> = async (app, opts) => {
  app.get<{ Querystring: { code?: string; from?: string; to?: string; limit: number; offset: number } }>('/dead-letters', {
    config: { access: { role: 'viewer' } },
    schema: {
      tags: ['dead letters'],
      summary: 'Dead letters, newest first',
      querystring: { type: 'object', properties: { code: codeSchema, ...rangeQuery, ...pagingQuerySchema }, additionalProperties: false },
      response: { 200: pageSchema(deadLetterSchema), ...errorResponses() },
    },
    handler: async (req): Promise<PageDto<DeadLetterDto>> => {
      const q = req.query
      const { items, total } = await opts.deadLetters.list(principalOf(req).tenant, { ...filterOf(q), ...(q.code === undefined ? {} : { code: q.code }) }, { limit: q.limit, offset: q.offset })
      return { items: items.map(toDto), total, limit: q.limit, offset: q.offset }
    },
  })

  app.get<{ Querystring: { from?: string; to?: string } }>('/dead-letters/counts', {
    config: { access: { role: 'viewer' } },
    schema: {
      tags: ['dead letters'],
      summary: 'Dead letters counted by reason code',
      querystring: { type: 'object', properties: rangeQuery, additionalProperties: false },
      response: {
        200: {
          type: 'object',
          properties: { total: { type: 'integer' }, byCode: { type: 'array', items: { type: 'object', properties: { code: { type: 'string' }, count: { type: 'integer' } }, required: ['code', 'count'] } } },
          required: ['total', 'byCode'],
        },
        ...errorResponses(),
      },
    },
    handler: async (req) => {
      const byCode = await opts.deadLetters.countByCode(principalOf(req).tenant, filterOf(req.query))
      return { total: byCode.reduce((s, c) => s + c.count, 0), byCode }
    },
  })

  app.post<{ Body: { ids?: string[]; code?: string; limit?: number } }>('/dead-letters/replay', {
    config: { access: { role: 'editor' } },
    schema: {
      tags: ['dead letters'],
      summary: 'Replay dead letters after a fix: by ids, or the newest not yet replayed of a reason code',
      body: {
        type: 'object',
        properties: {
          ids: { type: 'array', minItems: 1, maxItems: MAX_REPLAY, items: { type: 'string', minLength: 1, maxLength: 2048 } },
          code: codeSchema,
          limit: { type: 'integer', minimum: 1, maximum: MAX_REPLAY, default: 100 },
        },
        oneOf: [{ required: ['ids'] }, { required: ['code'] }],
        additionalProperties: false,
      },
      response: {
        200: {
          type: 'object',
          properties: {
            results: {
              type: 'array',
              items: { type: 'object', properties: { id: { type: 'string' }, status: { type: 'string' }, reason: { type: 'string' } }, required: ['id', 'status'] },
            },
          },
          required: ['results'],
        },
        ...errorResponses(),
      },
    },
    handler: async (req): Promise<{ results: ReplayResultDto[] }> => {
      const p = principalOf(req)
      let keys: DeadLetterKey[]
      if (req.body.ids !== undefined) {
        keys = req.body.ids.map((id, i) => {
          const key = keyOfId(id)
          if (key === undefined) throw new InvalidRequestError(`body/ids/${i}`, 'is not a dead-letter id')
          return key
        })
      } else {
        const page = await opts.deadLetters.list(p.tenant, { code: req.body.code! }, { limit: MAX_REPLAY, offset: 0 })
        keys = page.items.filter((r) => r.replayedAtMs === undefined).slice(0, req.body.limit)
      }
      return { results: await replayDeadLetters({ store: opts.deadLetters, events: opts.events, now: opts.now, log: opts.log }, p.tenant, keys, p.subject) }
    },
  })
}

function filterOf(q: { from?: string; to?: string }): DeadLetterFilter {
  return {
    ...(q.from === undefined ? {} : { fromMs: parseInstant(q.from, 'querystring/from') }),
    ...(q.to === undefined ? {} : { toMs: parseInstant(q.to, 'querystring/to') }),
  }
}

function toDto(r: DeadLetterRow): DeadLetterDto {
  return {
    id: idOf(r),
    code: r.code,
    reason: r.reason,
    shard: r.shard,
    sequenceNumber: r.sequenceNumber,
    subSequence: r.subSequence,
    partitionKey: r.partitionKey,
    arrivedAt: new Date(r.arrivedAtMs).toISOString(),
    rawBase64: r.rawBase64,
    replayedAt: r.replayedAtMs === undefined ? null : new Date(r.replayedAtMs).toISOString(),
    replayedBy: r.replayedBy ?? null,
  }
}
