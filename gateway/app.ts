import { Ajv } from 'ajv'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { AdwatchConfig } from '../core/config.ts'
import type { GatewayDeps } from './deps.ts'
import { authPlugin } from './plugins/auth.ts'
import { errorHandler } from './plugins/error-handler.ts'
import { httpMetrics } from './plugins/http-metrics.ts'
import { openApi, openApiUi } from './plugins/openapi.ts'
import { rateLimitPlugin } from './plugins/rate-limit.ts'
import { securityPlugin } from './plugins/security.ts'
import { webStatic } from './plugins/web-static.ts'
import { accountRoutes } from './routes/accounts.ts'
import { apiKeyRoutes } from './routes/api-keys.ts'
import { campaignRoutes } from './routes/campaigns.ts'
import { deadLetterRoutes } from './routes/dead-letters.ts'
import { eventRoutes } from './routes/events.ts'
import { healthRoutes } from './routes/health.ts'
import { meRoutes } from './routes/me.ts'
import { detectorRoutes } from './routes/detectors.ts'
import { ruleBacktestRoutes } from './routes/rule-backtest.ts'
import { ruleRoutes } from './routes/rules.ts'
import { alertingConfigRoutes } from './routes/alerting-config.ts'
import { alertRoutes } from './routes/alerts.ts'
import { silenceRoutes } from './routes/silences.ts'
import { timeSeriesRoutes } from './routes/timeseries.ts'
import { createAlertForwarder } from './socket/alert-forwarder.ts'
import { LivePublisher } from './socket/publisher.ts'
import { attachSocketServer, type AdwatchServer } from './socket/socket-server.ts'

/** The configuration slices a gateway reads. */
export type GatewayAppConfig = Pick<AdwatchConfig, 'gateway' | 'redis'>

/** A built gateway: the Fastify app (inject() in tests), Socket.IO and its lifecycle. */
export interface Gateway {
  readonly app: FastifyInstance
  readonly io: AdwatchServer
  /** Tenant-wide pushes (settings, alerts, rules) for route groups and other parts. */
  readonly publisher: LivePublisher
  /** Listens on the configured host and port and starts pushing windows; resolves with the base URL. */
  listen(): Promise<string>
  /** Stops pushing, closes sockets and the server. */
  close(): Promise<void>
}

/** The REST prefix; route groups register under it. */
export const API_PREFIX = '/api/v1'

/**
 * Builds the gateway from its dependencies. Order matters and is read here in one place:
 * errors and metrics first, then headers and CORS, the OpenAPI generator (before any route),
 * the rate limiter and authentication (so their hooks wrap every route), the route groups, each
 * an encapsulated plugin with its dependencies as options, and last the docs UI and the web
 * files. Rules, alerts, silences, receivers and detectors add their group to the list below
 * (`app.register(ruleRoutes, { prefix: API_PREFIX, rules: deps.rules, … })`).
 */
