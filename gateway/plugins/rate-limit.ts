import rateLimit from '@fastify/rate-limit'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import type { GatewayConfig } from '../../core/config.ts'
import { RedisKeys } from '../../stream/redis-keys.ts'
import { GatewayError } from '../errors.ts'

export interface RateLimitPluginOptions {
  readonly limits: GatewayConfig['rateLimit']
  /** Shared counters; without Redis they are per process (unit tests). */
  readonly redis?: Redis
  readonly keyPrefix: string
}

/** The rate-limit bucket of a request: its credential's subject, or its IP without one. */
export function rateLimitKeyOf(req: FastifyRequest): string {
  const p = req.principal
  return p === null ? `ip:${req.ip}` : `key:${p.tenant}:${p.subject}`
}

/**
 * Fixed-window rate limits in Redis (@fastify/rate-limit's Redis store), so they hold across
 * gateways: per API key or JWT subject for authenticated calls, per IP for the rest (failed
 * authentication included). Runs after authentication and before authorisation (see auth.ts).
 * Public routes (health, readiness, metrics, docs) opt out with `config.rateLimit: false`.
 * If Redis fails, requests pass (availability over strictness).
 */
const rateLimitPluginAsync: FastifyPluginAsync<RateLimitPluginOptions> = async (app, opts) => {
  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    timeWindow: opts.limits.windowMs,
    max: (_req, key) => (key.startsWith('key:') ? opts.limits.perKey : opts.limits.perIp),
    keyGenerator: rateLimitKeyOf,
    ...(opts.redis === undefined ? {} : { redis: opts.redis, nameSpace: new RedisKeys(opts.keyPrefix).rateLimitPrefix() }),
    skipOnError: true,
    errorResponseBuilder: (_req, ctx) =>
      new GatewayError('ADW_GATEWAY_RATE_LIMITED', ctx.statusCode, `rate limit of ${ctx.max} requests per ${Math.round(opts.limits.windowMs / 1000)} s reached; retry in ${ctx.after}`),
  })
}

/** Registers the rate limiter on the root instance (before the route groups). */
export const rateLimitPlugin = fp(rateLimitPluginAsync, { name: 'adwatch-rate-limit' })
