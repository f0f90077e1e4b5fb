import cors from '@fastify/cors'
import helmet from '@fastify/helmet'
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'

export interface SecurityPluginOptions {
  /** Browser origins allowed cross-origin (ADW_CORS_ORIGINS); empty: none. */
  readonly corsOrigins: readonly string[]
}

/**
 * Security headers on every answer (helmet's defaults: CSP, HSTS, nosniff, frame-ancestors…)
 * and CORS for the configured origins only; any other origin gets no CORS headers.
 */
const securityPluginAsync: FastifyPluginAsync<SecurityPluginOptions> = async (app, opts) => {
  await app.register(helmet, { global: true })
  const allowed = new Set(opts.corsOrigins)
  await app.register(cors, {
    origin: (origin, cb) => cb(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-API-Key', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'],
    maxAge: 600,
  })
}

/** Registers helmet and CORS on the root instance. */
export const securityPlugin = fp(securityPluginAsync, { name: 'adwatch-security' })
