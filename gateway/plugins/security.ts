import cors from '@fastify/cors'
import helmet from '@fastify/helmet'
import Fastify, { type FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'

export interface SecurityPluginOptions {
  /** Browser origins allowed cross-origin (ADW_CORS_ORIGINS); empty: none. */
  readonly corsOrigins: readonly string[]
}

/**
 * The headers helmet's defaults add to an answer, read once from a throwaway instance: the
 * same with and without @fastify/helmet, less what Fastify itself writes.
 */
export async function helmetDefaultHeaders(): Promise<Readonly<Record<string, string>>> {
  const answer = async (withHelmet: boolean) => {
    const probe = Fastify({ logger: false })
    if (withHelmet) await probe.register(helmet, { global: true })
    probe.get('/', async () => 'ok')
    const res = await probe.inject({ url: '/' })
    await probe.close()
    return res.headers
  }
  const [plain, secured] = await Promise.all([answer(false), answer(true)])
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(secured)) if (typeof value === 'string' && plain[name] === undefined) out[name] = value
  return out
}

/**
 * Security headers on every answer (helmet's defaults: CSP, HSTS, nosniff, frame-ancestors…)
 * and CORS for the configured origins only; any other origin gets no CORS headers. The
 * headers are computed once: @fastify/helmet builds helmet's middleware (and parses the CSP
 * directives) again on every request, a measurable share of a read's CPU.
 */
const securityPluginAsync: FastifyPluginAsync<SecurityPluginOptions> = async (app, opts) => {
  const headers = await helmetDefaultHeaders()
  app.addHook('onRequest', (_req, reply, done) => {
    reply.headers(headers)
    done()
  })
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
