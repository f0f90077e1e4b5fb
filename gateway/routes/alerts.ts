import type { FastifyPluginAsync } from 'fastify'
import type { ActiveAlert } from '../../alerts/index.ts'
import { alertDto } from '../alerting/alert-dto.ts'
import { callAlerts, notFiring } from '../alerting/alert-errors.ts'
import type { AckStore, AlertEventFeed, AlertHistoryReader, LiveAlertReader } from '../alerting/alerting-stores.ts'
import { readTransitions } from '../alerting/transitions.ts'
import type { AlertDto, AlertTransitionDto, CursorPageDto, Level, PageDto } from '../api-types.ts'
import { InvalidRequestError, NotFoundError } from '../errors.ts'
import { principalOf } from '../plugins/auth.ts'
import { alertSchema, cursorPageSchema, fingerprintParams, SEVERITIES, transitionSchema } from './alert-schemas.ts'
import { entityIdSchema, errorResponses, levelSchema, pageSchema, pagingQuerySchema } from './schemas.ts'
import { parseInstant } from './timeseries.ts'

export interface AlertRoutesOptions {
  readonly alerts: LiveAlertReader
  readonly acks: AckStore
  readonly history: AlertHistoryReader
  readonly events: AlertEventFeed
  readonly now: () => number
}

/** Default range of a history query without `from`: the last day. */
export const DEFAULT_HISTORY_MS = 86_400_000
/** Longest history range one query may span. */
export const MAX_HISTORY_RANGE_MS = 90 * 86_400_000

type StateFilter = 'open' | 'pending' | 'firing' | 'resolved' | 'all'
interface AlertListQuery {
  state: StateFilter
  severity?: AlertDto['severity']
  source?: 'rule' | 'detector'
  sourceId?: string
  level?: Level
  entity?: string
  account?: string
  limit: number
  offset: number
}
interface HistoryQuery {
  from?: string
  to?: string
  fingerprint?: string
  kind?: Array<AlertTransitionDto['kind']>
  limit: number
  offset: number
}

const historyQuerySchema = {
  from: { type: 'string', maxLength: 40, description: 'at or after: ISO-8601 or epoch ms (default: a day before `to`)' },
  to: { type: 'string', maxLength: 40, description: 'before: ISO-8601 or epoch ms (default: now)' },
  kind: { type: 'array', maxItems: 4, items: { type: 'string', enum: ['pending', 'firing', 'resolved', 'cancelled'] } },
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  offset: { type: 'integer', minimum: 0, maximum: 100_000, default: 0 },
} as const

const editor = { access: { role: 'editor' } } as const
const viewer = { access: { role: 'viewer' } } as const

/**
 * The caller's tenant's alerts: live alerts (pending, firing, recently resolved) with filters,
 * one alert, transitions (ClickHouse history plus the event log's last minutes), and the
 * acknowledgement of a firing alert (who and when; until it resolves, repeats stop). Another
 * tenant's fingerprints answer 404, like unknown ones.
 */
