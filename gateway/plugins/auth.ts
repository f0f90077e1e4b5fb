import type { FastifyPluginAsync, FastifyRequest, onRequestHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { Authenticator } from '../auth/authenticator.ts'
import { hasRole, type Access, type Principal, type Role } from '../auth/principal.ts'
import { AuthInvalidError, ForbiddenError, GatewayError, UnavailableError } from '../errors.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; every route under /api/ must say. */
    access?: Access
  }
  interface FastifyRequest {
    /** The authenticated caller; set on every non-public route that passed authorisation. */
    principal: Principal | null
    /** Why authentication failed, kept until after rate limiting (so failures are limited per IP). */
    authFailure: GatewayError | null
  }
}

export interface AuthPluginOptions {
  readonly authenticator: Authenticator
}

/**
 * Authentication and authorisation for every route. A root onRequest hook authenticates
 * (without rejecting yet); the rate limiter runs next, keyed by the principal or, without one,
 * the IP; then a per-route hook rejects with 401/403 unless the principal has the route's role.
 * A route under /api/ that declares no `config.access` fails at startup.
 */
const authPluginAsync: FastifyPluginAsync<AuthPluginOptions> = async (app, opts) => {
  app.decorateRequest('principal', null)
  app.decorateRequest('authFailure', null)

  app.addHook('onRoute', (route) => {
    const access = route.config?.access
    if (access === undefined) {
      if (route.url.startsWith('/api/')) throw new Error(`route ${String(route.method)} ${route.url} declares no config.access`)
      return
    }
    if ('public' in access) return
    const existing = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
    route.onRequest = [...existing, authorize(access.role)]
  })

  app.addHook('onRequest', async (req) => {
    const access = req.routeOptions.config.access
    if (access === undefined || 'public' in access) return
    try {
      req.principal = await opts.authenticator.authenticate(credentialOf(req))
    } catch (err) {
      req.authFailure = err instanceof GatewayError ? err : new UnavailableError('the API key store', { cause: err })
    }
  })
}

function authorize(role: Role): onRequestHookHandler {
  return async (req) => {
    if (req.authFailure !== null) throw req.authFailure
    if (req.principal === null) throw new AuthInvalidError('no principal')
    if (!hasRole(req.principal.role, role)) throw new ForbiddenError(`this needs the ${role} role; the credentials have ${req.principal.role}`)
  }
}

/** The credential of a request: `Authorization: Bearer <token>` or `X-API-Key: <key>`. */
export function credentialOf(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth)
    if (m === null) throw new AuthInvalidError('the Authorization header must be "Bearer <JWT or API key>"')
    return m[1]
  }
  const key = req.headers['x-api-key']
  return typeof key === 'string' ? key : undefined
}

/** The principal of a request that passed authorisation. */
export function principalOf(req: FastifyRequest): Principal {
  if (req.principal === null) throw new AuthInvalidError('no principal')
  return req.principal
}

/** Registers authentication and per-route authorisation on the root instance. */
export const authPlugin = fp(authPluginAsync, { name: 'adwatch-auth' })
