import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'

/**
 * The OpenAPI 3 document, built from the routes' JSON Schemas (served at /docs/json), with
 * bearer (JWT or API key) and X-API-Key security. Register before the routes; the UI at /docs
 * is registered by registerOpenApiUi after them.
 */
const openApiAsync: FastifyPluginAsync = async (app) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'adwatch API',
        version: '1',
        description:
          'Live ad-spend windows, pacing, history, dead letters and HTTP ingest. Every /api/v1 route needs a bearer JWT or an API key; ' +
          'errors are `{ error: { code, message, field?, requestId } }` with codes listed in docs/errors.md.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'A JWT (HS256 or RS256/ES256 via JWKS) or an adwatch API key (adw_…)' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
  })
}

/** Registers the OpenAPI document generator on the root instance. */
export const openApi = fp(openApiAsync, { name: 'adwatch-openapi' })

/** The Swagger UI at /docs, with its own CSP for its static files. */
export const openApiUi: FastifyPluginAsync = async (app) => {
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { deepLinking: true } })
}
