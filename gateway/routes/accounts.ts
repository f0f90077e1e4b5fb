import type { FastifyPluginAsync } from 'fastify'
import type { AccountSettings } from '../../stream/entity-settings.ts'
import type { AccountDto, PageDto } from '../api-types.ts'
import type { EntityCatalog } from '../deps.ts'
import { SORT_KEYS, sortRows, toAccountDto, toAccountSettingsDto, type SortKey } from '../entity-dto.ts'
import { InvalidRequestError, NotFoundError } from '../errors.ts'
import { principalOf } from '../plugins/auth.ts'
import type { SettingsChange } from '../socket-events.ts'
import { RowCache } from './row-cache.ts'
import { accountSchema, entityIdSchema, errorResponses, pageSchema, pagingQuerySchema } from './schemas.ts'

export interface AccountRoutesOptions {
  readonly entities: EntityCatalog
  readonly now: () => number
  /** Lists are rebuilt at most this often (ADW_GATEWAY_LIST_CACHE_MS). */
  readonly listCacheMs: number
  readonly onSettingsChanged: (tenant: string, change: SettingsChange) => void
}

const settingsSchema = {
  type: 'object',
  properties: { name: { type: ['string', 'null'] }, timeZone: { type: ['string', 'null'] }, effectiveTimeZone: { type: 'string' } },
  required: ['name', 'timeZone', 'effectiveTimeZone'],
} as const

const idParams = { type: 'object', properties: { id: entityIdSchema }, required: ['id'] } as const

/**
 * Accounts of the caller's tenant with live windows; one account; its settings (name, time
 * zone, which decides what "today" means for all its entities).
 */
export const accountRoutes: FastifyPluginAsync<AccountRoutesOptions> = async (app, opts) => {
  const lists = new RowCache<AccountDto>(opts.listCacheMs, opts.now)
  const rowsOf = async (tenant: string, ids: readonly string[]): Promise<AccountDto[]> => {
    const views = await opts.entities.views(tenant, 'account', ids, opts.now())
    const settings = await Promise.all([...views.keys()].map((id) => opts.entities.accountSettings(tenant, id)))
    return [...views.values()].map((v, i) => toAccountDto(v, settings[i]))
  }
  const requireAccount = async (tenant: string, id: string): Promise<AccountDto> => {
    const row = (await rowsOf(tenant, [id]))[0]
    if (row === undefined) throw new NotFoundError(`account ${id}`)
    return row
  }

  app.get<{ Querystring: { sort: SortKey; order: 'asc' | 'desc'; limit: number; offset: number } }>('/accounts', {
    config: { access: { role: 'viewer' } },
    schema: {
      tags: ['accounts'],
      summary: 'Accounts with live windows',
      querystring: {
        type: 'object',
        properties: { sort: { type: 'string', enum: SORT_KEYS.filter((k) => k !== 'pacing'), default: 'spendToday' }, order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' }, ...pagingQuerySchema },
        additionalProperties: false,
      },
      response: { 200: pageSchema(accountSchema), ...errorResponses() },
    },
    handler: async (req): Promise<PageDto<AccountDto>> => {
      const tenant = principalOf(req).tenant
      const q = req.query
      const rows = await lists.derived(tenant, `${q.sort} ${q.order}`, async () => rowsOf(tenant, await opts.entities.ids(tenant, 'account')), (r) => sortRows([...r], q.sort, q.order))
      return { items: rows.slice(q.offset, q.offset + q.limit), total: rows.length, limit: q.limit, offset: q.offset }
    },
  })

  app.get<{ Params: { id: string } }>('/accounts/:id', {
    config: { access: { role: 'viewer' } },
    schema: { tags: ['accounts'], summary: 'One account with live windows', params: idParams, response: { 200: accountSchema, ...errorResponses(404) } },
    handler: async (req) => requireAccount(principalOf(req).tenant, req.params.id),
  })

  app.get<{ Params: { id: string } }>('/accounts/:id/settings', {
    config: { access: { role: 'viewer' } },
    schema: { tags: ['accounts'], summary: 'An account\'s settings', params: idParams, response: { 200: settingsSchema, ...errorResponses(404) } },
    handler: async (req) => {
      const tenant = principalOf(req).tenant
      await requireAccount(tenant, req.params.id)
      return toAccountSettingsDto(await opts.entities.accountSettings(tenant, req.params.id), opts.entities.defaultTimeZone)
    },
  })

  app.put<{ Params: { id: string }; Body: AccountSettings }>('/accounts/:id/settings', {
    config: { access: { role: 'editor' } },
    schema: {
      tags: ['accounts'],
      summary: 'Change an account\'s name or IANA time zone (fields left out are kept)',
      params: idParams,
      body: {
        type: 'object',
        properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, timeZone: { type: 'string', minLength: 1, maxLength: 64 } },
        minProperties: 1,
        additionalProperties: false,
      },
      response: { 200: settingsSchema, ...errorResponses(404) },
    },
    handler: async (req) => {
      const tenant = principalOf(req).tenant
      if (req.body.timeZone !== undefined && !isTimeZone(req.body.timeZone)) throw new InvalidRequestError('body/timeZone', `"${req.body.timeZone}" is not an IANA time zone such as "America/New_York"`)
      await requireAccount(tenant, req.params.id)
      await opts.entities.setAccountSettings(tenant, req.params.id, req.body)
      lists.forget(tenant)
      const settings = toAccountSettingsDto(await opts.entities.accountSettings(tenant, req.params.id), opts.entities.defaultTimeZone)
      opts.onSettingsChanged(tenant, { kind: 'account', id: req.params.id, settings })
      return settings
    },
  })
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return true
  } catch {
    return false
  }
}