export const alertRoutes: FastifyPluginAsync<AlertRoutesOptions> = async (app, opts) => {
  app.get<{ Querystring: AlertListQuery }>('/alerts', {
    config: viewer,
    schema: {
      tags: ['alerts'],
      summary: 'Live alerts, firing first, newest first',
      querystring: {
        type: 'object',
        properties: {
          state: { type: 'string', enum: ['open', 'pending', 'firing', 'resolved', 'all'], default: 'all', description: 'open: pending or firing' },
          severity: { type: 'string', enum: SEVERITIES },
          source: { type: 'string', enum: ['rule', 'detector'] },
          sourceId: { type: 'string', minLength: 1, maxLength: 128, description: 'rule id or detector name' },
          level: levelSchema,
          entity: entityIdSchema,
          account: entityIdSchema,
          ...pagingQuerySchema,
        },
        additionalProperties: false,
      },
      response: { 200: pageSchema(alertSchema), ...errorResponses() },
    },
    handler: async (req): Promise<PageDto<AlertDto>> => {
      const q = req.query
      const all = await callAlerts(() => opts.alerts.active(principalOf(req).tenant))
      const hit = all.filter((a) => matchesQuery(a, q))
      return { items: hit.slice(q.offset, q.offset + q.limit).map(alertDto), total: hit.length, limit: q.limit, offset: q.offset }
    },
  })

  app.get<{ Querystring: HistoryQuery & { fingerprint?: string } }>('/alerts/history', {
    config: viewer,
    schema: {
      tags: ['alerts'],
      summary: 'Alert transitions in a time range, newest first',
      querystring: { type: 'object', properties: { ...historyQuerySchema, fingerprint: fingerprintParams.properties.fingerprint }, additionalProperties: false },
      response: { 200: cursorPageSchema(transitionSchema), ...errorResponses() },
    },
    handler: async (req): Promise<CursorPageDto<AlertTransitionDto>> => {
      const q = req.query
      const page = await callAlerts(() => readTransitions(opts, principalOf(req).tenant, { ...rangeOf(q, opts.now()), ...(q.fingerprint === undefined ? {} : { fingerprint: q.fingerprint }), ...(q.kind === undefined ? {} : { kinds: q.kind }), limit: q.limit, offset: q.offset }, opts.now()))
      return { ...page, limit: q.limit, offset: q.offset }
    },
  })

  app.get<{ Params: { fingerprint: string } }>('/alerts/:fingerprint', {
    config: viewer,
    schema: {
      tags: ['alerts'],
      summary: 'One live alert',
      params: fingerprintParams,
      response: { 200: alertSchema, ...errorResponses(404) },
    },
    handler: async (req): Promise<AlertDto> => alertDto(await liveAlert(opts.alerts, principalOf(req).tenant, req.params.fingerprint)),
  })

  app.get<{ Params: { fingerprint: string }; Querystring: HistoryQuery }>('/alerts/:fingerprint/history', {
    config: viewer,
    schema: {
      tags: ['alerts'],
      summary: 'Transitions of one alert, newest first',
      params: fingerprintParams,
      querystring: { type: 'object', properties: historyQuerySchema, additionalProperties: false },
      response: { 200: cursorPageSchema(transitionSchema), ...errorResponses(404) },
    },
    handler: async (req): Promise<CursorPageDto<AlertTransitionDto>> => {
      const q = req.query
      const tenant = principalOf(req).tenant
      const fingerprint = req.params.fingerprint
      const page = await callAlerts(() => readTransitions(opts, tenant, { ...rangeOf(q, opts.now()), fingerprint, ...(q.kind === undefined ? {} : { kinds: q.kind }), limit: q.limit, offset: q.offset }, opts.now()))
      if (page.items.length === 0 && q.offset === 0) {
        // Nothing in the range: 404 unless the tenant has the alert (live now, or transitions ever).
        const known = (await callAlerts(() => opts.alerts.active(tenant))).some((a) => a.fingerprint === fingerprint)
        if (!known && (await callAlerts(() => opts.history.transitions(tenant, { fingerprint, limit: 1 }))).length === 0) throw new NotFoundError(`alert ${fingerprint}`)
      }
      return { ...page, limit: q.limit, offset: q.offset }
    },
  })

  app.post<{ Params: { fingerprint: string }; Body: { comment?: string } }>('/alerts/:fingerprint/ack', {
    config: editor,
    // The body is optional (`curl -X POST …/ack`): none reads as {}.
    preValidation: async (req) => {
      if (req.body === undefined || req.body === null) req.body = {}
    },
    schema: {
      tags: ['alerts'],
      summary: 'Acknowledge a firing alert: no repeats of this firing episode; records who and when (idempotent)',
      params: fingerprintParams,
      body: { type: 'object', properties: { comment: { type: 'string', maxLength: 500 } }, additionalProperties: false },
      response: { 200: alertSchema, ...errorResponses(404, 409) },
    },
    handler: async (req): Promise<AlertDto> => {
      const p = principalOf(req)
      const fp = req.params.fingerprint
      const live = await liveAlert(opts.alerts, p.tenant, fp)
      if (live.acknowledged !== undefined) return alertDto(live)
      if (live.status !== 'firing') throw notFiring(fp, live.status)
      const ack = await callAlerts(
        () => opts.acks.acknowledge(p.tenant, fp, { author: p.subject, ...(req.body.comment === undefined ? {} : { comment: req.body.comment }) }),
        () => 'params/fingerprint',
      ).catch((err: unknown) => {
        // Resolved between the read and the write.
        if (err instanceof InvalidRequestError) throw notFiring(fp, 'no longer firing')
        throw err
      })
      return alertDto({ ...live, acknowledged: ack })
    },
  })

  app.delete<{ Params: { fingerprint: string } }>('/alerts/:fingerprint/ack', {
    config: editor,
    schema: {
      tags: ['alerts'],
      summary: 'Withdraw an acknowledgement: repeats resume',
      params: fingerprintParams,
      response: { 204: { type: 'null' }, ...errorResponses(404) },
    },
    handler: async (req, reply) => {
      await callAlerts(() => opts.acks.unacknowledge(principalOf(req).tenant, req.params.fingerprint))
      return reply.code(204).send()
    },
  })
}

async function liveAlert(alerts: LiveAlertReader, tenant: string, fingerprint: string): Promise<ActiveAlert> {
  const found = (await callAlerts(() => alerts.active(tenant))).find((a) => a.fingerprint === fingerprint)
  if (found === undefined) throw new NotFoundError(`alert ${fingerprint}`)
  return found
}

/** Whether a live alert passes the list's filters (pure). */
export function matchesQuery(a: ActiveAlert, q: Omit<AlertListQuery, 'limit' | 'offset'>): boolean {
  if (q.state === 'open' ? a.status === 'resolved' : q.state !== 'all' && a.status !== q.state) return false
  return (
    (q.severity === undefined || a.severity === q.severity) &&
    (q.source === undefined || a.source === q.source) &&
    (q.sourceId === undefined || a.sourceId === q.sourceId) &&
    (q.level === undefined || a.level === q.level) &&
    (q.entity === undefined || a.entity === q.entity) &&
    (q.account === undefined || a.account === q.account)
  )
}

/** The `[from, to)` of a history query: default the last day; at most 90 days. */
function rangeOf(q: { from?: string; to?: string }, nowMs: number): { fromMs: number; toMs: number } {
  const toMs = q.to === undefined ? nowMs + 1 : parseInstant(q.to, 'querystring/to')
  const fromMs = q.from === undefined ? toMs - DEFAULT_HISTORY_MS : parseInstant(q.from, 'querystring/from')
  if (fromMs >= toMs) throw new InvalidRequestError('querystring/from', 'must be before to')
  if (toMs - fromMs > MAX_HISTORY_RANGE_MS) throw new InvalidRequestError('querystring/from', 'the range spans at most 90 days')
  return { fromMs, toMs }
}
