import type { FastifyPluginAsync } from 'fastify'
import type { ReadinessCheck } from '../deps.ts'
import type { GatewayMetrics } from '../metrics.ts'

export interface HealthRoutesOptions {
  readonly readiness: readonly ReadinessCheck[]
  readonly metrics: GatewayMetrics
  /** A check that takes longer fails (default 2 s). */
  readonly checkTimeoutMs?: number
}

const checkResultSchema = {
  type: 'object',
  properties: { ok: { type: 'boolean' }, ms: { type: 'number' }, error: { type: 'string' } },
  required: ['ok', 'ms'],
} as const

const publicRoute = { access: { public: true }, rateLimit: false } as const

/**
 * Probes and metrics, public and never rate-limited: /health (the process answers), /ready
 * (Redis, ClickHouse and Kinesis answer and the live windows are loaded; 503 naming what is
 * not), /metrics (Prometheus text). Failure details go to the log, not to the caller.
 */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, opts) => {
  const timeoutMs = opts.checkTimeoutMs ?? 2_000

  app.get('/health', {
    config: publicRoute,
    schema: { tags: ['ops'], summary: 'Liveness: the process answers', security: [], response: { 200: { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] } } },
    handler: async () => ({ status: 'ok' }),
  })

  app.get('/ready', {
    config: publicRoute,
    schema: {
      tags: ['ops'],
      summary: 'Readiness: Redis, ClickHouse and Kinesis reachable, live windows loaded',
      security: [],
      response: {
        '2xx': { type: 'object', properties: { status: { type: 'string' }, checks: { type: 'object', additionalProperties: checkResultSchema } }, required: ['status', 'checks'] },
      },
    },
    handler: async (req, reply) => {
      const results = await Promise.all(
        opts.readiness.map(async (c) => {
          const t0 = performance.now()
          try {
            await withTimeout(c.check(), timeoutMs)
            return [c.name, { ok: true, ms: Math.round(performance.now() - t0) }] as const
          } catch (err) {
            req.log.warn({ check: c.name, err: (err as Error).message }, 'readiness check failed')
            return [c.name, { ok: false, ms: Math.round(performance.now() - t0), error: err instanceof TimeoutError ? 'timed out' : 'unreachable' }] as const
          }
        }),
      )
      const ready = results.every(([, r]) => r.ok)
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', checks: Object.fromEntries(results) })
    },
  })

  app.get('/metrics', {
    config: publicRoute,
    schema: { tags: ['ops'], summary: 'Prometheus metrics', security: [] },
    handler: async (_req, reply) => {
      const { contentType, body } = await opts.metrics.render()
      return reply.type(contentType).send(body)
    },
  })
}

class TimeoutError extends Error {}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new TimeoutError(`after ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer))
}
