import type { FastifyPluginAsync } from 'fastify'
import { principalOf } from '../plugins/auth.ts'
import { errorResponses, roleSchema } from './schemas.ts'

/** `GET /api/v1/me`: the caller's tenant and role, as the credentials say (for web/ and scripts). */
export const meRoutes: FastifyPluginAsync = async (app) => {
  app.get('/me', {
    config: { access: { role: 'viewer' } },
    schema: {
      tags: ['session'],
      summary: 'Who the credentials are',
      response: {
        200: { type: 'object', properties: { tenant: { type: 'string' }, role: roleSchema, subject: { type: 'string' }, kind: { type: 'string' } }, required: ['tenant', 'role', 'subject', 'kind'] },
        ...errorResponses(),
      },
    },
    handler: async (req) => {
      const p = principalOf(req)
      return { tenant: p.tenant, role: p.role, subject: p.subject, kind: p.kind }
    },
  })
}
