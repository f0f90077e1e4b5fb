import type { FastifyPluginAsync } from 'fastify'
import type { ApiKeyDto, CreatedApiKeyDto } from '../api-types.ts'
import type { ApiKeyRecord, ApiKeyStore } from '../auth/api-key-store.ts'
import type { Role } from '../auth/principal.ts'
import { NotFoundError } from '../errors.ts'
import { principalOf } from '../plugins/auth.ts'
import { errorResponses, roleSchema } from './schemas.ts'

export interface ApiKeyRoutesOptions {
  readonly apiKeys: ApiKeyStore
  readonly now: () => number
  /** Called after a revocation, to drop the key from caches and close its sockets everywhere. */
  readonly onRevoked: (keyId: string) => void
}

const apiKeySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    role: roleSchema,
    createdAt: { type: 'string' },
    createdBy: { type: 'string' },
    lastUsedAt: { type: ['string', 'null'] },
    revokedAt: { type: ['string', 'null'] },
  },
  required: ['id', 'name', 'role', 'createdAt', 'createdBy', 'lastUsedAt', 'revokedAt'],
} as const

const admin = { access: { role: 'admin' } } as const

/**
 * The tenant's API keys (admin only): create (the key is in this answer only; Redis keeps its
 * SHA-256), list, revoke. Another tenant's key ids answer 404.
 */
export const apiKeyRoutes: FastifyPluginAsync<ApiKeyRoutesOptions> = async (app, opts) => {
  app.post<{ Body: { name: string; role: Role } }>('/api-keys', {
    config: admin,
    schema: {
      tags: ['api keys'],
      summary: 'Create an API key for machines; the key is shown once',
      body: { type: 'object', properties: { name: { type: 'string', minLength: 1, maxLength: 100 }, role: roleSchema }, required: ['name', 'role'], additionalProperties: false },
      response: { 201: { ...apiKeySchema, properties: { ...apiKeySchema.properties, key: { type: 'string' } }, required: [...apiKeySchema.required, 'key'] }, ...errorResponses() },
    },
    handler: async (req, reply) => {
      const p = principalOf(req)
      const { record, key } = await opts.apiKeys.create({ tenant: p.tenant, role: req.body.role, name: req.body.name, createdBy: p.subject, nowMs: opts.now() })
      const created: CreatedApiKeyDto = { ...toDto(record), key }
      return reply.code(201).header('cache-control', 'no-store').send(created)
    },
  })

  app.get('/api-keys', {
    config: admin,
    schema: {
      tags: ['api keys'],
      summary: 'List the tenant\'s API keys (never their secrets)',
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: apiKeySchema } }, required: ['items'] }, ...errorResponses() },
    },
    handler: async (req) => ({ items: (await opts.apiKeys.list(principalOf(req).tenant)).map(toDto) }),
  })

  app.delete<{ Params: { id: string } }>('/api-keys/:id', {
    config: admin,
    schema: {
      tags: ['api keys'],
      summary: 'Revoke an API key (at once on every gateway)',
      params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9a-f]{16}$' } }, required: ['id'] },
      response: { 204: { type: 'null' }, ...errorResponses(404) },
    },
    handler: async (req, reply) => {
      if (!(await opts.apiKeys.revoke(principalOf(req).tenant, req.params.id, opts.now()))) throw new NotFoundError(`API key ${req.params.id}`)
      opts.onRevoked(req.params.id)
      return reply.code(204).send()
    },
  })
}

function toDto(r: ApiKeyRecord): ApiKeyDto {
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString())
  return { id: r.id, name: r.name, role: r.role, createdAt: new Date(r.createdAtMs).toISOString(), createdBy: r.createdBy, lastUsedAt: iso(r.lastUsedAtMs), revokedAt: iso(r.revokedAtMs) }
}
