import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type { GatewayMetrics } from '../metrics.ts'

export interface HttpMetricsOptions {
  readonly metrics: GatewayMetrics
}

/** Observes every answer's latency by method, route pattern (not the raw URL) and status. */
const httpMetricsAsync: FastifyPluginAsync<HttpMetricsOptions> = async (app, opts) => {
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched'
    opts.metrics.httpDuration.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000)
  })
}

/** Registers the HTTP latency histogram on the root instance. */
export const httpMetrics = fp(httpMetricsAsync, { name: 'adwatch-http-metrics' })
