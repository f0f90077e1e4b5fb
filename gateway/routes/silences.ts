import type { FastifyPluginAsync } from 'fastify'
import { silenceState, type SilenceInput as StoreSilenceInput } from '../../alerts/index.ts'
import { silenceDto } from '../alerting/alert-dto.ts'
import { callAlerts } from '../alerting/alert-errors.ts'
import type { SilenceStore } from '../alerting/alerting-stores.ts'
import type { PageDto, SilenceDto, SilenceInput } from '../api-types.ts'
import { principalOf } from '../plugins/auth.ts'
import { matcherSchema, silenceSchema } from './alert-schemas.ts'
import { errorResponses, pageSchema, pagingQuerySchema } from './schemas.ts'
import { parseInstant } from './timeseries.ts'

export interface SilenceRoutesOptions {
  readonly silences: SilenceStore
  readonly now: () => number
}

const idParams = {
  type: 'object',
  properties: { id: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$', description: 'silence id (a UUID)' } },
  required: ['id'],
} as const

/**
 * The caller's tenant's silences: alerts whose labels match every matcher (`=`, `!=`, `=~`,
 * `!~`, regexes anchored) get no notifications from `startsAt` to `endsAt`. Create (editor;
 * the author is the caller), list, read, and expire (DELETE ends it now; it stays listed as
 * expired for 7 days). Another tenant's ids answer 404.
 */
export const silenceRoutes: FastifyPluginAsync<SilenceRoutesOptions> = async (app, opts) => {
  app.get<{ Querystring: { state?: SilenceDto['state'] | 'all'; limit: number; offset: number } }>('/silences', {
    config: { access: { role: 'viewer' } },
    schema: {
      tags: ['silences'],
      summary: 'Silences, newest first (expired ones for 7 days)',
      querystring: { type: 'object', properties: { state: { type: 'string', enum: ['pending', 'active', 'expired', 'all'], default: 'all' }, ...pagingQuerySchema }, additionalProperties: false },
      response: { 200: pageSchema(silenceSchema), ...errorResponses() },
    },
    handler: async (req): Promise<PageDto<SilenceDto>> => {
      const q = req.query
      const all = (await callAlerts(() => opts.silences.list(principalOf(req).tenant))).filter((s) => q.state === 'all' || s.state === q.state)
      return { items: all.slice(q.offset, q.offset + q.limit).map((s) => silenceDto(s, s.state)), total: all.length, limit: q.limit, offset: q.offset }
    },
  })

  app.post<{ Body: SilenceInput }>('/silences', {
    config: { access: { role: 'editor' } },
    schema: {
      tags: ['silences'],
      summary: 'Create a silence',
      body: {
        type: 'object',
        properties: {
          matchers: { type: 'array', minItems: 1, maxItems: 20, items: matcherSchema },
          startsAt: { type: 'string', maxLength: 40, description: 'ISO-8601 or epoch ms; default now' },
          endsAt: { type: 'string', maxLength: 40, description: 'ISO-8601 or epoch ms; after startsAt and now, at most 365 days after startsAt' },
          comment: { type: 'string', maxLength: 2000 },
        },
        required: ['matchers', 'endsAt'],
        additionalProperties: false,
      },
      response: { 201: silenceSchema, ...errorResponses() },
    },
    handler: async (req, reply) => {
      const p = principalOf(req)
      const b = req.body
      const input: StoreSilenceInput = {
        matchers: b.matchers,
        ...(b.startsAt === undefined ? {} : { startsAtMs: parseInstant(b.startsAt, 'body/startsAt') }),
        endsAtMs: parseInstant(b.endsAt, 'body/endsAt'),
        author: p.subject,
        ...(b.comment === undefined ? {} : { comment: b.comment }),
      }
      const s = await callAlerts(() => opts.silences.create(p.tenant, input), (field) => requestFieldOf(field, b))
      return reply.code(201).send(silenceDto(s, silenceState(s, opts.now())))
    },
  })

  app.get<{ Params: { id: string } }>('/silences/:id', {
    config: { access: { role: 'viewer' } },
    schema: { tags: ['silences'], summary: 'One silence', params: idParams, response: { 200: silenceSchema, ...errorResponses(404) } },
    handler: async (req): Promise<SilenceDto> => {
      const s = await callAlerts(() => opts.silences.get(principalOf(req).tenant, req.params.id))
      return silenceDto(s, silenceState(s, opts.now()))
    },
  })

  app.delete<{ Params: { id: string } }>('/silences/:id', {
    config: { access: { role: 'editor' } },
    schema: { tags: ['silences'], summary: 'Expire a silence now (idempotent)', params: idParams, response: { 200: silenceSchema, ...errorResponses(404) } },
    handler: async (req): Promise<SilenceDto> => silenceDto(await callAlerts(() => opts.silences.expire(principalOf(req).tenant, req.params.id)), 'expired'),
  })
}

/**
 * The request field a silence-store problem is about: `matchers[2]` → `body/matchers/2/value`
 * (names and operators passed the schema, so what is left is the regex), `endsAtMs` →
 * `body/endsAt`.
 */
export function requestFieldOf(storeField: string, body: SilenceInput): string {
  const m = /^matchers\[(\d+)\]$/.exec(storeField)
  if (m !== null) {
    const op = body.matchers[Number(m[1])]?.op
    return `body/matchers/${m[1]}${op === '=~' || op === '!~' ? '/value' : ''}`
  }
  if (storeField === 'endsAtMs') return 'body/endsAt'
  if (storeField === 'startsAtMs') return 'body/startsAt'
  return `body/${storeField}`
}
