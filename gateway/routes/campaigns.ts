import type { FastifyPluginAsync } from 'fastify'
import type { CampaignSettings } from '../../stream/entity-settings.ts'
import type { CampaignDto, PageDto } from '../api-types.ts'
import type { EntityCatalog } from '../deps.ts'
import { SORT_KEYS, sortRows, toCampaignDto, toCampaignSettingsDto, type SortKey } from '../entity-dto.ts'
import { NotFoundError } from '../errors.ts'
import { principalOf } from '../plugins/auth.ts'
import type { SettingsChange } from '../socket-events.ts'
import { RowCache } from './row-cache.ts'
import { campaignSchema, entityIdSchema, errorResponses, pageSchema, pagingQuerySchema } from './schemas.ts'

export interface CampaignRoutesOptions {
  readonly entities: EntityCatalog
  readonly now: () => number
  /** Lists are rebuilt at most this often (ADW_GATEWAY_LIST_CACHE_MS). */
  readonly listCacheMs: number
  /** Called after a settings change (pushes it to the tenant's sockets on every gateway). */
  readonly onSettingsChanged: (tenant: string, change: SettingsChange) => void
}

interface ListQuery {
  account?: string
  sort: SortKey
  order: 'asc' | 'desc'
  limit: number
  offset: number
}

const settingsSchema = {
  type: 'object',
  properties: { name: { type: ['string', 'null'] }, dailyBudgetMicros: { type: ['number', 'null'] } },
  required: ['name', 'dailyBudgetMicros'],
} as const

const idParams = { type: 'object', properties: { id: entityIdSchema }, required: ['id'] } as const

/**
 * Campaigns of the caller's tenant: the list with live windows (1 m, 5 m, 15 m, 1 h, today in
 * the account's zone), ratios and pacing; one campaign; its settings (name, daily budget).
 * Campaigns are those with events in the last 7 days; others answer 404, as another tenant's do.
 */
export const campaignRoutes: FastifyPluginAsync<CampaignRoutesOptions> = async (app, opts) => {
  const lists = new RowCache<CampaignDto>(opts.listCacheMs, opts.now)
  const rowsOf = async (tenant: string, ids: readonly string[]): Promise<CampaignDto[]> => {
    const nowMs = opts.now()
    const [views, settings] = await Promise.all([opts.entities.views(tenant, 'campaign', ids, nowMs), opts.entities.campaignSettings(tenant, ids)])
    return [...views.values()].map((v) => toCampaignDto(v, settings.get(v.id), nowMs))
  }
  const requireCampaign = async (tenant: string, id: string): Promise<CampaignDto> => {
    const row = (await rowsOf(tenant, [id]))[0]
    if (row === undefined) throw new NotFoundError(`campaign ${id}`)
    return row
  }

  app.get<{ Querystring: ListQuery }>('/campaigns', {
    config: { access: { role: 'viewer' } },
    schema: {
      tags: ['campaigns'],
      summary: 'Campaigns with live windows, ratios and pacing',
      querystring: {
        type: 'object',
        properties: {
          account: entityIdSchema,
          sort: { type: 'string', enum: SORT_KEYS, default: 'spendToday' },
          order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
          ...pagingQuerySchema,
        },
        additionalProperties: false,
      },
      response: { 200: pageSchema(campaignSchema), ...errorResponses() },
    },
    handler: async (req, reply) => {
      const tenant = principalOf(req).tenant
      const q = req.query
      const build = async () => rowsOf(tenant, await opts.entities.ids(tenant, 'campaign'))
      const sorted = await lists.derived(tenant, `${q.sort} ${q.order}`, build, (rows) => sortRows([...rows], q.sort, q.order))
      // The serialised page is cached too, as UTF-8 bytes: many dashboards ask for the same
      // first page, and each answer then writes the bytes without encoding ~30 KB again.
      const body = await lists.derived(tenant, `${q.sort} ${q.order} ${q.account ?? ''} ${q.limit} ${q.offset}`, build, () => {
        const rows = q.account === undefined ? sorted : sorted.filter((r) => r.account === q.account)
        const page: PageDto<CampaignDto> = { items: rows.slice(q.offset, q.offset + q.limit), total: rows.length, limit: q.limit, offset: q.offset }
        return Buffer.from(reply.serialize(page) as string)
      })
      return reply.type('application/json; charset=utf-8').send(body)
    },
  })

  app.get<{ Params: { id: string } }>('/campaigns/:id', {
    config: { access: { role: 'viewer' } },
    schema: { tags: ['campaigns'], summary: 'One campaign with live windows and pacing', params: idParams, response: { 200: campaignSchema, ...errorResponses(404) } },
    handler: async (req) => requireCampaign(principalOf(req).tenant, req.params.id),
  })

  app.get<{ Params: { id: string } }>('/campaigns/:id/settings', {
    config: { access: { role: 'viewer' } },
    schema: { tags: ['campaigns'], summary: 'A campaign\'s settings', params: idParams, response: { 200: settingsSchema, ...errorResponses(404) } },
    handler: async (req) => {
      const tenant = principalOf(req).tenant
      const row = await requireCampaign(tenant, req.params.id)
      return { name: row.name, dailyBudgetMicros: row.dailyBudgetMicros }
    },
  })

  app.put<{ Params: { id: string }; Body: CampaignSettings }>('/campaigns/:id/settings', {
    config: { access: { role: 'editor' } },
    schema: {
      tags: ['campaigns'],
      summary: 'Change a campaign\'s name or daily budget (fields left out are kept)',
      params: idParams,
      body: {
        type: 'object',
        properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, dailyBudgetMicros: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } },
        minProperties: 1,
        additionalProperties: false,
      },
      response: { 200: settingsSchema, ...errorResponses(404) },
    },
    handler: async (req) => {
      const tenant = principalOf(req).tenant
      await requireCampaign(tenant, req.params.id)
      await opts.entities.setCampaignSettings(tenant, req.params.id, req.body)
      lists.forget(tenant)
      const settings = toCampaignSettingsDto((await opts.entities.campaignSettings(tenant, [req.params.id])).get(req.params.id))
      opts.onSettingsChanged(tenant, { kind: 'campaign', id: req.params.id, settings })
      return settings
    },
  })
}
