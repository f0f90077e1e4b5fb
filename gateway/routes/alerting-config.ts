import type { FastifyPluginAsync } from 'fastify'
import { fieldOfJsonPath, routingConfigDto } from '../alerting/alert-dto.ts'
import { callAlerts } from '../alerting/alert-errors.ts'
import type { RoutingStore } from '../alerting/alerting-stores.ts'
import type { ConfigValidationDto, RoutingConfigDto } from '../api-types.ts'
import { principalOf } from '../plugins/auth.ts'
import { configValidationSchema, routingConfigSchema } from './alert-schemas.ts'
import { errorResponses } from './schemas.ts'

export interface AlertingConfigRoutesOptions {
  readonly routing: RoutingStore
}

/**
 * The envelope of a routing config; receivers' options, route references, matchers, regexes
 * and durations are checked by the alerts part's validation (alerts/routing-config.ts), whose
 * problems answer 400 naming their path (`body/receivers/0/webhook_url`).
 */
const configBody = {
  type: 'object',
  description: 'receivers, route, group, inhibit_rules: see docs/alerts.md. Secrets are references {"secret": "<name>"}, never values.',
  properties: {
    receivers: { type: 'array', maxItems: 50, items: { type: 'object', properties: { name: { type: 'string' }, type: { type: 'string' } }, required: ['name', 'type'] } },
    route: { type: 'object' },
    group: { type: 'object' },
    inhibit_rules: { type: 'array', maxItems: 50, items: { type: 'object' } },
  },
  required: ['receivers', 'route'],
  additionalProperties: false,
} as const

/**
 * The tenant's notification routing: receivers (Slack, PagerDuty, webhook, Alertmanager, log)
 * and the route tree, grouping and inhibit rules. Anyone of the tenant may read it (secrets are
 * only ever references, and any plain value in a secret field is shown as "[redacted]"); admins
 * replace, validate or drop it. The alerts process applies a change within a tick.
 */
export const alertingConfigRoutes: FastifyPluginAsync<AlertingConfigRoutesOptions> = async (app, opts) => {
  app.get('/alerting/config', {
    config: { access: { role: 'viewer' } },
    schema: { tags: ['alerting config'], summary: 'The routing config (receivers, routes); config null: the default receiver applies', response: { 200: routingConfigSchema, ...errorResponses() } },
    handler: async (req): Promise<RoutingConfigDto> => {
      const tenant = principalOf(req).tenant
      const [stored, version] = await callAlerts(() => Promise.all([opts.routing.get(tenant), opts.routing.version(tenant)]))
      return routingConfigDto(stored, version)
    },
  })

  app.put<{ Body: Record<string, unknown> }>('/alerting/config', {
    config: { access: { role: 'admin' } },
    schema: { tags: ['alerting config'], summary: 'Replace the routing config (validated; a new version)', body: configBody, response: { 200: routingConfigSchema, ...errorResponses() } },
    handler: async (req): Promise<RoutingConfigDto> => {
      const p = principalOf(req)
      const stored = await callAlerts(() => opts.routing.put(p.tenant, req.body, p.subject))
      return routingConfigDto(stored, stored.version)
    },
  })

  app.post<{ Body: Record<string, unknown> }>('/alerting/config/validate', {
    config: { access: { role: 'admin' } },
    schema: { tags: ['alerting config'], summary: 'Check a routing config without saving it: every problem with its JSON path', body: { type: 'object' }, response: { 200: configValidationSchema, ...errorResponses() } },
    handler: async (req): Promise<ConfigValidationDto> => {
      const problems = opts.routing.validate(req.body).map((p) => ({ path: p.path, field: fieldOfJsonPath(p.path), message: p.message }))
      return { ok: problems.length === 0, problems }
    },
  })

  app.delete('/alerting/config', {
    config: { access: { role: 'admin' } },
    schema: { tags: ['alerting config'], summary: 'Drop the routing config: the default receiver (ADW_ALERTS_DEFAULT_RECEIVER) applies again', response: { 204: { type: 'null' }, ...errorResponses() } },
    handler: async (req, reply) => {
      await callAlerts(() => opts.routing.remove(principalOf(req).tenant))
      return reply.code(204).send()
    },
  })
}