export async function buildGateway(deps: GatewayDeps, cfg: GatewayAppConfig): Promise<Gateway> {
  const g = cfg.gateway
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: g.bodyLimitBytes,
    trustProxy: g.trustProxy,
    requestIdHeader: 'x-request-id',
    // Latency is in /metrics; errors and rejections are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    return503OnClosing: true,
  })
  setValidators(app)
  // The API takes JSON only: anything else is 415, not a string that fails the schema.
  app.removeContentTypeParser('text/plain')
  const socket = attachSocketServer({
    httpServer: app.server,
    authenticator: deps.authenticator,
    entities: deps.entities,
    live: deps.live,
    metrics: deps.metrics,
    now: deps.now,
    log: deps.log,
    corsOrigins: g.corsOrigins,
    pushIntervalMs: g.pushIntervalMs,
    maxSubscriptions: g.maxSubscriptionsPerSocket,
    keyPrefix: cfg.redis.keyPrefix,
    rateLimit: g.rateLimit,
    trustProxy: g.trustProxy,
    ...(deps.adapter === undefined ? {} : { adapter: deps.adapter }),
  })
  const publisher = new LivePublisher(socket.io, deps.authenticator)
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id)
  })

  await app.register(errorHandler)
  await app.register(httpMetrics, { metrics: deps.metrics })
  await app.register(securityPlugin, { corsOrigins: g.corsOrigins })
  await app.register(openApi)
  await app.register(rateLimitPlugin, { limits: g.rateLimit, keyPrefix: cfg.redis.keyPrefix, ...(deps.rateLimitRedis === undefined ? {} : { redis: deps.rateLimitRedis }) })
  await app.register(authPlugin, { authenticator: deps.authenticator })

  await app.register(healthRoutes, { readiness: deps.readiness, metrics: deps.metrics })
  const api = { prefix: API_PREFIX }
  const onSettingsChanged = publisher.settingsChanged.bind(publisher)
  await app.register(meRoutes, api)
  await app.register(apiKeyRoutes, { ...api, apiKeys: deps.apiKeys, now: deps.now, onRevoked: (id) => publisher.apiKeyRevoked(id) })
  await app.register(accountRoutes, { ...api, entities: deps.entities, now: deps.now, listCacheMs: g.listCacheMs, onSettingsChanged })
  await app.register(campaignRoutes, { ...api, entities: deps.entities, now: deps.now, listCacheMs: g.listCacheMs, onSettingsChanged })
  await app.register(timeSeriesRoutes, { ...api, series: deps.series, entities: deps.entities, now: deps.now })
  await app.register(deadLetterRoutes, { ...api, deadLetters: deps.deadLetters, events: deps.events, now: deps.now, log: deps.log })
  await app.register(eventRoutes, { ...api, events: deps.events, metrics: deps.metrics, now: deps.now, maxLatenessMs: deps.maxLatenessMs, maxFutureMs: deps.maxFutureMs })
  if (deps.rules !== undefined) await app.register(ruleRoutes, { ...api, rules: deps.rules, now: deps.now, onRuleChanged: publisher.ruleChanged.bind(publisher) })
  if (deps.backtests !== undefined) await app.register(ruleBacktestRoutes, { ...api, backtests: deps.backtests })
  if (deps.detectors !== undefined) await app.register(detectorRoutes, { ...api, detectors: deps.detectors, now: deps.now })
  const alerting = deps.alerting
  if (alerting !== undefined) {
    await app.register(alertRoutes, { ...api, alerts: alerting.alerts, acks: alerting.acks, history: alerting.history, events: alerting.events, now: deps.now })
    await app.register(silenceRoutes, { ...api, silences: alerting.silences, now: deps.now })
    await app.register(alertingConfigRoutes, { ...api, routing: alerting.routing })
  }
  // Alert transitions: each gateway follows its tenants' alert event logs and pushes to its own sockets.
  const alertForwarder = alerting === undefined ? undefined : createAlertForwarder(socket.io, alerting.events, deps.log, () => deps.metrics.socketMessages.inc({ event: 'alert:transition' }))

  await app.register(openApiUi)
  await app.register(webStatic, { root: g.webDir })
  app.addHook('preClose', async () => {
    await socket.pusher.stop()
    await alertForwarder?.stop()
    socket.io.local.disconnectSockets(true)
  })
  app.addHook('onClose', async () => {
    await new Promise<void>((resolve) => socket.io.close(() => resolve()))
  })
  await app.ready()

  return {
    app,
    io: socket.io,
    publisher,
    async listen() {
      const url = await app.listen({ host: g.host, port: g.port })
      socket.pusher.start()
      alertForwarder?.start()
      return url
    },
    async close() {
      await app.close()
    },
  }
}

/**
 * JSON Schema validation: bodies exactly as sent (no type coercion, unknown properties are an
 * error where a schema forbids them, not silently dropped); querystrings and path parameters
 * coerced from text, as they arrive. Defaults are filled in both.
 */
function setValidators(app: FastifyInstance): void {
  const body = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false, strict: false })
  const text = new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: false, strict: false })
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? body : text).compile(schema))
}
